/*
 * plan.h - conversion plans: the orchestration around an output layout.
 *
 * tp_plan_create picks the target's table entry, fills a tp_layout
 * (model/layout.h) with one entry per output tensor and the output
 * metadata, runs the target's type policy and layout function (which
 * assign output files, offsets and headers) and checks the result. The
 * executor (execute.c) then fills tensor data in parallel with positional
 * writes; headers are written once at the start.
 */
#ifndef TP_PLAN_H
#define TP_PLAN_H

#include "../formats/format.h"

struct tp_plan {
  tp_layout L;      /* what is written */
  tp_format format; /* the target */
};

/* A plan that writes m again in its own format (metadata editing): meta is
 * the final metadata (copied), every tensor keeps its type and bytes, a
 * big-endian file stays big-endian. opts gives flags and progress. */
tp_status tp_plan_create_rewrite(tp_plan **out, const tp_model *m,
                                 const char *out_path, const tp_metastore *meta,
                                 const tp_convert_options *opts);

#endif /* TP_PLAN_H */
