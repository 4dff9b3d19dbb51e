/*
 * default_types.c - the type policy every target uses unless its table
 * entry has its own (GGUF's llama-quantize rules build on it): keep each
 * tensor's type, or the requested --type for float and block tensors, and
 * where the target cannot hold a type the user did not ask for, the
 * target's lossless fallback.
 */
#include "format.h"

#include "../dtype/dtype.h"

tp_status tp_choose_default_types(tp_layout *L) {
  const tp_format_ops *f = L->target;
  size_t i;
  for (i = 0; i < L->n; i++) {
    tp_out_tensor *e = &L->entries[i];
    tp_type want = e->src_type;
    const char *note = NULL;
    int requested = L->opts.type >= 0;
    if (requested) {
      tp_type req = (tp_type)L->opts.type;
      const tp_type_traits *tr = tp_type_traits_of(e->src_type);
      if (tr->kind == TP_KIND_FLOAT || tr->kind == TP_KIND_QUANT) {
        want = req;
      } else {
        note = "integer/bool tensor keeps its type";
      }
    }
    if (!f->stores(want)) {
      tp_type fb;
      /* the fallback applies to types the user did not ask for: sources
         kept as they are (integers, bools) or no --type at all */
      if ((!requested || want == e->src_type) && f->lossless_fallback &&
          f->lossless_fallback(want, &fb, &note)) {
        want = fb;
      } else {
        char q[256];
        tp_quote_for_message(q, sizeof q, e->name, e->name_len);
        return tp_error(TP_EUNSUPPORTED,
                        "tensor \"%s\": %s cannot store type %s", q,
                        f->info.name, tp_type_name(want));
      }
    }
    e->dst_type = want;
    e->note = note;
  }
  return TP_OK;
}
