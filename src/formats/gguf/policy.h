/*
 * policy.h - choosing output types for GGUF targets: a single --type, or a
 * llama-quantize file-type preset (llama_ftype) with its per-tensor mixture
 * rules, shape fallbacks and overrides. The public half (tp_ftype_from_name,
 * tp_ftype_name, the TP_FTYPE_* values) is declared in tensorport.h.
 */
#ifndef TP_FTYPE_H
#define TP_FTYPE_H

#include "../format.h"

/* Sets every entry's dst_type and note for a GGUF target, and the
 * general.file_type / general.quantization_version keys in p->meta. With a
 * preset (p->opts.ftype >= 0) it also puts p->entries into llama-quantize's
 * output order (see tp_ftype_sort_entries) and sets the preset's value, as
 * llama-quantize does. Without one, general.file_type says what the tensors
 * written are (tp_ftype_guess): with a plain type it is set (with
 * general.quantization_version, both last); in a copy an existing value
 * that no longer describes the tensors is replaced in place (docs/formats/
 * gguf.md §4.2). */
tp_status tp_gguf_choose_types(tp_layout *p);


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
void tp_ftype_sort_entries(tp_out_tensor *entries, size_t n);

/* The output types convert_hf_to_gguf.py itself writes (its --outtype:
 * F32, F16, BF16, Q8_0, TQ1_0, TQ2_0), whose rules a Hugging Face
 * checkpoint follows (tp_layout.hf_rules). */
bool tp_gguf_reference_type(int t);

/* TP_OK when tensorport can produce the preset ftype, else the reason
 * (an importance matrix or i-quant quantizers needed; an unknown value). */
tp_status tp_ftype_supported(int ftype);

/* Default tensor type of a llama_ftype value (llama_ftype_get_default_type),
 * or TP_TYPE_COUNT for values llama-quantize cannot produce. */
tp_type tp_ftype_default_type(int ftype);

/* The llama_ftype that llama-quantize writes for a file whose quantized
 * tensors are all of type t (`llama-quantize --pure`), or -1 if none. */
int tp_ftype_for_type(tp_type t);

/* llama.cpp's guess of a file's llama_ftype (llama_model_loader, used when
 * general.file_type is absent): the most common dst_type among the n
 * entries, counted in the loader's tensor order (tp_ftype_sort_entries) so
 * that a tie goes to the type that reached the count first; no entries
 * count as F32. *ftype is the loader's llama_ftype for that type (Q3_K ->
 * Q3_K_M, Q4_K -> Q4_K_M, Q5_K -> Q5_K_M), MXFP4_MOE for MXFP4 (as
 * llama-quantize labels such files), or -1 when none describes it (the
 * loader then says "all F32"). *most (may be NULL) gets the type. */
tp_status tp_ftype_guess(const tp_out_tensor *entries, size_t n, int *ftype,
                         tp_type *most);

#endif /* TP_FTYPE_H */
