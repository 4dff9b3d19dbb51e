/*
 * translate.h - conversions between naming conventions (the format table's
 * tp_naming): a Hugging Face checkpoint becomes a GGUF that llama.cpp runs
 * as it runs the file its own converter makes, through the architecture
 * profiles (src/arch: names, transforms, {arch}.* and general.* keys) and
 * the tokenizer module (src/tokenizer: tokenizer.* keys).
 */
#ifndef TP_TRANSLATE_H
#define TP_TRANSLATE_H

#include "plan.h"

/* What a plan from src to target needs: 0 names pass through (same
 * convention, no convention, --keep-names, or a SafeTensors file that
 * carries the GGUF metadata of an earlier GGUF -> SafeTensors conversion
 * and no config.json), 1 a translation (tp_translate). */
int tp_translate_needed(const tp_layout *L);

/* Replaces L's entries (names, shapes, tensor sources with the transforms)
 * and fills L->meta (general.*, {arch}.*, tokenizer.*) from the source's
 * documents and the architecture profile; sets L->hf_rules and, without
 * --type, the reference converter's --outtype auto. Errors name the file,
 * tensor or field: an unknown architecture lists the supported ones and
 * names --keep-names. */
tp_status tp_translate(tp_layout *L);

#endif /* TP_TRANSLATE_H */
