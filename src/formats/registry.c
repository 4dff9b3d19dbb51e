/*
 * registry.c - the one list of formats. Adding a format is one folder
 * under src/formats/ that defines a tp_format_ops, plus one row here
 * (docs/ARCHITECTURE.md, "Adding a format"). The order is the order of
 * "known formats" lists and of detection ties the extension does not break.
 */
#include "format.h"

#include <stdio.h>
#include <string.h>

extern const tp_format_ops tp_format_safetensors;
extern const tp_format_ops tp_format_hf;
extern const tp_format_ops tp_format_gguf;
#ifdef TP_REGISTRY_TEST_ROW
/* a test-only format compiled into the registry test (tests/unit) */
extern const tp_format_ops TP_REGISTRY_TEST_ROW;
#endif

static const tp_format_ops *const g_formats[] = {
    &tp_format_safetensors,
    &tp_format_hf,
    &tp_format_gguf,
#ifdef TP_REGISTRY_TEST_ROW
    &TP_REGISTRY_TEST_ROW,
#endif
};

size_t tp_formats_count(void) { return TP_ARRAY_LEN(g_formats); }

const tp_format_ops *tp_formats_at(size_t i) {
  return i < TP_ARRAY_LEN(g_formats) ? g_formats[i] : NULL;
}

const tp_format_ops *tp_format_ops_of(tp_format f) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(g_formats); i++)
    if (g_formats[i]->info.id == f) return g_formats[i];
  return NULL;
}

const tp_format_ops *tp_model_format_ops(const tp_model *m) {
  return tp_format_ops_of(m->format);
}

bool tp_format_has_option(const tp_format_ops *f, const char *option) {
  const char *const *o;
  for (o = f->info.options; o && *o; o++)
    if (!strcmp(*o, option)) return true;
  return false;
}

void tp_formats_with_option(const char *option, char *buf, size_t len) {
  size_t i, o = 0, k = 0, n = 0;
  if (!len) return;
  buf[0] = 0;
  for (i = 0; i < TP_ARRAY_LEN(g_formats); i++)
    if (tp_format_has_option(g_formats[i], option)) n++;
  for (i = 0; i < TP_ARRAY_LEN(g_formats) && o < len; i++) {
    if (!tp_format_has_option(g_formats[i], option)) continue;
    k++;
    o += (size_t)snprintf(buf + o, len - o, "%s%s",
                          k == 1 ? "" : k == n ? " or " : ", ",
                          g_formats[i]->info.display_name);
  }
}

void tp_format_names_list(unsigned caps, char *buf, size_t len) {
  size_t i, o = 0;
  if (!len) return;
  buf[0] = 0;
  for (i = 0; i < TP_ARRAY_LEN(g_formats) && o < len; i++)
    if ((g_formats[i]->info.caps & caps) == caps)
      o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
                            g_formats[i]->info.name);
}

/* ---- public API -------------------------------------------------------------- */

size_t tp_format_count(void) { return tp_formats_count(); }

const tp_format_info *tp_format_at(size_t i) {
  const tp_format_ops *f = tp_formats_at(i);
  return f ? &f->info : NULL;
}

const tp_format_info *tp_format_info_of(tp_format f) {
  const tp_format_ops *o = tp_format_ops_of(f);
  return o ? &o->info : NULL;
}
