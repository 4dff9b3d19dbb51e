/*
 * cmd_diff.c - "tensorport diff A B": compares the tensors of two models
 * (any supported formats) by name with tp_diff_models and reports missing
 * and extra tensors, shape and type differences and value statistics.
 * Exit status 0 when identical, 1 when different, like diff(1) and cmp(1).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DIFF_SCHEMA_VERSION 1
#define DIFF_USAGE "tensorport diff [OPTIONS] A B"

const char cli_help_diff[] =
    "Usage: tensorport diff [OPTIONS] A B\n"
    "\n"
    "Compare the tensors of two models by name; each may be {inputs}.\n"
    "Lists the tensors only in A or only in B, shape and type differences,\n"
    "and for tensors compared by value the maximum absolute and relative\n"
    "error. Tensors of different element types are compared after decoding\n"
    "to double. Exit status 0 when the models are identical, 1 when they\n"
    "differ.\n"
    "\n"
    "Options:\n"
    "      --json         print every tensor with its kind and statistics\n"
    "                     as one JSON document on stdout\n"
    "      --threads N    worker threads (0: one per CPU, the default)\n"
    "      --progress     always show the progress bar (on stderr)\n"
    "      --no-progress  never show progress\n"
    "  -q, --quiet        print nothing; only the exit status tells\n"
    "  -v, --verbose      also list identical tensors\n"
    "      --color=WHEN   colour error labels: auto, always, never\n"
    "  -h, --help         show this help and exit\n";

enum { OPT_JSON = CLI_OPT_FIRST_CMD, OPT_THREADS, OPT_PROGRESS, OPT_NO_PROGRESS };

static const cli_opt diff_opts[] = {
    {"json", 0, 0, OPT_JSON},
    {"threads", 0, 1, OPT_THREADS},
    {"progress", 0, 0, OPT_PROGRESS},
    {"no-progress", 0, 0, OPT_NO_PROGRESS},
};

static const char *kind_name(tp_diff_kind k) {
  switch (k) {
  case TP_DIFF_SAME:
    return "same";
  case TP_DIFF_VALUES:
    return "values";
  case TP_DIFF_TYPE:
    return "type";
  case TP_DIFF_SHAPE:
    return "shape";
  case TP_DIFF_ONLY_A:
    return "only_a";
  case TP_DIFF_ONLY_B:
    return "only_b";
  }
  return "?";
}

/* Text labels: what a reader scanning the list needs to see first. */
static const char *kind_label(tp_diff_kind k) {
  switch (k) {
  case TP_DIFF_SAME:
    return "same";
  case TP_DIFF_VALUES:
    return "values differ";
  case TP_DIFF_TYPE:
    return "type differs";
  case TP_DIFF_SHAPE:
    return "shape differs";
  case TP_DIFF_ONLY_A:
    return "only in A";
  case TP_DIFF_ONLY_B:
    return "only in B";
  }
  return "?";
}

static int get_info(const tp_model *m, size_t idx, tp_tensor_info *ti) {
  return idx != (size_t)-1 && tp_model_tensor(m, idx, ti) == TP_OK;
}

static json_t *stats_json(const tp_compare_stats *s) {
  json_t *o = json_object();
  json_object_set_new(o, "identical", json_boolean(s->identical));
  json_object_set_new(o, "n_different", cli_json_u64(s->n_different));
  json_object_set_new(o, "max_abs_err", cli_json_double(s->max_abs_err));
  json_object_set_new(o, "max_rel_err", cli_json_double(s->max_rel_err));
  json_object_set_new(o, "rmse", cli_json_double(s->rmse));
  json_object_set_new(o, "rel_rmse", cli_json_double(s->rel_rmse));
  json_object_set_new(o, "n_nan_mismatch", cli_json_u64(s->n_nan_mismatch));
  return o;
}

static json_t *side_json(const tp_model *m, const char *path) {
  json_t *o = json_object();
  json_object_set_new(o, "path", cli_json_string(path, strlen(path)));
  json_object_set_new(o, "format",
                      json_string(tp_format_name(tp_model_format(m))));
  json_object_set_new(o, "tensors", cli_json_u64(tp_model_tensor_count(m)));
  return o;
}

static json_t *diff_json(const tp_diff *d, const tp_model *a,
                         const tp_model *b, const char *pa, const char *pb,
                         const uint64_t counts[6]) {
  json_t *root = json_object();
  json_object_set_new(root, "schema_version",
                      json_integer(DIFF_SCHEMA_VERSION));
  json_object_set_new(root, "a", side_json(a, pa));
  json_object_set_new(root, "b", side_json(b, pb));
  json_object_set_new(root, "identical", json_boolean(tp_diff_identical(d)));
  json_t *arr = json_array();
  for (size_t i = 0; i < tp_diff_count(d); i++) {
    const tp_diff_entry *e = tp_diff_at(d, i);
    tp_tensor_info ta, tb;
    int has_a = get_info(a, e->index_a, &ta), has_b = get_info(b, e->index_b, &tb);
    json_t *o = json_object();
    json_object_set_new(o, "name", cli_json_string(e->name.data, e->name.len));
    json_object_set_new(o, "kind", json_string(kind_name(e->kind)));
    json_object_set_new(o, "index_a",
                        has_a ? cli_json_u64(e->index_a) : json_null());
    json_object_set_new(o, "index_b",
                        has_b ? cli_json_u64(e->index_b) : json_null());
    json_object_set_new(o, "type_a",
                        has_a ? json_string(tp_type_name(ta.type)) : json_null());
    json_object_set_new(o, "type_b",
                        has_b ? json_string(tp_type_name(tb.type)) : json_null());
    json_object_set_new(o, "shape_a", has_a ? cli_json_shape(ta.ndim, ta.shape, 0)
                                            : json_null());
    json_object_set_new(o, "shape_b", has_b ? cli_json_shape(tb.ndim, tb.shape, 0)
                                            : json_null());
    /* Statistics exist only where values were compared. */
    int compared = e->kind == TP_DIFF_SAME || e->kind == TP_DIFF_VALUES ||
                   e->kind == TP_DIFF_TYPE;
    json_object_set_new(o, "stats", compared ? stats_json(&e->stats)
                                             : json_null());
    json_array_append_new(arr, o);
  }
  json_object_set_new(root, "tensors", arr);
  json_t *s = json_object();
  for (int k = 0; k < 6; k++)
    json_object_set_new(s, kind_name((tp_diff_kind)k), cli_json_u64(counts[k]));
  json_object_set_new(root, "summary", s);
  return root;
}

static void print_stats(const tp_compare_stats *s, uint64_t nelements) {
  char e1[32], e2[32], e3[32];
  if (s->identical) {
    fputs("  values identical", stdout);
    return;
  }
  cli_fmt_stat(e1, sizeof e1, s->max_abs_err);
  cli_fmt_stat(e2, sizeof e2, s->max_rel_err);
  cli_fmt_stat(e3, sizeof e3, s->rel_rmse);
  printf("  max abs err %s, max rel err %s, rel RMS err %s, %llu of %llu "
         "differ",
         e1, e2, e3, (unsigned long long)s->n_different,
         (unsigned long long)nelements);
  if (s->n_nan_mismatch)
    printf(", %llu NaN in one side only",
           (unsigned long long)s->n_nan_mismatch);
}

static void diff_text(const tp_diff *d, const tp_model *a, const tp_model *b,
                      const char *pa, const char *pb,
                      const uint64_t counts[6]) {
  char s1[CLI_SHAPE_BUF], s2[CLI_SHAPE_BUF];
  printf("A: %s (%s, %zu tensors)\n", pa, tp_format_name(tp_model_format(a)),
         tp_model_tensor_count(a));
  printf("B: %s (%s, %zu tensors)\n", pb, tp_format_name(tp_model_format(b)),
         tp_model_tensor_count(b));
  for (size_t i = 0; i < tp_diff_count(d); i++) {
    const tp_diff_entry *e = tp_diff_at(d, i);
    tp_tensor_info ta, tb;
    int has_a = get_info(a, e->index_a, &ta), has_b = get_info(b, e->index_b, &tb);
    if (e->kind == TP_DIFF_SAME && g_cli.verbosity < 2)
      continue;
    printf("%-13s  ", kind_label(e->kind));
    cli_print_name(stdout, e->name.data, e->name.len);
    switch (e->kind) {
    case TP_DIFF_SAME:
      if (has_a) {
        cli_fmt_shape(s1, sizeof s1, ta.ndim, ta.shape, 0);
        printf("  %s %s", tp_type_name(ta.type), s1);
      }
      break;
    case TP_DIFF_VALUES:
      if (has_a) {
        cli_fmt_shape(s1, sizeof s1, ta.ndim, ta.shape, 0);
        printf("  %s %s", tp_type_name(ta.type), s1);
      }
      print_stats(&e->stats, has_a ? ta.nelements : 0);
      break;
    case TP_DIFF_TYPE:
      if (has_a && has_b)
        printf("  %s vs %s", tp_type_name(ta.type), tp_type_name(tb.type));
      print_stats(&e->stats, has_a ? ta.nelements : 0);
      break;
    case TP_DIFF_SHAPE:
      if (has_a && has_b) {
        cli_fmt_shape(s1, sizeof s1, ta.ndim, ta.shape, 0);
        cli_fmt_shape(s2, sizeof s2, tb.ndim, tb.shape, 0);
        printf("  %s %s vs %s %s", tp_type_name(ta.type), s1,
               tp_type_name(tb.type), s2);
      }
      break;
    case TP_DIFF_ONLY_A:
      if (has_a) {
        cli_fmt_shape(s1, sizeof s1, ta.ndim, ta.shape, 0);
        printf("  %s %s", tp_type_name(ta.type), s1);
      }
      break;
    case TP_DIFF_ONLY_B:
      if (has_b) {
        cli_fmt_shape(s2, sizeof s2, tb.ndim, tb.shape, 0);
        printf("  %s %s", tp_type_name(tb.type), s2);
      }
      break;
    }
    fputc('\n', stdout);
  }
  printf("summary: %s; %llu same, %llu values differ, %llu type differs, "
         "%llu shape differs, %llu only in A, %llu only in B\n",
         tp_diff_identical(d) ? "identical" : "different",
         (unsigned long long)counts[TP_DIFF_SAME],
         (unsigned long long)counts[TP_DIFF_VALUES],
         (unsigned long long)counts[TP_DIFF_TYPE],
         (unsigned long long)counts[TP_DIFF_SHAPE],
         (unsigned long long)counts[TP_DIFF_ONLY_A],
         (unsigned long long)counts[TP_DIFF_ONLY_B]);
}

int cmd_diff(int argc, char **argv) {
  cli_parser p;
  const char *pos[2] = {NULL, NULL};
  int npos = 0, json = 0, progress = CLI_PROGRESS_AUTO;
  unsigned threads = 0;
  cli_parser_init(&p, "diff", DIFF_USAGE, diff_opts,
                  sizeof diff_opts / sizeof diff_opts[0], argc, argv);
  for (;;) {
    int id;
    const char *v;
    int r = cli_next_option(&p, pos, 2, &npos, &id, &v);
    if (r == CLI_ARG_END)
      break;
    if (r == CLI_ARG_ERROR)
      return CLI_EXIT_USAGE;
    switch (id) {
    case OPT_JSON:
      json = 1;
      break;
    case OPT_THREADS:
      if (cli_parse_threads(cli_opt_name(&p), v, &threads))
        return CLI_EXIT_USAGE;
      break;
    case OPT_PROGRESS:
      progress = CLI_PROGRESS_ON;
      break;
    case OPT_NO_PROGRESS:
      progress = CLI_PROGRESS_OFF;
      break;
    default: {
      int rc = cli_default_option(&p, id, v, cli_help_diff);
      if (rc >= 0)
        return rc;
    }
    }
  }
  if (npos < 2)
    return cli_usage_error(npos ? "missing B" : "missing A and B");
  cli_signals_install(CLI_SIGNALS_EXIT);

  tp_model *a = NULL, *b = NULL;
  tp_diff *d = NULL;
  tp_status st = tp_model_open(&a, pos[0], NULL);
  if (st == TP_OK)
    st = tp_model_open(&b, pos[1], NULL);
  if (st == TP_OK) {
    cli_progress pr;
    cli_progress_init(&pr, progress);
    st = tp_diff_models_progress(&d, a, b, threads, cli_progress_cb, &pr);
    cli_progress_finish(&pr);
  }
  int rc;
  if (st != TP_OK) {
    rc = cli_fail(st);
  } else {
    uint64_t counts[6] = {0};
    for (size_t i = 0; i < tp_diff_count(d); i++) {
      unsigned k = (unsigned)tp_diff_at(d, i)->kind;
      if (k < 6)
        counts[k]++;
    }
    rc = tp_diff_identical(d) ? CLI_EXIT_OK : CLI_EXIT_DIFFERENT;
    if (g_cli.verbosity >= 1) {
      if (json) {
        json_t *doc = diff_json(d, a, b, pos[0], pos[1], counts);
        cli_json_print(stdout, doc);
        json_decref(doc);
      } else {
        diff_text(d, a, b, pos[0], pos[1], counts);
      }
    }
    rc = cli_finish_stdout(rc);
  }
  tp_diff_free(d);
  tp_model_free(b);
  tp_model_free(a);
  return rc;
}
