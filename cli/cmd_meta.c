/*
 * cmd_meta.c - "tensorport meta PATH": prints a model's metadata, or sets
 * and deletes entries of a GGUF or SafeTensors file in place, atomically
 * (tp_meta_edit_file: the new file is written beside the old one and
 * renamed over it, so an interrupted edit changes nothing).
 *
 * --set takes KEY=TYPE:VALUE like llama-quantize's --override-kv; the
 * library parses it (it alone knows the type an existing key has, which
 * "int" and "float" keep), so this file only collects the edits, shows them
 * for --dry-run and maps errors to exit statuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define META_USAGE                                                          \
  "tensorport meta [--set KEY=TYPE:VALUE]... [--delete KEY]... PATH"

const char cli_help_meta[] =
    "Usage: tensorport meta [OPTIONS] PATH\n"
    "\n"
    "Without edits, print the metadata of PATH (like inspect --no-tensors).\n"
    "With --set or --delete, rewrite the GGUF or SafeTensors file PATH with\n"
    "the edits applied in order: the new file is written beside it and\n"
    "renamed over it when complete, so an interrupted edit changes nothing.\n"
    "Tensor data is copied unchanged; an edited key keeps its position.\n"
    "\n"
    "Options:\n"
    "      --set KEY=TYPE:VALUE  set KEY (repeatable). TYPE: int or float\n"
    "                            (keep the type the key already has), bool\n"
    "                            (true, false), str (the rest verbatim), or\n"
    "                            an exact GGUF type: u8, i8, u16, i16, u32,\n"
    "                            i32, u64, i64, f32, f64. SafeTensors\n"
    "                            metadata holds strings only (str), but in\n"
    "                            a file converted from GGUF KEY is a GGUF\n"
    "                            key (stored as gguf:KEY), of any TYPE\n"
    "      --delete KEY          remove KEY (repeatable)\n"
    "      --ignore-missing      deleting a key that is absent is no error\n"
    "  -o, --outfile OUT         write the edited file to OUT instead of\n"
    "                            replacing PATH\n"
    "  -f, --force               overwrite an existing OUT\n"
    "      --no-sync             do not fsync the result (scratch use)\n"
    "      --progress            always show the progress bar while the\n"
    "                            file is rewritten\n"
    "      --no-progress         never show progress\n"
    "      --dry-run             check the edits and show them with the\n"
    "                            current values; write nothing\n"
    "      --json                print the metadata as JSON\n"
    "  -q, --quiet               print errors only\n"
    "  -v, --verbose             print strings and arrays in full\n"
    "      --color=WHEN          colour error labels: auto, always, never\n"
    "  -h, --help                show this help and exit\n";

enum {
  OPT_SET = CLI_OPT_FIRST_CMD,
  OPT_DELETE,
  OPT_IGNORE_MISSING,
  OPT_OUTFILE,
  OPT_FORCE,
  OPT_NO_SYNC,
  OPT_DRY_RUN,
  OPT_JSON,
  OPT_PROGRESS,
  OPT_NO_PROGRESS
};

static const cli_opt meta_opts[] = {
    {"set", 0, 1, OPT_SET},
    {"override-kv", 0, 1, OPT_SET}, /* llama-quantize's name */
    {"delete", 0, 1, OPT_DELETE},
    {"remove-metadata", 0, 1, OPT_DELETE}, /* gguf-new-metadata's name */
    {"ignore-missing", 0, 0, OPT_IGNORE_MISSING},
    {"outfile", 'o', 1, OPT_OUTFILE},
    {"force", 'f', 0, OPT_FORCE},
    {"no-sync", 0, 0, OPT_NO_SYNC},
    {"dry-run", 0, 0, OPT_DRY_RUN},
    {"json", 0, 0, OPT_JSON},
    {"progress", 0, 0, OPT_PROGRESS},
    {"no-progress", 0, 0, OPT_NO_PROGRESS},
};

/* One requested edit, kept for --dry-run; strings point into argv. */
typedef struct meta_edit {
  int del;
  const char *arg; /* KEY=TYPE:VALUE or KEY */
} meta_edit;

/* The value an edit of key changes: the entry key, or another entry the
 * format's editor stores it under (in a SafeTensors file made from GGUF,
 * the encoded GGUF key "gguf:key", whose JSON text is shown as it is). */
static const tp_value *current_value(const tp_model *m, const char *key,
                                     tp_string *stored, int *encoded) {
  const tp_value *v = tp_meta_edit_current(m, key, stored);
  *encoded = v && (stored->len != strlen(key) ||
                   memcmp(stored->data, key, stored->len));
  return v;
}

/* Shows what an edit would do next to the value the file has now. */
static void show_edit(const tp_model *m, const meta_edit *e) {
  const char *eq = e->del ? NULL : strchr(e->arg, '=');
  size_t klen = eq ? (size_t)(eq - e->arg) : strlen(e->arg);
  char key[512];
  snprintf(key, sizeof key, "%.*s", (int)(klen < 511 ? klen : 511), e->arg);
  int encoded;
  tp_string stored;
  const tp_value *old = current_value(m, key, &stored, &encoded);
  printf("%s ", e->del ? "delete" : "set");
  cli_print_name(stdout, key, strlen(key));
  if (!e->del) {
    fputs(" = ", stdout);
    cli_print_name(stdout, eq + 1, strlen(eq + 1));
  }
  if (old && encoded) {
    /* the JSON text of the GGUF value, type and place included */
    fputs("  (now ", stdout);
    cli_print_name(stdout, stored.data, stored.len);
    fputs(" = ", stdout);
    cli_print_value(stdout, old, g_cli.verbosity >= 2 ? SIZE_MAX : 60, 1);
    fputs(")\n", stdout);
  } else if (old) {
    char type[32];
    cli_fmt_value_type(type, sizeof type, old);
    printf("  (now %s ", type);
    cli_print_value(stdout, old, g_cli.verbosity >= 2 ? SIZE_MAX : 60,
                    g_cli.verbosity >= 2 ? SIZE_MAX : 6);
    fputs(")\n", stdout);
  } else {
    fputs(e->del ? "  (absent)\n" : "  (new key)\n", stdout);
  }
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, const char **path,
                      tp_meta_edits *edits, meta_edit **list, size_t *n,
                      const char **out, unsigned *flags, int *dry_run,
                      int *json, int *progress) {
  cli_parser p;
  cli_parser_init(&p, "meta", META_USAGE, meta_opts,
                  sizeof meta_opts / sizeof meta_opts[0], argc, argv);
  int npos = *path ? 1 : 0;
  for (;;) {
    int id;
    const char *v;
    tp_status st;
    int r = cli_next_option(&p, path, 1, &npos, &id, &v);
    if (r == CLI_ARG_END)
      break;
    if (r == CLI_ARG_ERROR)
      return CLI_EXIT_USAGE;
    switch (id) {
    case OPT_SET:
    case OPT_DELETE: {
      if (id == OPT_DELETE && !*v)
        return cli_usage_error("empty key for %s", cli_opt_name(&p));
      /* The library checks the syntax and range now, so a typo is a
       * usage error before the file is even opened. */
      st = id == OPT_SET ? tp_meta_edits_set(edits, v)
                         : tp_meta_edits_delete(edits, v);
      if (st == TP_EINVAL)
        return cli_usage_error("%s", tp_last_error());
      if (st != TP_OK)
        return cli_fail(st);
      meta_edit *ne = realloc(*list, (*n + 1) * sizeof **list);
      if (!ne) {
        cli_error("out of memory");
        return CLI_EXIT_LIMIT;
      }
      *list = ne;
      ne[*n].del = id == OPT_DELETE;
      ne[*n].arg = v;
      (*n)++;
      break;
    }
    case OPT_IGNORE_MISSING:
      *flags |= TP_META_EDIT_IGNORE_MISSING;
      break;
    case OPT_OUTFILE:
      *out = v;
      break;
    case OPT_FORCE:
      *flags |= TP_META_EDIT_FORCE;
      break;
    case OPT_NO_SYNC:
      *flags |= TP_META_EDIT_NO_SYNC;
      break;
    case OPT_DRY_RUN:
      *dry_run = 1;
      break;
    case OPT_JSON:
      *json = 1;
      break;
    case OPT_PROGRESS:
      *progress = CLI_PROGRESS_ON;
      break;
    case OPT_NO_PROGRESS:
      *progress = CLI_PROGRESS_OFF;
      break;
    default: {
      int rc = cli_default_option(&p, id, v, cli_help_meta);
      if (rc >= 0)
        return rc;
    }
    }
  }
  if (!*path)
    return cli_usage_error("missing PATH");
  if (*out && !strcmp(*out, "-"))
    return cli_usage_error("cannot write a model to standard output; give "
                           "an output path");
  if (*out && *n == 0)
    return cli_usage_error("--outfile needs at least one --set or --delete");
  return -1;
}

int cmd_meta(int argc, char **argv) {
  const char *path = NULL, *out = NULL;
  int json = 0, dry_run = 0, progress = CLI_PROGRESS_AUTO, rc;
  unsigned flags = 0;
  meta_edit *list = NULL;
  size_t n = 0;
  tp_meta_edits *edits = NULL;
  tp_model *m = NULL;
  tp_status st = tp_meta_edits_new(&edits);
  if (st != TP_OK)
    return cli_fail(st);
  rc = parse_args(argc, argv, &path, edits, &list, &n, &out, &flags,
                  &dry_run, &json, &progress);
  if (rc >= 0)
    goto done;

  if (n == 0 || dry_run) {
    /* Read-only: show the metadata, or the edits next to current values. */
    cli_signals_install(CLI_SIGNALS_EXIT);
    st = tp_model_open(&m, path, NULL);
    if (st != TP_OK) {
      rc = cli_fail(st);
      goto done;
    }
    if (n == 0) {
      rc = cli_describe_model(m, path, NULL, json, 0);
      goto done;
    }
    for (size_t i = 0; i < n; i++) {
      if (list[i].del && !(flags & TP_META_EDIT_IGNORE_MISSING) &&
          !tp_meta_edit_current(m, list[i].arg, NULL)) {
        cli_error("%s: cannot delete '%s': no such key", path, list[i].arg);
        rc = CLI_EXIT_INPUT;
        goto done;
      }
    }
    for (size_t i = 0; i < n; i++)
      show_edit(m, &list[i]);
    printf("dry run: %zu edit%s checked, nothing written\n", n,
           n == 1 ? "" : "s");
    rc = cli_finish_stdout(CLI_EXIT_OK);
    goto done;
  }

  cli_signals_install(CLI_SIGNALS_CANCEL);
  struct stat sb;
  const char *target = out ? out : path;
  int existed = lstat(target, &sb) == 0;
  {
    cli_progress pr;
    cli_progress_init(&pr, progress);
    tp_notices_clear();
    st = tp_meta_edit_file_progress(path, out, edits, flags, cli_progress_cb, &pr);
    cli_progress_finish(&pr);
    /* what the edit cleaned up for earlier, interrupted ones */
    cli_print_notices();
  }
  /* TP_EINVAL here is an edit that does not fit this file (a string for
   * an integer key, a number for SafeTensors): exit 2 like other input
   * that cannot be handled. */
  if (st == TP_ECANCELED && cli_signal_received()) {
    rc = cli_interrupted("removed the partial output; %s %s", target,
                         existed ? "is unchanged" : "was not created");
  } else if (st != TP_OK) {
    rc = cli_fail(st);
  } else {
    cli_info("%s: %zu edit%s applied", out ? out : path, n,
             n == 1 ? "" : "s");
    rc = CLI_EXIT_OK;
  }
done:
  tp_model_free(m);
  tp_meta_edits_free(edits);
  free(list);
  return rc;
}
