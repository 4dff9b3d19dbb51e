/*
 * args.c - command-line parsing for tensorport: a small table-driven option
 * scanner (options anywhere, "--" ends options, --x=V and --x V, grouped
 * short flags, "_" read as "-") and checked value parsers (numbers, sizes,
 * types, formats). getopt_long is not used because it permutes argv only
 * in GNU libc and does not normalise underscores.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* The options every subcommand accepts, before its own table. */
static const cli_opt common_opts[] = {
    {"help", 'h', 0, CLI_OPT_HELP},
    {"quiet", 'q', 0, CLI_OPT_QUIET},
    {"verbose", 'v', 0, CLI_OPT_VERBOSE},
    {"color", 0, 1, CLI_OPT_COLOR},
    {"colour", 0, 1, CLI_OPT_COLOR},
};

void cli_parser_init(cli_parser *p, const char *cmd, const char *usage,
                     const cli_opt *opts, size_t nopts, int argc,
                     char **argv) {
  memset(p, 0, sizeof *p);
  p->opts = opts;
  p->nopts = nopts;
  p->argc = argc;
  p->argv = argv;
  p->i = 1; /* argv[0] is the subcommand (or the program) */
  /* usage errors from here on (value parsers included) name this command */
  g_cli.cmd = cmd;
  g_cli.usage = usage;
}

int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  char msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cli_error("%s", msg);
  if (g_cli.usage)
    fprintf(stderr, "Usage: %s\n", g_cli.usage);
  if (g_cli.cmd)
    fprintf(stderr, "Try 'tensorport %s --help' for more information.\n",
            g_cli.cmd);
  else
    fprintf(stderr, "Try 'tensorport --help' for more information.\n");
  return CLI_EXIT_USAGE;
}

static const cli_opt *find_long(const cli_parser *p, const char *name) {
  for (size_t k = 0; k < sizeof common_opts / sizeof common_opts[0]; k++)
    if (!strcmp(common_opts[k].long_name, name))
      return &common_opts[k];
  for (size_t k = 0; k < p->nopts; k++)
    if (!strcmp(p->opts[k].long_name, name))
      return &p->opts[k];
  return NULL;
}

static const cli_opt *find_short(const cli_parser *p, char c) {
  for (size_t k = 0; k < sizeof common_opts / sizeof common_opts[0]; k++)
    if (common_opts[k].short_name == c)
      return &common_opts[k];
  for (size_t k = 0; k < p->nopts; k++)
    if (p->opts[k].short_name == c)
      return &p->opts[k];
  return NULL;
}

const char *cli_opt_name(const cli_parser *p) { return p->namebuf; }

static int parse_short(cli_parser *p, int *id, const char **value) {
  char c = *p->short_rest++;
  const cli_opt *o = find_short(p, c);
  snprintf(p->namebuf, sizeof p->namebuf, "-%c", c);
  if (!o) {
    p->short_rest = NULL;
    cli_usage_error("unknown option '-%c'", c);
    return CLI_ARG_ERROR;
  }
  *id = o->id;
  *value = NULL;
  if (o->has_arg) {
    if (*p->short_rest) { /* "-oFILE" */
      *value = p->short_rest;
    } else if (p->i < p->argc) {
      *value = p->argv[p->i++];
    } else {
      p->short_rest = NULL;
      cli_usage_error("option '-%c' needs a value", c);
      return CLI_ARG_ERROR;
    }
    p->short_rest = NULL;
  } else if (!*p->short_rest) {
    p->short_rest = NULL;
  }
  return CLI_ARG_OPTION;
}

int cli_next(cli_parser *p, int *id, const char **value) {
  *id = 0;
  *value = NULL;
  if (p->short_rest)
    return parse_short(p, id, value);
  while (p->i < p->argc) {
    const char *a = p->argv[p->i++];
    if (p->only_positional || a[0] != '-' || a[1] == '\0') {
      *value = a; /* "-" alone is a positional (commands refuse it) */
      return CLI_ARG_POSITIONAL;
    }
    if (a[1] != '-') {
      p->short_rest = a + 1;
      return parse_short(p, id, value);
    }
    if (a[2] == '\0') {
      p->only_positional = 1;
      continue;
    }
    /* Long option: copy the name so '_' can become '-' (gguf-split does
     * the same, and users mix both spellings from Python tools). */
    const char *eq = strchr(a + 2, '=');
    size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
    char name[sizeof p->namebuf - 2];
    if (n >= sizeof name) {
      cli_usage_error("unknown option '%.40s...'", a);
      return CLI_ARG_ERROR;
    }
    memcpy(name, a + 2, n);
    name[n] = '\0';
    for (size_t k = 0; k < n; k++)
      if (name[k] == '_')
        name[k] = '-';
    snprintf(p->namebuf, sizeof p->namebuf, "--%s", name);
    const cli_opt *o = find_long(p, name);
    if (!o) {
      cli_usage_error("unknown option '--%s'", name);
      return CLI_ARG_ERROR;
    }
    *id = o->id;
    if (o->has_arg) {
      if (eq) {
        *value = eq + 1;
      } else if (p->i < p->argc) {
        *value = p->argv[p->i++];
      } else {
        cli_usage_error("option '--%s' needs a value",
                        name);
        return CLI_ARG_ERROR;
      }
    } else if (eq) {
      cli_usage_error("option '--%s' takes no value",
                      name);
      return CLI_ARG_ERROR;
    }
    return CLI_ARG_OPTION;
  }
  return CLI_ARG_END;
}

int cli_common_option(cli_parser *p, int id, const char *value) {
  switch (id) {
  case CLI_OPT_HELP:
    return 1;
  case CLI_OPT_QUIET:
    g_cli.verbosity = 0;
    return 0;
  case CLI_OPT_VERBOSE:
    g_cli.verbosity = g_cli.verbosity < 1 ? 2 : g_cli.verbosity + 1;
    return 0;
  case CLI_OPT_COLOR:
    if (!strcmp(value, "auto")) {
      g_cli.color_mode = CLI_COLOR_AUTO;
    } else if (!strcmp(value, "always")) {
      g_cli.color_mode = CLI_COLOR_ALWAYS;
    } else if (!strcmp(value, "never")) {
      g_cli.color_mode = CLI_COLOR_NEVER;
    } else {
      cli_usage_error("invalid value '%s' for --color (auto, always, never)",
                      value);
      return -1;
    }
    cli_output_init(); /* re-resolve colours for later messages */
    return 0;
  default:
    return -1;
  }
}

int cli_next_option(cli_parser *p, const char **pos, int maxpos, int *npos,
                    int *id, const char **value) {
  for (;;) {
    int r = cli_next(p, id, value);
    if (r != CLI_ARG_POSITIONAL) return r;
    if (*npos == maxpos) {
      cli_usage_error("unexpected argument '%s'", *value);
      return CLI_ARG_ERROR;
    }
    pos[(*npos)++] = *value;
  }
}

/* ---- help texts: the formats come from the library's table ------------------- */

/* "a .safetensors file, a Hugging Face model folder or a .gguf file" */
static void put_inputs(FILE *out) {
  size_t i, n = 0, k = 0;
  for (i = 0; i < tp_format_count(); i++)
    n += (tp_format_at(i)->caps & TP_FORMAT_CAN_READ) != 0;
  for (i = 0; i < tp_format_count(); i++) {
    const tp_format_info *f = tp_format_at(i);
    if (!(f->caps & TP_FORMAT_CAN_READ)) continue;
    k++;
    fputs(k == 1 ? "" : k == n ? " or " : ", ", out);
    if (f->caps & TP_FORMAT_IS_FOLDER || !f->extensions || !f->extensions[0])
      fprintf(out, "a %s", f->display_name);
    else
      fprintf(out, "a %s file", f->extensions[0]);
  }
}

/* ".safetensors, .gguf": the extensions of the writable formats */
static void put_out_extensions(FILE *out) {
  size_t i, k = 0;
  for (i = 0; i < tp_format_count(); i++) {
    const tp_format_info *f = tp_format_at(i);
    const char *const *e;
    if (!(f->caps & TP_FORMAT_CAN_WRITE)) continue;
    for (e = f->extensions; e && *e; e++) fprintf(out, "%s%s", k++ ? ", " : "", *e);
  }
}

/* "GGUF" or "GGUF or MLX": the formats honouring a conversion option */
void cli_formats_with_option(char *buf, size_t len, const char *option) {
  size_t i, n = 0, k = 0, o = 0;
  buf[0] = 0;
  for (i = 0; i < tp_format_count(); i++) {
    const char *const *x;
    for (x = tp_format_at(i)->options; x && *x; x++) n += !strcmp(*x, option);
  }
  for (i = 0; i < tp_format_count() && o < len; i++) {
    const tp_format_info *f = tp_format_at(i);
    const char *const *x;
    for (x = f->options; x && *x; x++)
      if (!strcmp(*x, option)) break;
    if (!x || !*x) continue;
    k++;
    o += (size_t)snprintf(buf + o, len - o, "%s%s",
                          k == 1 ? "" : k == n ? " or " : ", ", f->display_name);
  }
}

void cli_format_names(char *buf, size_t len, unsigned caps) {
  size_t i, o = 0;
  buf[0] = 0;
  for (i = 0; i < tp_format_count() && o < len; i++)
    if ((tp_format_at(i)->caps & caps) == caps)
      o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
                            tp_format_at(i)->name);
}

static void expand_help(FILE *out, const char *text) {
  const char *p = text;
  while (*p) {
    const char *b = strchr(p, '{'), *e;
    char name[64], buf[256];
    if (!b || !(e = strchr(b, '}')) || (size_t)(e - b) >= sizeof name) {
      fputs(p, out);
      return;
    }
    fwrite(p, 1, (size_t)(b - p), out);
    memcpy(name, b + 1, (size_t)(e - b - 1));
    name[e - b - 1] = 0;
    if (!strcmp(name, "inputs")) {
      put_inputs(out);
    } else if (!strcmp(name, "out_extensions")) {
      put_out_extensions(out);
    } else if (!strcmp(name, "writable")) {
      cli_format_names(buf, sizeof buf, TP_FORMAT_CAN_WRITE);
      fputs(buf, out);
    } else if (!strncmp(name, "opt:", 4)) {
      cli_formats_with_option(buf, sizeof buf, name + 4);
      fputs(buf, out);
    } else {
      fwrite(b, 1, (size_t)(e - b + 1), out); /* not a placeholder */
    }
    p = e + 1;
  }
}

/* Where a help line's text continues when it wraps: an option line's
 * description column (after the first run of two spaces past the option),
 * else the line's own indentation. */
static size_t wrap_indent(const char *l, size_t n) {
  size_t i = 0, j;
  while (i < n && l[i] == ' ') i++;
  if (i < n && l[i] == '-') {
    for (j = i; j + 1 < n; j++)
      if (l[j] == ' ' && l[j + 1] == ' ') {
        while (j < n && l[j] == ' ') j++;
        return j;
      }
  }
  return i;
}

#define HELP_WIDTH 78

/* Lines made longer than HELP_WIDTH by a placeholder are wrapped at a
 * space, continuing at wrap_indent. */
static void put_wrapped(FILE *out, const char *text, size_t len) {
  const char *l = text, *end = text + len;
  while (l < end) {
    const char *nl = memchr(l, '\n', (size_t)(end - l));
    size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l), ind = wrap_indent(l, n);
    size_t first = 0;
    while (n - first > HELP_WIDTH - (first ? ind : 0)) {
      size_t room = HELP_WIDTH - (first ? ind : 0), cut = room;
      while (cut > 0 && l[first + cut] != ' ') cut--;
      if (cut == 0 || (first == 0 && cut <= ind)) break;
      if (first) fprintf(out, "%*s", (int)ind, "");
      fwrite(l + first, 1, cut, out);
      fputc('\n', out);
      first += cut + 1;
    }
    if (first) fprintf(out, "%*s", (int)ind, "");
    fwrite(l + first, 1, n - first, out);
    if (nl) fputc('\n', out);
    l += n + (nl ? 1 : 0);
  }
}

void cli_print_help(FILE *out, const char *text) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) {
    expand_help(out, text);
    return;
  }
  expand_help(mem, text);
  if (fclose(mem) == 0 && buf) put_wrapped(out, buf, len);
  else expand_help(out, text);
  free(buf);
}

int cli_default_option(cli_parser *p, int id, const char *value,
                       const char *help) {
  int h = cli_common_option(p, id, value);
  if (h == 1) {
    cli_print_help(stdout, help);
    return cli_finish_stdout(CLI_EXIT_OK);
  }
  return h < 0 ? CLI_EXIT_USAGE : -1;
}

/* ---- value parsers ---------------------------------------------------------- */

int cli_parse_u64(const char *opt, const char *s, uint64_t *out) {
  char *end;
  /* strtoull accepts "-1" (wrapping) and leading blanks: reject both. */
  if (!isdigit((unsigned char)s[0]))
    goto bad;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    goto bad;
  *out = (uint64_t)v;
  return 0;
bad:
  cli_usage_error("invalid number '%s' for %s", s, opt);
  return -1;
}

int cli_parse_threads(const char *opt, const char *s, unsigned *out) {
  uint64_t v;
  if (cli_parse_u64(opt, s, &v))
    return -1;
  if (v > 4096) {
    cli_usage_error("%s %s is more than the limit of 4096", opt,
                    s);
    return -1;
  }
  *out = (unsigned)v;
  return 0;
}

int cli_parse_size(const char *opt, const char *s, uint64_t *out,
                   const char **unit_note) {
  static const struct {
    const char *suffix;
    uint64_t mult;
    const char *note;
  } units[] = {
      {"", 1, NULL},
      {"b", 1, NULL},
      {"k", 1000ull, "decimal: K = 1000; use Ki for 1024"},
      {"kb", 1000ull, "decimal: KB = 1000; use Ki for 1024"},
      {"m", 1000000ull, "decimal: M = 1000^2; use Mi for 1024^2"},
      {"mb", 1000000ull, "decimal: MB = 1000^2; use Mi for 1024^2"},
      {"g", 1000000000ull, "decimal: G = 1000^3; use Gi for 1024^3"},
      {"gb", 1000000000ull, "decimal: GB = 1000^3; use Gi for 1024^3"},
      {"t", 1000000000000ull, "decimal: T = 1000^4; use Ti for 1024^4"},
      {"tb", 1000000000000ull, "decimal: TB = 1000^4; use Ti for 1024^4"},
      {"ki", 1ull << 10, "binary: Ki = 1024"},
      {"kib", 1ull << 10, "binary: KiB = 1024"},
      {"mi", 1ull << 20, "binary: Mi = 1024^2"},
      {"mib", 1ull << 20, "binary: MiB = 1024^2"},
      {"gi", 1ull << 30, "binary: Gi = 1024^3"},
      {"gib", 1ull << 30, "binary: GiB = 1024^3"},
      {"ti", 1ull << 40, "binary: Ti = 1024^4"},
      {"tib", 1ull << 40, "binary: TiB = 1024^4"},
  };
  const char *p = s;
  uint64_t ip = 0, frac = 0, frac_div = 1;
  int digits = 0;
  while (isdigit((unsigned char)*p)) {
    unsigned d = (unsigned)(*p++ - '0');
    if (ip > (UINT64_MAX - d) / 10)
      goto bad;
    ip = ip * 10 + d;
    digits++;
  }
  if (*p == '.') {
    p++;
    /* up to 9 fraction digits are kept exactly; more would not change a
     * byte count anyone asks for */
    while (isdigit((unsigned char)*p)) {
      if (frac_div < 1000000000ull) {
        frac = frac * 10 + (uint64_t)(*p - '0');
        frac_div *= 10;
      }
      p++;
      digits++;
    }
  }
  if (!digits)
    goto bad;
  for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
    if (strcasecmp(p, units[k].suffix))
      continue;
    uint64_t m = units[k].mult;
    if (ip && m > UINT64_MAX / ip)
      goto bad;
    uint64_t v = ip * m;
    /* frac < frac_div <= 1e9 and m <= 2^40: frac * m fits in 64 bits */
    uint64_t f = frac * m / frac_div;
    if (v > UINT64_MAX - f)
      goto bad;
    *out = v + f;
    *unit_note = units[k].note;
    return 0;
  }
bad:
  cli_usage_error("invalid size '%s' for %s (use e.g. 500M, 2G, 4Gi or a "
                  "byte count; K/M/G/T are decimal, Ki/Mi/Gi/Ti binary)",
                  s, opt);
  return -1;
}

int cli_parse_type(const char *opt, const char *s, tp_type *out) {
  if (tp_type_from_name(s, out) == TP_OK)
    return 0;
  cli_usage_error("unknown type '%s' for %s (e.g. f32, f16, bf16, q8_0, "
                  "q4_k; see 'tensorport convert --help')",
                  s, opt);
  return -1;
}

int cli_parse_format(const char *opt, const char *s, tp_format *out) {
  if (tp_format_from_name(s, out) == TP_OK && *out != TP_FORMAT_UNKNOWN)
    return 0;
  char names[256];
  cli_format_names(names, sizeof names, 0);
  cli_usage_error("unknown format '%s' for %s (%s)", s, opt, names);
  return -1;
}
