/*
 * cmd_convert.c - "tensorport convert IN OUT": open, plan, and either print
 * the plan (--dry-run) or execute it with a progress display, then report
 * a summary (text on stderr, or JSON on stdout with --json).
 *
 * All writing happens in the library (temporary file beside the target,
 * fsync, rename). This file only maps options onto tp_convert_options and
 * turns results into output and exit statuses. Option names follow the
 * tools users already know (convert_hf_to_gguf.py, llama-quantize,
 * gguf-split, mlx_lm.convert): --outfile/-o, --outtype/--dtype,
 * --split-max-size, --split-max-tensors, --no-tensor-first-split, ...
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define CONVERT_SCHEMA_VERSION 1
#define CONVERT_USAGE "tensorport convert [OPTIONS] IN OUT"

const char cli_help_convert[] =
    "Usage: tensorport convert [OPTIONS] IN OUT\n"
    "\n"
    "Convert the model IN into OUT. IN may be {inputs}.\n"
    "The output format is --to, or else taken from OUT: {out_extensions}, or a trailing '/' for a folder.\n"
    "Each output is written to a temporary file beside it and renamed when\n"
    "complete, a folder as a whole; a failed or interrupted run leaves\n"
    "nothing behind, and what a killed run left is removed by the next.\n"
    "\n"
    "Output:\n"
    "  -o, --outfile OUT            the output path (instead of the OUT\n"
    "                               argument)\n"
    "      --to FORMAT              output format: {writable}\n"
    "  -f, --force                  replace existing outputs (a folder\n"
    "                               is replaced whole, a link itself)\n"
    "      --dry-run                print the plan (each tensor with its\n"
    "                               types, shape and size; each output file\n"
    "                               with its size) and write nothing\n"
    "      --json                   print the plan (--dry-run) or a summary\n"
    "                               as JSON on stdout\n"
    "      --split-max-size SIZE    start a new output file before SIZE\n"
    "                               bytes; K, M, G, T are decimal (1000^n),\n"
    "                               Ki, Mi, Gi, Ti binary (1024^n)\n"
    "      --split-max-tensors N    at most N tensors per output file\n"
    "      --no-tensor-first-split  {opt:no-tensor-first-split}: the first split holds metadata\n"
    "                               only\n"
    "      --big-endian             {opt:big-endian}: write a big-endian file\n"
    "      --no-sync                do not fsync the outputs (scratch use)\n"
    "      --verify                 re-read the outputs and compare them\n"
    "                               with the source; exit 1 on a mismatch\n"
    "\n"
    "Types:\n"
    "      --type TYPE              element type of the output tensors,\n"
    "                               case-insensitive (f32, f16, bf16, q8_0,\n"
    "                               q4_k, ...); for {opt:preset} outputs also a\n"
    "                               file-type preset (Q4_K_M, Q6_K, Q8_0,\n"
    "                               ...), which wins over the type of the\n"
    "                               same name; aliases --dtype, --outtype\n"
    "      --output-tensor-type TYPE    {opt:output-tensor-type}: type of output.weight\n"
    "      --token-embedding-type TYPE  {opt:token-embedding-type}: type of token_embd.weight\n"
    "      --tensor-type REGEX=TYPE     {opt:tensor-type}: type of the tensors whose\n"
    "                               name matches the POSIX extended regular\n"
    "                               expression (repeatable)\n"
    "      --leave-output-tensor    {opt:leave-output-tensor}: do not quantize output.weight\n"
    "      --pure                   {opt:pure} presets: one type for every tensor\n"

    "      --allow-requantize       allow quantizing quantized tensors\n"    "\n"
    "Hugging Face model folders to {opt:keep-names} (the architecture from\n"
    "config.json, the tokenizer files, as convert_hf_to_gguf.py does):\n"
    "      --keep-names             keep the tensor names and metadata as they\n"
    "                               are (a file llama.cpp does not load)\n"
    "      --tokenizer-pre NAME     tokenizer.ggml.pre when the pre-tokenizer\n"
    "                               is not recognised (a llama.cpp name)\n"
    "      --vocab-only             metadata and tokenizer only, no tensors\n"
    "      --model-name NAME        general.name\n"
    "\n"
    "Execution:\n"
    "      --threads N              worker threads (0: one per CPU, the\n"
    "                               default)\n"
    "      --progress               always show the progress bar\n"
    "      --no-progress            never show progress\n"
    "  -q, --quiet                  print errors only\n"
    "  -v, --verbose                also print the plan on stderr\n"
    "      --color=WHEN             colour error labels: auto, always, never\n"
    "  -h, --help                   show this help and exit\n"
    "\n"
    "Progress goes to stderr: a bar on a terminal, a line every 5 seconds\n"
    "otherwise. The summary (time, bytes, rate, verification) goes to\n"
    "stderr, or to stdout as JSON with --json.\n";

enum {
  OPT_TO = CLI_OPT_FIRST_CMD,
  OPT_TYPE,
  OPT_OUTFILE,
  OPT_THREADS,
  OPT_SPLIT_SIZE,
  OPT_SPLIT_TENSORS,
  OPT_NO_TENSOR_FIRST_SPLIT,
  OPT_FORCE,
  OPT_DRY_RUN,
  OPT_VERIFY,
  OPT_JSON,
  OPT_NO_SYNC,
  OPT_PROGRESS,
  OPT_NO_PROGRESS,
  OPT_BIG_ENDIAN,
  OPT_PURE,
  OPT_ALLOW_REQUANTIZE,
  OPT_OUTPUT_TENSOR_TYPE,
  OPT_TOKEN_EMBEDDING_TYPE,
  OPT_TENSOR_TYPE,
  OPT_LEAVE_OUTPUT_TENSOR,
  OPT_KEEP_NAMES,
  OPT_TOKENIZER_PRE,
  OPT_VOCAB_ONLY,
  OPT_MODEL_NAME
};

static const cli_opt convert_opts[] = {
    {"to", 0, 1, OPT_TO},
    {"type", 0, 1, OPT_TYPE},
    {"dtype", 0, 1, OPT_TYPE},   /* mlx_lm.convert, optimum-cli */
    {"outtype", 0, 1, OPT_TYPE}, /* convert_hf_to_gguf.py */
    {"outfile", 'o', 1, OPT_OUTFILE},
    {"threads", 0, 1, OPT_THREADS},
    {"split-max-size", 0, 1, OPT_SPLIT_SIZE},
    {"split-max-tensors", 0, 1, OPT_SPLIT_TENSORS},
    {"no-tensor-first-split", 0, 0, OPT_NO_TENSOR_FIRST_SPLIT},
    {"force", 'f', 0, OPT_FORCE},
    {"dry-run", 0, 0, OPT_DRY_RUN},
    {"verify", 0, 0, OPT_VERIFY},
    {"json", 0, 0, OPT_JSON},
    {"no-sync", 0, 0, OPT_NO_SYNC},
    {"progress", 0, 0, OPT_PROGRESS},
    {"no-progress", 0, 0, OPT_NO_PROGRESS},
    {"big-endian", 0, 0, OPT_BIG_ENDIAN},
    {"bigendian", 0, 0, OPT_BIG_ENDIAN}, /* convert_hf_to_gguf.py */
    {"pure", 0, 0, OPT_PURE},
    {"allow-requantize", 0, 0, OPT_ALLOW_REQUANTIZE},
    {"output-tensor-type", 0, 1, OPT_OUTPUT_TENSOR_TYPE},
    {"token-embedding-type", 0, 1, OPT_TOKEN_EMBEDDING_TYPE},
    {"tensor-type", 0, 1, OPT_TENSOR_TYPE},
    {"leave-output-tensor", 0, 0, OPT_LEAVE_OUTPUT_TENSOR},
    {"keep-names", 0, 0, OPT_KEEP_NAMES},
    {"tokenizer-pre", 0, 1, OPT_TOKENIZER_PRE},
    {"vocab-only", 0, 0, OPT_VOCAB_ONLY},      /* convert_hf_to_gguf.py */
    {"model-name", 0, 1, OPT_MODEL_NAME},      /* convert_hf_to_gguf.py */
};

/* Everything the command line asked for. */
typedef struct convert_args {
  const char *in, *out;
  tp_convert_options o;
  int dry_run, json, progress;
  const char *split_arg, *split_note;
  tp_tensor_type_rule *rules;
  size_t nrules;
  const char *target_opts[8]; /* options some targets ignore, as given */
  size_t n_target_opts;
} convert_args;

/* Options that only some targets honour (their long names, as the format
 * table lists them in tp_format_info.options). */
static const struct {
  int id;
  const char *name;
} k_target_opts[] = {
    {OPT_BIG_ENDIAN, "big-endian"},
    {OPT_PURE, "pure"},
    {OPT_OUTPUT_TENSOR_TYPE, "output-tensor-type"},
    {OPT_TOKEN_EMBEDDING_TYPE, "token-embedding-type"},
    {OPT_TENSOR_TYPE, "tensor-type"},
    {OPT_LEAVE_OUTPUT_TENSOR, "leave-output-tensor"},
    {OPT_NO_TENSOR_FIRST_SPLIT, "no-tensor-first-split"},
};

/* Remembers a target-specific option (once) so it can be reported as
 * ignored when the output format does not honour it; the library ignores
 * them silently there. */
static void note_target_option(convert_args *a, int id) {
  for (size_t i = 0; i < sizeof k_target_opts / sizeof k_target_opts[0]; i++) {
    if (k_target_opts[i].id != id)
      continue;
    for (size_t k = 0; k < a->n_target_opts; k++)
      if (a->target_opts[k] == k_target_opts[i].name)
        return;
    if (a->n_target_opts < sizeof a->target_opts / sizeof a->target_opts[0])
      a->target_opts[a->n_target_opts++] = k_target_opts[i].name;
  }
}

static int format_honours(tp_format f, const char *option) {
  const tp_format_info *fi = tp_format_info_of(f);
  for (const char *const *o = fi ? fi->options : NULL; o && *o; o++)
    if (!strcmp(*o, option))
      return 1;
  return 0;
}

/* Warns once per group of formats about the options the target ignores:
 * "--big-endian, --pure apply to GGUF output only; ignored for hf output". */
static void warn_ignored_options(const convert_args *a, tp_format target) {
  char list[256] = "", who[128] = "", w[128];
  size_t n = 0;
  for (size_t i = 0; i < a->n_target_opts; i++) {
    if (format_honours(target, a->target_opts[i]))
      continue;
    cli_formats_with_option(w, sizeof w, a->target_opts[i]);
    if (n && strcmp(w, who)) {
      cli_warning("%s appl%s to %s output only; ignored for %s output", list,
                  n == 1 ? "ies" : "y", who, tp_format_name(target));
      list[0] = 0;
      n = 0;
    }
    snprintf(who, sizeof who, "%s", w);
    if (n)
      strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, "--", sizeof list - strlen(list) - 1);
    strncat(list, a->target_opts[i], sizeof list - strlen(list) - 1);
    n++;
  }
  if (n)
    cli_warning("%s appl%s to %s output only; ignored for %s output", list,
                n == 1 ? "ies" : "y", who, tp_format_name(target));
}

/*
 * The single place where --type is interpreted.
 *
 * A GGUF file-type preset (tp_ftype_from_name: Q4_K_M, Q8_0, F16, ...) is
 * tried first, as llama-quantize does, so that "Q8_0" means the preset
 * (norms kept in F32) rather than a blanket element type. A name that is
 * also an element type (F16, BF16, Q8_0, ...) sets the type as well: the
 * library uses presets for GGUF targets only, and other targets need the
 * type. A preset-only name (Q4_K_M) for a non-GGUF target is refused once
 * the target format is known (check_preset_target).
 */
static int apply_type_option(const char *opt, const char *s,
                             tp_convert_options *o) {
  int ft;
  tp_type t;
  tp_status st = tp_ftype_from_name(s, &ft);
  int is_type = tp_type_from_name(s, &t) == TP_OK;
  if (st == TP_EUNSUPPORTED) {
    /* a known preset this build cannot produce: the library says why */
    cli_error("%s %s: %s", opt, s, tp_last_error());
    return -2;
  }
  if (st == TP_OK) {
    o->ftype = ft;
    o->type = is_type ? (int)t : -1;
    return 0;
  }
  if (cli_parse_type(opt, s, &t))
    return -1;
  o->type = (int)t;
  o->ftype = -1;
  return 0;
}

/* Requantizing (allowed by --allow-requantize) compounds two rounding
 * errors; say so once, with an example tensor. */
static void warn_requantize(const tp_plan *plan) {
  size_t n = 0, first = 0;
  tp_plan_tensor t;
  for (size_t i = 0; i < tp_plan_tensor_count(plan); i++) {
    if (tp_plan_tensor_at(plan, i, &t) != TP_OK) continue;
    if (tp_type_is_quantized(t.src_type) && tp_type_is_quantized(t.dst_type) &&
        t.src_type != t.dst_type) {
      if (!n) first = i;
      n++;
    }
  }
  if (!n || tp_plan_tensor_at(plan, first, &t) != TP_OK) return;
  cli_warning("requantizing %zu already quantized tensor%s (e.g. \"%.*s\" %s "
              "-> %s): the result is worse than quantizing the original "
              "F16/F32 model",
              n, n == 1 ? "" : "s", (int)(t.name.len > 80 ? 80 : t.name.len),
              t.name.data, tp_type_name(t.src_type), tp_type_name(t.dst_type));
}

/* Presets exist for GGUF targets only: for other targets a name that is
 * also an element type (F16, Q8_0) means the type, and a preset-only name
 * (Q4_K_M) is a usage error. Returns 0 or the exit status. */
static int check_preset_target(convert_args *a) {
  tp_format fmt = a->o.to != TP_FORMAT_UNKNOWN ? a->o.to
                                               : tp_format_from_output_path(a->out);
  if (a->o.ftype < 0 || fmt == TP_FORMAT_UNKNOWN || format_honours(fmt, "preset"))
    return 0;
  if (a->o.type >= 0) {
    a->o.ftype = -1;
    return 0;
  }
  char who[128];
  cli_formats_with_option(who, sizeof who, "preset");
  cli_error("--type %s is a %s file-type preset; %s output needs an "
            "element type (f32, f16, bf16, ...)",
            tp_ftype_name(a->o.ftype), who, tp_format_name(fmt));
  return CLI_EXIT_USAGE;
}

static int add_tensor_type_rule(convert_args *a, const char *opt,
                                const char *s) {
  /* The type never contains '=', a regular expression might: split at the
   * last one. */
  const char *eq = strrchr(s, '=');
  if (!eq || eq == s || !eq[1]) {
    cli_usage_error("invalid value '%s' for %s (expected REGEX=TYPE, e.g. "
                    "'attn_v\\.weight=q8_0')",
                    s, opt);
    return -1;
  }
  size_t plen = (size_t)(eq - s);
  char *pattern = malloc(plen + 1);
  if (!pattern) {
    cli_error("out of memory");
    return -1;
  }
  memcpy(pattern, s, plen);
  pattern[plen] = '\0';
  /* Compile once here so a bad expression is a usage error (64) naming the
   * option, not a conversion failure after the input was opened. */
  regex_t re;
  int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[128];
    regerror(rc, &re, why, sizeof why);
    cli_usage_error("invalid regular expression '%s' for %s: %s", pattern,
                    opt, why);
    free(pattern);
    return -1;
  }
  regfree(&re);
  tp_type t;
  if (cli_parse_type(opt, eq + 1, &t)) {
    free(pattern);
    return -1;
  }
  tp_tensor_type_rule *r =
      realloc(a->rules, (a->nrules + 1) * sizeof *a->rules);
  if (!r) {
    free(pattern);
    cli_error("out of memory");
    return -1;
  }
  a->rules = r;
  a->rules[a->nrules].pattern = pattern;
  a->rules[a->nrules].type = t;
  a->nrules++;
  return 0;
}

static void free_args(convert_args *a) {
  for (size_t i = 0; i < a->nrules; i++)
    free((char *)a->rules[i].pattern);
  free(a->rules);
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(convert_args *a, int argc, char **argv) {
  cli_parser p;
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  uint64_t u;
  tp_type t;
  tp_convert_options init = TP_CONVERT_OPTIONS_INIT;
  a->o = init;
  a->progress = CLI_PROGRESS_AUTO;
  cli_parser_init(&p, "convert", CONVERT_USAGE, convert_opts,
                  sizeof convert_opts / sizeof convert_opts[0], argc, argv);
  for (;;) {
    int id;
    const char *v;
    int r = cli_next_option(&p, pos, 2, &npos, &id, &v);
    if (r == CLI_ARG_END)
      break;
    if (r == CLI_ARG_ERROR)
      return CLI_EXIT_USAGE;
    const char *on = cli_opt_name(&p);
    note_target_option(a, id);
    switch (id) {
    case OPT_TO:
      if (cli_parse_format(on, v, &a->o.to))
        return CLI_EXIT_USAGE;
      break;
    case OPT_TYPE: {
      int r2 = apply_type_option(on, v, &a->o);
      if (r2 == -2)
        return CLI_EXIT_INPUT; /* unsupported preset, as TP_EUNSUPPORTED */
      if (r2)
        return CLI_EXIT_USAGE;
      break;
    }
    case OPT_OUTFILE:
      if (a->out && strcmp(a->out, v))
        return cli_usage_error("%s given twice", on);
      a->out = v;
      break;
    case OPT_THREADS:
      if (cli_parse_threads(on, v, &a->o.threads))
        return CLI_EXIT_USAGE;
      break;
    case OPT_SPLIT_SIZE:
      if (cli_parse_size(on, v, &a->o.split_max_size, &a->split_note))
        return CLI_EXIT_USAGE;
      a->split_arg = v;
      break;
    case OPT_SPLIT_TENSORS:
      if (cli_parse_u64(on, v, &u))
        return CLI_EXIT_USAGE;
      a->o.split_max_tensors = u;
      break;
    case OPT_NO_TENSOR_FIRST_SPLIT:
      a->o.flags |= TP_CONVERT_NO_TENSOR_FIRST_SPLIT;
      break;
    case OPT_FORCE:
      a->o.flags |= TP_CONVERT_FORCE;
      break;
    case OPT_DRY_RUN:
      a->dry_run = 1;
      break;
    case OPT_VERIFY:
      a->o.flags |= TP_CONVERT_VERIFY;
      break;
    case OPT_JSON:
      a->json = 1;
      break;
    case OPT_NO_SYNC:
      a->o.flags |= TP_CONVERT_NO_SYNC;
      break;
    case OPT_PROGRESS:
      a->progress = CLI_PROGRESS_ON;
      break;
    case OPT_NO_PROGRESS:
      a->progress = CLI_PROGRESS_OFF;
      break;
    case OPT_BIG_ENDIAN:
      a->o.flags |= TP_CONVERT_BIG_ENDIAN;
      break;
    case OPT_PURE:
      a->o.flags |= TP_CONVERT_PURE;
      break;
    case OPT_KEEP_NAMES:
      a->o.flags |= TP_CONVERT_KEEP_NAMES;
      break;
    case OPT_VOCAB_ONLY:
      a->o.flags |= TP_CONVERT_VOCAB_ONLY;
      break;
    case OPT_TOKENIZER_PRE:
      a->o.tokenizer_pre = v;
      break;
    case OPT_MODEL_NAME:
      a->o.model_name = v;
      break;
    case OPT_ALLOW_REQUANTIZE:
      a->o.flags |= TP_CONVERT_ALLOW_REQUANTIZE;
      break;
    case OPT_LEAVE_OUTPUT_TENSOR:
      a->o.flags |= TP_CONVERT_LEAVE_OUTPUT_TENSOR;
      break;
    case OPT_OUTPUT_TENSOR_TYPE:
      if (cli_parse_type(on, v, &t))
        return CLI_EXIT_USAGE;
      a->o.output_tensor_type = (int)t;
      break;
    case OPT_TOKEN_EMBEDDING_TYPE:
      if (cli_parse_type(on, v, &t))
        return CLI_EXIT_USAGE;
      a->o.token_embedding_type = (int)t;
      break;
    case OPT_TENSOR_TYPE:
      if (add_tensor_type_rule(a, on, v))
        return CLI_EXIT_USAGE;
      break;
    default: {
      int rc = cli_default_option(&p, id, v, cli_help_convert);
      if (rc >= 0)
        return rc;
    }
    }
  }
  a->in = pos[0];
  if (pos[1]) {
    if (a->out && strcmp(a->out, pos[1]))
      return cli_usage_error("output given twice ('%s' and '%s')", a->out,
                             pos[1]);
    a->out = pos[1];
  }
  if (!a->in)
    return cli_usage_error("missing input IN");
  if (!a->out)
    return cli_usage_error("missing output OUT (or --outfile)");
  /* There is no stream mode: model formats need seeking, and binary data
   * must never be sent to a terminal. */
  if (!strcmp(a->out, "-"))
    return cli_usage_error("cannot write a model to standard output; give "
                           "an output path");
  if (!strcmp(a->in, "-"))
    return cli_usage_error("cannot read a model from standard input; give "
                           "an input path");
  a->o.type_rules = a->rules;
  a->o.n_type_rules = a->nrules;
  return -1;
}

/* ---- the plan --------------------------------------------------------------- */

/* ", plus 12 side files" (an index, copied config and tokenizer files)
 * after the count of the files that hold tensors; "" without side files.
 * Returns the number of model files. */
static size_t count_files(tp_plan *plan, char *side, size_t len) {
  size_t nf = tp_plan_file_count(plan), ns = 0;
  for (size_t i = 0; i < nf; i++)
    ns += tp_plan_file_is_side(plan, i) != 0;
  if (ns)
    snprintf(side, len, ", plus %zu side file%s", ns, ns == 1 ? "" : "s");
  else
    side[0] = 0;
  return nf - ns;
}

static void print_plan_text(FILE *f, tp_plan *plan, const tp_model *m,
                            const char *in, const char *out, int ftype) {
  size_t n = tp_plan_tensor_count(plan), nf = tp_plan_file_count(plan);
  size_t wname = 4, wtypes = 5, wshape = 5, wbytes = 5, wfile = 4;
  uint64_t total = 0;
  char buf[CLI_SHAPE_BUF];
  /* First pass: column widths, so the table lines up however long the
   * names are. */
  for (size_t i = 0; i < n; i++) {
    tp_plan_tensor t;
    size_t l;
    if (tp_plan_tensor_at(plan, i, &t) != TP_OK)
      continue;
    l = cli_name_width(t.name.data, t.name.len);
    wname = l > wname ? l : wname;
    l = strlen(tp_type_name(t.src_type)) + 4 + strlen(tp_type_name(t.dst_type));
    wtypes = l > wtypes ? l : wtypes;
    cli_fmt_shape(buf, sizeof buf, t.ndim, t.shape, 0);
    wshape = strlen(buf) > wshape ? strlen(buf) : wshape;
    l = (size_t)snprintf(buf, sizeof buf, "%llu",
                         (unsigned long long)t.dst_nbytes);
    wbytes = l > wbytes ? l : wbytes;
  }
  fprintf(f, "plan: %s (%s) -> %s (%s", in,
          tp_format_name(tp_model_format(m)), out,
          tp_format_name(tp_plan_format(plan)));
  if (ftype >= 0 && format_honours(tp_plan_format(plan), "preset"))
    fprintf(f, ", preset %s", tp_ftype_name(ftype));
  fprintf(f, "), %zu tensor%s\n", n, n == 1 ? "" : "s");
  fprintf(f, "  %-*s  %-*s  %-*s  %*s", (int)wname, "name", (int)wtypes,
          "types", (int)wshape, "shape", (int)wbytes, "bytes");
  if (nf > 1)
    fprintf(f, "  %*s", (int)wfile, "file");
  fputc('\n', f);
  for (size_t i = 0; i < n; i++) {
    tp_plan_tensor t;
    if (tp_plan_tensor_at(plan, i, &t) != TP_OK)
      continue;
    fputs("  ", f);
    size_t w = cli_print_name(f, t.name.data, t.name.len);
    snprintf(buf, sizeof buf, "%s -> %s", tp_type_name(t.src_type),
             tp_type_name(t.dst_type));
    fprintf(f, "%*s  %-*s  ", (int)(wname - w), "", (int)wtypes, buf);
    cli_fmt_shape(buf, sizeof buf, t.ndim, t.shape, 0);
    fprintf(f, "%-*s  %*llu", (int)wshape, buf, (int)wbytes,
            (unsigned long long)t.dst_nbytes);
    if (nf > 1)
      fprintf(f, "  %*u", (int)wfile, t.out_file);
    if (t.note) /* the library's reason for the type, as a comment */
      fprintf(f, "  # %s", t.note);
    fputc('\n', f);
  }
  fprintf(f, "output file%s:\n", nf == 1 ? "" : "s");
  for (size_t i = 0; i < nf; i++) {
    uint64_t sz = tp_plan_file_size(plan, i);
    total += sz;
    cli_fmt_approx(buf, sizeof buf, sz, 1);
    fprintf(f, "  %s  %llu bytes%s\n", tp_plan_file_path(plan, i),
            (unsigned long long)sz, buf);
  }
  char side[48];
  size_t nm = count_files(plan, side, sizeof side);
  cli_fmt_approx(buf, sizeof buf, total, 1);
  fprintf(f, "total: %zu tensor%s, %llu bytes%s in %zu file%s%s\n", n,
          n == 1 ? "" : "s", (unsigned long long)total, buf, nm,
          nm == 1 ? "" : "s", side);
}

static json_t *files_json(tp_plan *plan) {
  json_t *files = json_array();
  for (size_t i = 0; i < tp_plan_file_count(plan); i++) {
    const char *fp = tp_plan_file_path(plan, i);
    json_t *f = json_object();
    json_object_set_new(f, "path", cli_json_string(fp, strlen(fp)));
    json_object_set_new(f, "size", cli_json_u64(tp_plan_file_size(plan, i)));
    json_array_append_new(files, f);
  }
  return files;
}

static json_t *head_json(const convert_args *a, tp_plan *plan,
                         const tp_model *m) {
  json_t *root = json_object();
  json_t *in = json_object(), *out = json_object();
  json_object_set_new(root, "schema_version",
                      json_integer(CONVERT_SCHEMA_VERSION));
  json_object_set_new(root, "dry_run", json_boolean(a->dry_run));
  json_object_set_new(in, "path", cli_json_string(a->in, strlen(a->in)));
  json_object_set_new(in, "format",
                      json_string(tp_format_name(tp_model_format(m))));
  json_object_set_new(out, "path", cli_json_string(a->out, strlen(a->out)));
  json_object_set_new(out, "format",
                      json_string(tp_format_name(tp_plan_format(plan))));
  json_object_set_new(out, "preset",
                      tp_plan_ftype(plan) >= 0 && format_honours(tp_plan_format(plan), "preset")
                          ? json_string(tp_ftype_name(tp_plan_ftype(plan)))
                          : json_null());
  json_object_set_new(root, "input", in);
  json_object_set_new(root, "output", out);
  return root;
}

static json_t *plan_json(const convert_args *a, tp_plan *plan,
                         const tp_model *m) {
  json_t *root = head_json(a, plan, m);
  json_t *tensors = json_array();
  uint64_t total = 0;
  size_t n = tp_plan_tensor_count(plan);
  for (size_t i = 0; i < n; i++) {
    tp_plan_tensor t;
    if (tp_plan_tensor_at(plan, i, &t) != TP_OK)
      continue;
    json_t *e = json_object();
    json_object_set_new(e, "name", cli_json_string(t.name.data, t.name.len));
    json_object_set_new(e, "src_type", json_string(tp_type_name(t.src_type)));
    json_object_set_new(e, "dst_type", json_string(tp_type_name(t.dst_type)));
    json_object_set_new(e, "shape", cli_json_shape(t.ndim, t.shape, 0));
    json_object_set_new(e, "src_nbytes", cli_json_u64(t.src_nbytes));
    json_object_set_new(e, "nbytes", cli_json_u64(t.dst_nbytes));
    json_object_set_new(e, "file", cli_json_u64(t.out_file));
    json_object_set_new(e, "offset", cli_json_u64(t.out_offset));
    json_object_set_new(e, "note", t.note ? cli_json_string(t.note,
                                                            strlen(t.note))
                                          : json_null());
    json_array_append_new(tensors, e);
  }
  json_object_set_new(root, "tensors", tensors);
  json_object_set_new(root, "files", files_json(plan));
  for (size_t i = 0; i < tp_plan_file_count(plan); i++)
    total += tp_plan_file_size(plan, i);
  json_t *tot = json_object();
  json_object_set_new(tot, "tensors", cli_json_u64(n));
  json_object_set_new(tot, "files", cli_json_u64(tp_plan_file_count(plan)));
  json_object_set_new(tot, "bytes", cli_json_u64(total));
  json_object_set_new(root, "totals", tot);
  return root;
}

/* ---- the run ------------------------------------------------------------------- */

static void print_summary(tp_plan *plan, const tp_convert_result *res) {
  char hb[24], hr[24], e1[32], e2[32], side[48];
  size_t nf = tp_plan_file_count(plan);
  size_t nm = count_files(plan, side, sizeof side);
  double rate = res->seconds > 0 ? (double)res->bytes_written / res->seconds
                                 : 0.0;
  cli_fmt_approx(hb, sizeof hb, res->bytes_written, 1);
  cli_fmt_human(hr, sizeof hr, (uint64_t)rate);
  cli_info("wrote %llu tensor%s to %zu file%s%s: %llu bytes of data%s in "
           "%.2f s (%s/s)",
           (unsigned long long)res->tensors_written,
           res->tensors_written == 1 ? "" : "s", nm, nm == 1 ? "" : "s", side,
           (unsigned long long)res->bytes_written, hb, res->seconds, hr);
  for (size_t i = 0; i < nf; i++) {
    uint64_t sz = tp_plan_file_size(plan, i);
    cli_fmt_approx(hb, sizeof hb, sz, 1);
    cli_info("  %s  %llu bytes%s", tp_plan_file_path(plan, i),
             (unsigned long long)sz, hb);
  }
  if (res->verified && res->verify_lossy == 0) {
    cli_info("verified: %llu tensor%s bit-identical to the source",
             (unsigned long long)res->verify_lossless_identical,
             res->verify_lossless_identical == 1 ? "" : "s");
  } else if (res->verified) {
    cli_fmt_stat(e1, sizeof e1, res->verify_max_abs_err);
    cli_fmt_stat(e2, sizeof e2, res->verify_max_rel_rmse);
    cli_info("verified: %llu lossless tensor%s bit-identical; %llu lossy "
             "(max abs error %s, worst relative RMS error %s)",
             (unsigned long long)res->verify_lossless_identical,
             res->verify_lossless_identical == 1 ? "" : "s",
             (unsigned long long)res->verify_lossy, e1, e2);
  }
}

static json_t *result_json(const convert_args *a, tp_plan *plan,
                           const tp_model *m, const tp_convert_result *res) {
  json_t *root = head_json(a, plan, m);
  json_object_set_new(root, "files", files_json(plan));
  json_object_set_new(root, "tensors", cli_json_u64(res->tensors_written));
  json_object_set_new(root, "bytes_written", cli_json_u64(res->bytes_written));
  json_object_set_new(root, "seconds", cli_json_double(res->seconds));
  if (res->verified) {
    json_t *v = json_object();
    json_object_set_new(v, "lossless_identical",
                        cli_json_u64(res->verify_lossless_identical));
    json_object_set_new(v, "lossy", cli_json_u64(res->verify_lossy));
    json_object_set_new(v, "max_abs_err",
                        cli_json_double(res->verify_max_abs_err));
    json_object_set_new(v, "max_rel_err",
                        cli_json_double(res->verify_max_rel_err));
    json_object_set_new(v, "max_rel_rmse",
                        cli_json_double(res->verify_max_rel_rmse));
    json_object_set_new(root, "verify", v);
  } else {
    json_object_set_new(root, "verify", json_null());
  }
  return root;
}

static int run(convert_args *a) {
  tp_model *m = NULL;
  tp_plan *plan = NULL;
  tp_status st;
  int rc;
  cli_progress pr;
  tp_convert_result res;

  /* Decimal versus binary units confused gguf-split users for months
   * (llama.cpp#6634, #7803): always say which one was applied. */
  if (a->split_arg && a->split_note)
    cli_info("split size %s = %llu bytes (%s)", a->split_arg,
             (unsigned long long)a->o.split_max_size, a->split_note);

  cli_signals_install(CLI_SIGNALS_CANCEL);
  st = tp_model_open(&m, a->in, NULL);
  if (st != TP_OK)
    return cli_fail(st);
  if (cli_signal_received()) {
    tp_model_free(m);
    return cli_interrupted("nothing was written");
  }

  rc = check_preset_target(a);
  if (rc) {
    tp_model_free(m);
    return rc;
  }
  cli_progress_init(&pr, a->dry_run ? CLI_PROGRESS_OFF : a->progress);
  a->o.progress = cli_progress_cb;
  a->o.progress_user = &pr;
  st = tp_plan_create(&plan, m, a->out, &a->o);
  if (st == TP_EINVAL) {
    /* tp_plan_create's EINVAL means an option combination the target
     * cannot honour (e.g. --big-endian for SafeTensors): a usage error. */
    cli_error("%s", tp_last_error()[0] ? tp_last_error() : tp_strerror(st));
    tp_model_free(m);
    return CLI_EXIT_USAGE;
  }
  if (st != TP_OK) {
    rc = cli_fail(st);
    tp_model_free(m);
    return rc;
  }

  warn_ignored_options(a, tp_plan_format(plan));

  warn_requantize(plan);

  if (a->dry_run) {
    if (a->json) {
      json_t *doc = plan_json(a, plan, m);
      cli_json_print(stdout, doc);
      json_decref(doc);
    } else {
      print_plan_text(stdout, plan, m, a->in, a->out, tp_plan_ftype(plan));
    }
    tp_plan_free(plan);
    tp_model_free(m);
    return cli_finish_stdout(CLI_EXIT_OK);
  }

  if (g_cli.verbosity >= 2)
    print_plan_text(stderr, plan, m, a->in, a->out, tp_plan_ftype(plan));
  if (cli_signal_received()) {
    tp_plan_free(plan);
    tp_model_free(m);
    return cli_interrupted("nothing was written");
  }

  struct stat sb;
  int existed = lstat(a->out, &sb) == 0;
  memset(&res, 0, sizeof res);
  cli_progress_init(&pr, a->progress); /* the clock starts now */
  double t0 = cli_now();
  tp_notices_clear();
  st = tp_plan_execute(plan, &res);
  cli_progress_finish(&pr);
  /* what the run cleaned up for earlier, interrupted ones */
  cli_print_notices();
  if (res.seconds <= 0)
    res.seconds = cli_now() - t0;
  if (st == TP_ECANCELED && cli_signal_received()) {
    rc = cli_interrupted("removed the partial output; %s %s", a->out,
                         existed ? "is unchanged" : "was not created");
  } else if (st != TP_OK) {
    rc = cli_fail(st);
  } else {
    print_summary(plan, &res);
    rc = CLI_EXIT_OK;
    if (a->json) {
      json_t *doc = result_json(a, plan, m, &res);
      cli_json_print(stdout, doc);
      json_decref(doc);
      rc = cli_finish_stdout(rc);
    }
  }
  tp_plan_free(plan);
  tp_model_free(m);
  return rc;
}

int cmd_convert(int argc, char **argv) {
  convert_args a;
  memset(&a, 0, sizeof a);
  int rc = parse_args(&a, argc, argv);
  if (rc < 0)
    rc = run(&a);
  free_args(&a);
  return rc;
}
