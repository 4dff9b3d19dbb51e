/*
 * ftype.h - choosing output types for GGUF targets: a single --type, or a
 * llama-quantize file-type preset (llama_ftype) with its per-tensor mixture
 * rules, shape fallbacks and overrides. The public half (tp_ftype_from_name,
 * tp_ftype_name, the TP_FTYPE_* values) is declared in tensorport.h.
 */
#ifndef TP_FTYPE_H
#define TP_FTYPE_H

#include "plan.h"

/* Sets every entry's dst_type and note for a GGUF target, and the
 * general.file_type / general.quantization_version keys in p->meta. With a
 * preset (p->opts.ftype >= 0) it also puts p->entries into llama-quantize's
 * output order (see tp_ftype_sort_entries). */
tp_status tp_gguf_choose_types(struct tp_plan *p);

/* The generic rule used for non-GGUF targets (keep the source type, or the
 * requested one for float tensors; lossless fallbacks). */
tp_status tp_plan_choose_default_types(struct tp_plan *p);

/* ---- pieces exposed for the unit tests ----------------------------------- */

/* llama-quantize's use_more_bits(i_layer, n_layers): the first and last
 * eighth of the layers and every third layer in between. */
int tp_ftype_use_more_bits(int i_layer, int n_layers);

/* Layer number as sscanf(name, "blk.%d.", &layer) reads it, or -1 when the
 * name does not start with "blk." and a number. */
int tp_ftype_layer_of(const char *name);

/* Sorts entries the way llama-quantize's loader orders tensors
 * (weight_name_comparer): by layer number (-1 for names outside blk.N, so
 * they come first), then bytewise by name. */
void tp_ftype_sort_entries(tp_plan_entry *entries, size_t n);

/* Default tensor type of a llama_ftype value (llama_ftype_get_default_type),
 * or TP_TYPE_COUNT for values llama-quantize cannot produce. */
tp_type tp_ftype_default_type(int ftype);

/* The llama_ftype that llama-quantize writes for a file whose quantized
 * tensors are all of type t (`llama-quantize --pure`), or -1 if none. */
int tp_ftype_for_type(tp_type t);

#endif /* TP_FTYPE_H */
