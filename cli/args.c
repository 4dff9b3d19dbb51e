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

int cli_default_option(cli_parser *p, int id, const char *value,
                       const char *help) {
  int h = cli_common_option(p, id, value);
  if (h == 1) {
    fputs(help, stdout);
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
  cli_usage_error("unknown format '%s' for %s (safetensors, hf, gguf)", s,
                  opt);
  return -1;
}
