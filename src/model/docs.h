/*
 * docs.h - JSON documents attached to a model: a Hugging Face folder's
 * config.json, generation_config.json, tokenizer files, ... parsed once
 * when the model is opened, so that planning can read the architecture,
 * the vocabulary and the special tokens; and texts (tokenizer.model, chat
 * templates, the model card) kept as bytes. An HF output copies the files
 * themselves from the source folder.
 *
 * A document is read through the input layer, must be a JSON object and
 * is parsed as Python's json module reads it (codec/json_in.h: the reference
 * tools are Python). Limits, each TP_ELIMIT naming the file and the limit:
 * TP_DOC_MAX_BYTES for all documents of a model together (tokenizer.json
 * reaches ~35 MB in real models), TP_DOC_MAX_DEPTH levels of nesting (real
 * documents stay under 10).
 */
#ifndef TP_MODEL_DOCS_H
#define TP_MODEL_DOCS_H

#include "model.h"

#include <jansson.h>

#define TP_DOC_MAX_BYTES ((uint64_t)512 << 20) /* 512 MiB, all documents */
#define TP_DOC_MAX_DEPTH 64

/* Reads, parses and attaches the document at path under name (e.g.
 * "config.json"). Errors, each naming path: TP_ENOTFOUND/TP_EIO from the
 * input layer, TP_ELIMIT over a limit, TP_EFORMAT for text that is not
 * JSON ("line L column C: ...") or not an object; TP_EINVAL for a name
 * attached already. */
tp_status tp_model_attach_doc(tp_model *m, const char *name, const char *path);
/* Reads the file at path whole and attaches its bytes under name (a text:
 * tokenizer.model, chat_template.jinja, README.md, vocab.txt, ...), within
 * the same budget as the documents. Errors as tp_model_attach_doc's. */
tp_status tp_model_attach_text(tp_model *m, const char *name, const char *path);
/* The text attached under name (NUL-terminated, *len bytes), or NULL. */
const char *tp_model_text(const tp_model *m, const char *name, size_t *len);
/* The document attached under name, or NULL; it lives as long as m. */
const json_t *tp_model_doc(const tp_model *m, const char *name);
/* Documents in the order they were attached. */
size_t tp_model_doc_count(const tp_model *m);
/* Name of document i (NULL when out of range), with its size in bytes in
 * *raw_len and its tree in *doc (either may be NULL). */
const char *tp_model_doc_at(const tp_model *m, size_t i, uint64_t *raw_len,
                            const json_t **doc);

#endif /* TP_MODEL_DOCS_H */
