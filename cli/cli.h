/*
 * cli.h - shared declarations of the tensorport command: exit statuses,
 * global options, option parsing (args.c), messages, colours and JSON output
 * (output.c), the progress display (progress.c), signal handling
 * (signals.c) and the subcommand entry points (cmd_*.c).
 *
 * The CLI is built only on the public API in tensorport.h; nothing here may
 * reach into src/. The library never prints: everything a user sees is
 * produced by these files.
 */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tensorport.h"

/* ---- exit statuses (documented in --help, man page and docs/cli.md) ----- */

enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_DIFFERENT = 1, /* diff found differences; verification mismatch */
  CLI_EXIT_INPUT = 2,     /* invalid or unsupported input */
  CLI_EXIT_IO = 3,        /* read/write/sync failure, input changed */
  CLI_EXIT_LIMIT = 4,     /* resource limit, out of memory */
  CLI_EXIT_EXISTS = 5,    /* output exists and --force was not given */
  CLI_EXIT_USAGE = 64,    /* bad command line (sysexits EX_USAGE) */
  CLI_EXIT_SOFTWARE = 70  /* incompatible library or internal error */
};

/* ---- global state ------------------------------------------------------- */

enum { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

typedef struct cli_globals {
  int verbosity;  /* 0 quiet (-q), 1 normal, 2+ verbose (-v, stackable) */
  int color_mode; /* CLI_COLOR_* */
  const char *cmd;   /* subcommand being run, NULL at top level */
  const char *usage; /* its one-line usage, for usage errors */
} cli_globals;

extern cli_globals g_cli;

/* ---- option parsing (args.c) -------------------------------------------- */

/* Option ids shared by every subcommand; command-specific ids start at
 * CLI_OPT_FIRST_CMD. */
enum {
  CLI_OPT_HELP = 1,
  CLI_OPT_QUIET,
  CLI_OPT_VERBOSE,
  CLI_OPT_COLOR,
  CLI_OPT_FIRST_CMD = 100
};

typedef struct cli_opt {
  const char *long_name; /* without the leading "--", words joined by '-' */
  char short_name;       /* 0: none */
  int has_arg;           /* 1: takes a value (--x=V or --x V) */
  int id;
} cli_opt;

typedef struct cli_parser {
  const cli_opt *opts;   /* command table; the common options are implied */
  size_t nopts;
  int argc;
  char **argv;
  int i;                 /* next argv index */
  const char *short_rest;/* remaining characters of a "-abc" group */
  int only_positional;   /* "--" seen */
  char namebuf[64];      /* option name as typed, for messages */
} cli_parser;

enum {
  CLI_ARG_END = 0,
  CLI_ARG_OPTION = 1,
  CLI_ARG_POSITIONAL = 2,
  CLI_ARG_ERROR = -1     /* message already printed with the usage */
};

/* cmd (NULL at top level) and usage become g_cli.cmd/usage for messages. */
void cli_parser_init(cli_parser *p, const char *cmd, const char *usage,
                     const cli_opt *opts, size_t nopts, int argc,
                     char **argv);
/* Returns the next item: an option (*id, *value; value NULL for flags), a
 * positional (*value) or the end. Options may follow positionals; "--" ends
 * options; "_" in long names is read as "-". */
int cli_next(cli_parser *p, int *id, const char **value);
/* Name of the option just returned, as typed ("--type", "-o"). */
const char *cli_opt_name(const cli_parser *p);
/* Applies a common option (help, quiet, verbose, color); returns 1 when the
 * caller should print help and exit 0, 0 when handled, -1 on a bad value
 * (usage already reported). */
int cli_common_option(cli_parser *p, int id, const char *value);
/* The loop head of a subcommand's parser: takes positionals into
 * pos[0..maxpos) (*npos counts them; one more is a usage error) until the
 * next option. Returns CLI_ARG_OPTION with *id and *value set, CLI_ARG_END,
 * or CLI_ARG_ERROR after a usage error was reported. */
int cli_next_option(cli_parser *p, const char **pos, int maxpos, int *npos,
                    int *id, const char **value);
/* The default branch of a subcommand's option switch: applies a common
 * option, or prints help (the command's help text) for --help. Returns -1
 * to go on parsing, else the exit status to return. */
/* Prints a help text, expanding the placeholders that come from the
 * library's format table: {inputs} ("a .safetensors file, ... or a .gguf
 * file"), {out_extensions}, {writable} (names of the writable formats),
 * {opt:NAME} (display names of the formats honouring option NAME). */
void cli_print_help(FILE *out, const char *text);
/* Display names of the formats honouring a conversion option ("GGUF"). */
void cli_formats_with_option(char *buf, size_t len, const char *option);
/* Names of the formats with every bit of caps ("safetensors, hf, gguf"). */
void cli_format_names(char *buf, size_t len, unsigned caps);
int cli_default_option(cli_parser *p, int id, const char *value,
                       const char *help);
/* Prints "error: ..." plus the current command's short usage and the
 * --help hint on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Value parsers; each prints a usage error naming the option and returns
 * -1 on a bad value, 0 on success. */
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
int cli_parse_threads(const char *opt, const char *s, unsigned *out);
/* Sizes: plain bytes, K/M/G/T (decimal, 1000^n), Ki/Mi/Gi/Ti (1024^n), an
 * optional trailing "B" and a decimal fraction ("1.5G"). *unit_note gets a
 * static description of the unit applied (NULL for plain bytes). */
int cli_parse_size(const char *opt, const char *s, uint64_t *out,
                   const char **unit_note);
int cli_parse_type(const char *opt, const char *s, tp_type *out);
int cli_parse_format(const char *opt, const char *s, tp_format *out);

/* ---- messages, colours, formatting (output.c) --------------------------- */

void cli_output_init(void);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tensorport: ..." on stderr unless --quiet. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit status for a library status code. */
int cli_exit_code(tp_status st);
/* Prints the library's last error (or tp_strerror(st) if it left none) and
 * returns the exit status for st. A cancellation caused by a signal maps to
 * 128 + signal, with the line of cli_interrupted. */
int cli_fail(tp_status st);
/* "tensorport: interrupted (SIGINT); <what>" on stderr, even with --quiet
 * (what may be empty); returns 128 + the signal received. */
int cli_interrupted(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "SIGINT", "SIGTERM", "SIGHUP". */
const char *cli_signal_name(int sig);
/* Prints the library's notices (tp_notice_at) as info lines and clears
 * them. */
void cli_print_notices(void);
/* Flushes stdout and reports a failed write; returns the exit status to use
 * (rc unchanged on success, CLI_EXIT_IO on failure). */
int cli_finish_stdout(int rc);

/* Formatting helpers; each writes a NUL-terminated string into buf. */
void cli_fmt_double(char *buf, size_t len, double v);  /* shortest */
void cli_fmt_float32(char *buf, size_t len, double v); /* shortest f32 */
void cli_fmt_stat(char *buf, size_t len, double v);    /* 4 digits */
void cli_fmt_human(char *buf, size_t len, uint64_t bytes); /* "1.2G" */
void cli_fmt_count(char *buf, size_t len, uint64_t n);     /* "8.0B" */
/* " (1.2G)" for bytes (is_bytes) or " (8.0B)" for counts; "" below 1000. */
void cli_fmt_approx(char *buf, size_t len, uint64_t n, int is_bytes);
void cli_fmt_shape(char *buf, size_t len, uint32_t ndim,
                   const uint64_t *shape, int reversed);
/* Room for any shape: TP_MAX_DIMS extents of up to 20 digits, ", ", "[]". */
#define CLI_SHAPE_BUF (TP_MAX_DIMS * 22 + 4)
/* Appends a printable, quoted rendering of s (Python repr style, single
 * quotes) of at most max_chars characters ("..." when cut) to f. */
void cli_print_quoted(FILE *f, const char *s, size_t len, size_t max_chars);

/* Writes a key or tensor name: as is when it is printable UTF-8 without
 * quotes or backslashes, quoted and escaped otherwise (names are file
 * content and must not send control sequences to the terminal). Returns
 * the number of columns used (approximate for wide characters). */
size_t cli_print_name(FILE *f, const char *s, size_t len);
/* Display width cli_print_name would use. */
size_t cli_name_width(const char *s, size_t len);

/* JSON helpers. Strings that are not valid UTF-8 get U+FFFD per bad byte. */
json_t *cli_json_string(const char *s, size_t len);
json_t *cli_json_u64(uint64_t v);
json_t *cli_json_double(double v);  /* non-finite -> "NaN"/"Infinity" */
json_t *cli_json_float32(double v); /* shortest float32 decimal */
json_t *cli_json_shape(uint32_t ndim, const uint64_t *shape, int reversed);
/* Serialises v (pretty, 2-space indent, key order kept, shortest floats)
 * followed by a newline; returns 0 or -1 on a write error. */
int cli_json_print(FILE *f, const json_t *v);

/* Metadata rendering shared by inspect and meta. */
json_t *cli_value_to_json(const tp_value *v);
void cli_print_value(FILE *f, const tp_value *v, size_t max_chars,
                     size_t max_elems);
/* gguf-dump style type column: "UINT32", "[STRING]". */
void cli_fmt_value_type(char *buf, size_t len, const tp_value *v);

/* ---- terminal and progress (progress.c) --------------------------------- */

int cli_stderr_is_tty(void);
int cli_term_width(void); /* COLUMNS, TIOCGWINSZ on stderr, 80 */

enum { CLI_PROGRESS_AUTO = 0, CLI_PROGRESS_ON, CLI_PROGRESS_OFF };

typedef struct cli_progress {
  int mode;        /* 0 none, 1 bar, 2 plain periodic lines */
  double start;    /* monotonic seconds */
  double last;     /* last redraw */
  int drawn;       /* a bar line is on screen (needs a final newline) */
  tp_phase phase;
} cli_progress;

double cli_now(void);
/* Chooses the display from the --progress/--no-progress setting, quiet and
 * whether stderr is a terminal. */
void cli_progress_init(cli_progress *pr, int setting);
/* tp_progress_fn: draws, and cancels when a signal arrived. */
int cli_progress_cb(const tp_progress *p, void *user);
/* Ends a bar line with a newline if one is on screen. */
void cli_progress_finish(cli_progress *pr);

/* ---- signals (signals.c) ------------------------------------------------ */

enum {
  CLI_SIGNALS_EXIT = 0,  /* read-only commands: exit at once */
  CLI_SIGNALS_CANCEL = 1 /* writing commands: cancel, let the library clean */
};
void cli_signals_install(int mode);
/* Signal number received, or 0. */
int cli_signal_received(void);

/* ---- subcommands -------------------------------------------------------- */

int cmd_inspect(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_meta(int argc, char **argv);

/* Help texts, printed verbatim by --help; kept in step with the man page
 * (tests/cli/run_golden.py checks that every option appears there). */
extern const char cli_help_main[];
extern const char cli_help_inspect[];
extern const char cli_help_convert[];
extern const char cli_help_diff[];
extern const char cli_help_meta[];

/* Shared by inspect and meta: prints a model's description (text or JSON)
 * on stdout. */
int cli_describe_model(const tp_model *m, const char *path, const char *why,
                       int json, int with_tensors);

#endif /* TP_CLI_H */
