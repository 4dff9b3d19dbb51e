/*
 * output.c - what the tensorport command prints: error and warning lines
 * (with colour when stderr is a terminal), the mapping from library status
 * codes to exit statuses, number/size/shape/string formatting, and JSON.
 *
 * JSON documents are built as jansson trees but serialised here rather than
 * with json_dumps: jansson prints every real with 17 significant digits
 * (0.1 becomes 0.10000000000000001) and cannot hold a uint64 above
 * INT64_MAX. Our writer prints the shortest decimal that reads back to the
 * same value, and accepts "raw" number literals: strings built by
 * raw_number() start with the byte 0xFF, which no string made by
 * cli_json_string can start with (those are always valid UTF-8), so file
 * contents can never be mistaken for a raw literal.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define RAW_MARK '\xff'

static int g_color_err; /* colours resolved for stderr */

void cli_output_init(void) {
  const char *nc = getenv("NO_COLOR");
  const char *term = getenv("TERM");
  switch (g_cli.color_mode) {
  case CLI_COLOR_ALWAYS:
    g_color_err = 1;
    break;
  case CLI_COLOR_NEVER:
    g_color_err = 0;
    break;
  default:
    /* no-color.org: any non-empty NO_COLOR disables colour; a dumb
     * terminal cannot show it; a pipe or file must not get escapes. */
    g_color_err = isatty(STDERR_FILENO) && !(nc && nc[0]) &&
                  !(term && !strcmp(term, "dumb"));
    break;
  }
}

static void vmessage(const char *label, const char *color, const char *fmt,
                     va_list ap) {
  /* Build the line first so it reaches stderr in one write and lines from
   * concurrent processes do not interleave mid-line. */
  char msg[4096];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (label && g_color_err)
    fprintf(stderr, "tensorport: %s%s\033[0m: %s\n", color, label, msg);
  else if (label)
    fprintf(stderr, "tensorport: %s: %s\n", label, msg);
  else
    fprintf(stderr, "tensorport: %s\n", msg);
  fflush(stderr);
}

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage("error", "\033[1;31m", fmt, ap);
  va_end(ap);
}

void cli_warning(const char *fmt, ...) {
  va_list ap;
  if (g_cli.verbosity < 1)
    return;
  va_start(ap, fmt);
  vmessage("warning", "\033[1;33m", fmt, ap);
  va_end(ap);
}

void cli_info(const char *fmt, ...) {
  va_list ap;
  if (g_cli.verbosity < 1)
    return;
  va_start(ap, fmt);
  vmessage(NULL, NULL, fmt, ap);
  va_end(ap);
}

int cli_exit_code(tp_status st) {
  switch (st) {
  case TP_OK:
    return CLI_EXIT_OK;
  case TP_EMISMATCH:
    return CLI_EXIT_DIFFERENT;
  case TP_EINVAL: /* the CLI checks its own arguments first, so an EINVAL
                     that reaches here came from file content */
  case TP_EFORMAT:
  case TP_EUNSUPPORTED:
  case TP_ENOTFOUND:
    return CLI_EXIT_INPUT;
  case TP_EIO:
  case TP_ECHANGED:
    return CLI_EXIT_IO;
  case TP_ELIMIT:
  case TP_ENOMEM:
    return CLI_EXIT_LIMIT;
  case TP_EEXISTS:
    return CLI_EXIT_EXISTS;
  case TP_ECANCELED:
    return cli_signal_received() ? 128 + cli_signal_received() : 130;
  }
  return CLI_EXIT_SOFTWARE;
}

const char *cli_signal_name(int sig) {
  switch (sig) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  }
  return "a signal";
}

int cli_interrupted(const char *fmt, ...) {
  char what[2048];
  va_list ap;
  int sig = cli_signal_received();
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* said even with --quiet: the command did not do what was asked */
  fprintf(stderr, "tensorport: interrupted (%s)%s%s\n", cli_signal_name(sig),
          what[0] ? "; " : "", what);
  fflush(stderr);
  return 128 + (sig ? sig : SIGINT);
}

void cli_print_notices(void) {
  for (size_t i = 0; i < tp_notice_count(); i++)
    cli_info("%s", tp_notice_at(i));
  tp_notices_clear();
}

int cli_fail(tp_status st) {
  if (st == TP_ECANCELED && cli_signal_received())
    return cli_interrupted("%s", "");
  const char *msg = tp_last_error();
  if (!msg || !msg[0])
    msg = tp_strerror(st);
  if (st == TP_EEXISTS && !strstr(msg, "--force"))
    cli_error("%s (use --force to overwrite)", msg);
  else
    cli_error("%s", msg);
  return cli_exit_code(st);
}

int cli_finish_stdout(int rc) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return rc;
  /* EPIPE: the reader went away on purpose (| head). SIGPIPE is ignored,
   * so we see it as an error; a message would only be noise, and the
   * outcome (rc) is still what it was. */
  if (errno == EPIPE)
    return rc;
  cli_error("writing standard output: %s", strerror(errno ? errno : EIO));
  return CLI_EXIT_IO;
}

/* ---- number and text formatting ------------------------------------------- */

void cli_fmt_double(char *buf, size_t len, double v) {
  tp_float_format(buf, len, v, 0);
}

void cli_fmt_stat(char *buf, size_t len, double v) {
  /* Error statistics are read by people: 4 significant digits say all
   * there is to say (JSON keeps the full value). */
  if (isnan(v) || isinf(v))
    cli_fmt_double(buf, len, v);
  else
    snprintf(buf, len, "%.4g", v);
}

void cli_fmt_float32(char *buf, size_t len, double v) {
  float f = (float)v;
  if (isnan(f) || isinf(f))
    cli_fmt_double(buf, len, v);
  else
    tp_float_format(buf, len, v, 1);
}

/* "1.2G"-style rendering of x with the given unit letters (1000 apart). */
static void fmt_scaled(char *buf, size_t len, uint64_t x, const char *units,
                       const char *small_suffix) {
  if (x < 1000) {
    snprintf(buf, len, "%llu%s", (unsigned long long)x, small_suffix);
    return;
  }
  double v = (double)x / 1000.0;
  int u = 0;
  while (v >= 999.95 && units[u + 1]) {
    v /= 1000.0;
    u++;
  }
  if (v < 99.95)
    snprintf(buf, len, "%.1f%c", v, units[u]);
  else
    snprintf(buf, len, "%.0f%c", v, units[u]);
}

void cli_fmt_human(char *buf, size_t len, uint64_t bytes) {
  /* Decimal units, as --split-max-size and the Hugging Face Hub use. */
  fmt_scaled(buf, len, bytes, "KMGTPE", "B");
}

void cli_fmt_approx(char *buf, size_t len, uint64_t n, int is_bytes) {
  /* The rounded form only helps once the exact number gets long. */
  char t[24];
  if (n < 1000) {
    if (len)
      buf[0] = '\0';
    return;
  }
  if (is_bytes)
    cli_fmt_human(t, sizeof t, n);
  else
    cli_fmt_count(t, sizeof t, n);
  snprintf(buf, len, " (%s)", t);
}

void cli_fmt_count(char *buf, size_t len, uint64_t n) {
  /* Parameter counts as model names give them: 8.0B, 70B, 1.5M. */
  fmt_scaled(buf, len, n, "KMBTQ", "");
}

void cli_fmt_shape(char *buf, size_t len, uint32_t ndim,
                   const uint64_t *shape, int reversed) {
  size_t pos = 0;
  int n;
  if (len == 0)
    return;
  buf[0] = '\0';
  n = snprintf(buf, len, "[");
  pos = (size_t)n;
  for (uint32_t d = 0; d < ndim && pos < len; d++) {
    uint64_t x = shape[reversed ? ndim - 1 - d : d];
    n = snprintf(buf + pos, len - pos, "%s%llu", d ? ", " : "",
                 (unsigned long long)x);
    if (n < 0)
      return;
    pos += (size_t)n;
  }
  if (pos < len)
    snprintf(buf + pos, len - pos, "]");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes at s
 * do not start one. */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
  uint32_t cp;
  return tp_utf8_decode(s, avail, &cp);
}

/* Renders one character of s as Python's repr would (escapes for quotes,
 * backslashes, control characters and bytes that are not UTF-8) into out;
 * returns the number of bytes of s consumed, *out_len the bytes written
 * and *cols the terminal columns they take. */
static size_t repr_char(const unsigned char *s, size_t avail, char out[8],
                        size_t *out_len, size_t *cols) {
  unsigned c = s[0];
  const char *esc = NULL;
  size_t n;
  switch (c) {
  case '\\':
    esc = "\\\\";
    break;
  case '\'':
    esc = "\\'";
    break;
  case '\n':
    esc = "\\n";
    break;
  case '\r':
    esc = "\\r";
    break;
  case '\t':
    esc = "\\t";
    break;
  default:
    break;
  }
  if (esc) {
    *out_len = *cols = 2;
    memcpy(out, esc, 2);
    return 1;
  }
  n = c < 0x20 || c == 0x7F ? 0 : utf8_seq(s, avail);
  /* C1 control characters (U+0080..U+009F) would be interpreted by some
   * terminals; they are escaped like the C0 ones. */
  if (n == 2 && c == 0xC2 && s[1] < 0xA0) {
    snprintf(out, 8, "\\x%02x", (unsigned)s[1]);
    *out_len = *cols = 4;
    return 2;
  }
  if (n == 0) { /* control or not text: show the byte's value */
    snprintf(out, 8, "\\x%02x", c);
    *out_len = *cols = 4;
    return 1;
  }
  memcpy(out, s, n);
  *out_len = n;
  *cols = 1;
  return n;
}

/* Characters (code points or stray bytes) in s. */
static size_t count_chars(const unsigned char *s, size_t len) {
  size_t chars = 0;
  for (size_t p = 0; p < len; chars++) {
    size_t n = utf8_seq(s + p, len - p);
    p += n ? n : 1;
  }
  return chars;
}

/* Prints (when f is non-NULL) and measures the quoted form of s; returns
 * its width in columns. */
static size_t quoted(FILE *f, const char *str, size_t len, size_t max_chars) {
  const unsigned char *s = (const unsigned char *)str;
  size_t chars = count_chars(s, len), pos = 0, cols = 2;
  /* Cut only when the whole string does not fit, like gguf-dump's
   * content[:57] + "..." for its 60-character limit. */
  size_t keep = chars > max_chars ? (max_chars > 3 ? max_chars - 3 : 0)
                                  : chars;
  if (f)
    fputc('\'', f);
  for (size_t k = 0; k < keep && pos < len; k++) {
    char out[8];
    size_t ol, c;
    pos += repr_char(s + pos, len - pos, out, &ol, &c);
    cols += c;
    if (f)
      fwrite(out, 1, ol, f);
  }
  if (chars > max_chars) {
    cols += 3;
    if (f)
      fputs("...", f);
  }
  if (f)
    fputc('\'', f);
  return cols;
}

void cli_print_quoted(FILE *f, const char *str, size_t len,
                      size_t max_chars) {
  quoted(f, str, len, max_chars);
}

/* Non-zero when s can be printed as is: valid UTF-8, no control
 * characters, no quote or backslash (which would make the quoted form
 * ambiguous with the plain one). *cols gets its width. */
static int plain_name(const unsigned char *s, size_t len, size_t *cols) {
  size_t c = 0;
  if (len == 0)
    return 0; /* an empty name is shown as '' */
  for (size_t p = 0; p < len; c++) {
    size_t n = utf8_seq(s + p, len - p);
    if (!n || s[p] < 0x20 || s[p] == 0x7F || s[p] == '\\' || s[p] == '\'' ||
        (n == 2 && s[p] == 0xC2 && s[p + 1] < 0xA0))
      return 0;
    p += n;
  }
  *cols = c;
  return 1;
}

size_t cli_name_width(const char *s, size_t len) {
  size_t cols;
  if (plain_name((const unsigned char *)s, len, &cols))
    return cols;
  return quoted(NULL, s, len, SIZE_MAX);
}

size_t cli_print_name(FILE *f, const char *s, size_t len) {
  size_t cols;
  if (plain_name((const unsigned char *)s, len, &cols)) {
    fwrite(s, 1, len, f);
    return cols;
  }
  return quoted(f, s, len, SIZE_MAX);
}

/* ---- JSON ------------------------------------------------------------------- */

json_t *cli_json_string(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t bad = 0;
  for (size_t p = 0; p < len;) {
    size_t n = utf8_seq(s + p, len - p);
    if (!n) {
      bad++;
      n = 1;
    }
    p += n;
  }
  if (!bad)
    return json_stringn_nocheck(str, len);
  /* Replace each invalid byte with U+FFFD (3 bytes). */
  size_t out_len = len + bad * 2;
  char *buf = malloc(out_len ? out_len : 1);
  if (!buf)
    return NULL;
  size_t o = 0;
  for (size_t p = 0; p < len;) {
    size_t n = utf8_seq(s + p, len - p);
    if (!n) {
      memcpy(buf + o, "\xEF\xBF\xBD", 3);
      o += 3;
      p++;
    } else {
      memcpy(buf + o, s + p, n);
      o += n;
      p += n;
    }
  }
  json_t *j = json_stringn_nocheck(buf, o);
  free(buf);
  return j;
}

static json_t *raw_number(const char *lit) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%c%s", RAW_MARK, lit);
  return json_stringn_nocheck(buf, (size_t)n);
}

json_t *cli_json_u64(uint64_t v) {
  if (v <= (uint64_t)INT64_MAX)
    return json_integer((json_int_t)v);
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  return raw_number(buf);
}

/* Non-finite values have no JSON literal; they become the strings Python's
 * json module would print unquoted. */
static json_t *nonfinite(double v) {
  if (isnan(v))
    return json_string("NaN");
  return json_string(v < 0 ? "-Infinity" : "Infinity");
}

json_t *cli_json_double(double v) {
  if (!isfinite(v))
    return nonfinite(v);
  return json_real(v);
}

json_t *cli_json_float32(double v) {
  char buf[48];
  if (!isfinite(v))
    return nonfinite(v);
  cli_fmt_float32(buf, sizeof buf, v);
  if (!strpbrk(buf, ".eE"))
    strncat(buf, ".0", sizeof buf - strlen(buf) - 1);
  return raw_number(buf);
}

json_t *cli_json_shape(uint32_t ndim, const uint64_t *shape, int reversed) {
  json_t *a = json_array();
  for (uint32_t d = 0; d < ndim; d++)
    json_array_append_new(a, cli_json_u64(shape[reversed ? ndim - 1 - d : d]));
  return a;
}

static void jw_string(FILE *f, const char *s, size_t len) {
  /* In pieces that always fit: this dialect escapes byte by byte (at most
   * 6 bytes for one), so a string may be cut anywhere; the quotes of each
   * piece are dropped. */
  enum { PIECE = 160 };
  char buf[PIECE * 6 + 3];
  fputc('"', f);
  for (size_t i = 0; i < len; i += PIECE) {
    size_t k = len - i < PIECE ? len - i : PIECE;
    size_t n = tp_json_quote(buf, sizeof buf, s + i, k, TP_JSON_PRINTABLE);
    fwrite(buf + 1, 1, n - 2, f);
  }
  fputc('"', f);
}

static int is_container(const json_t *v) {
  return json_is_object(v) || json_is_array(v);
}

static void jw_indent(FILE *f, int n) {
  for (int i = 0; i < n; i++)
    fputc(' ', f);
}

static void jw(FILE *f, const json_t *v, int indent) {
  char buf[64];
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    const char *key;
    size_t klen;
    json_t *val;
    int first = 1;
    if (json_object_size(v) == 0) {
      fputs("{}", f);
      break;
    }
    fputs("{\n", f);
    json_object_keylen_foreach((json_t *)v, key, klen, val) {
      if (!first)
        fputs(",\n", f);
      first = 0;
      jw_indent(f, indent + 2);
      jw_string(f, key, klen);
      fputs(": ", f);
      jw(f, val, indent + 2);
    }
    fputc('\n', f);
    jw_indent(f, indent);
    fputc('}', f);
    break;
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    int flat = 1;
    for (size_t i = 0; i < n && flat; i++)
      flat = !is_container(json_array_get(v, i));
    if (n == 0) {
      fputs("[]", f);
      break;
    }
    /* Arrays of scalars (shapes, token lists) stay on one line. */
    fputs(flat ? "[" : "[\n", f);
    for (size_t i = 0; i < n; i++) {
      if (i)
        fputs(flat ? ", " : ",\n", f);
      if (!flat)
        jw_indent(f, indent + 2);
      jw(f, json_array_get(v, i), indent + 2);
    }
    if (!flat) {
      fputc('\n', f);
      jw_indent(f, indent);
    }
    fputc(']', f);
    break;
  }
  case JSON_STRING: {
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len > 0 && s[0] == RAW_MARK)
      fwrite(s + 1, 1, len - 1, f);
    else
      jw_string(f, s, len);
    break;
  }
  case JSON_INTEGER:
    fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    cli_fmt_double(buf, sizeof buf - 2, json_real_value(v));
    if (!strpbrk(buf, ".eE"))
      strncat(buf, ".0", sizeof buf - strlen(buf) - 1);
    fputs(buf, f);
    break;
  case JSON_TRUE:
    fputs("true", f);
    break;
  case JSON_FALSE:
    fputs("false", f);
    break;
  case JSON_NULL:
    fputs("null", f);
    break;
  }
}

int cli_json_print(FILE *f, const json_t *v) {
  jw(f, v, 0);
  fputc('\n', f);
  return ferror(f) ? -1 : 0;
}

/* ---- metadata values ---------------------------------------------------------- */

static json_t *elem_to_json(tp_value_type t, const void *arr, uint64_t i) {
  switch (t) {
  case TP_VALUE_U8:
    return json_integer(((const uint8_t *)arr)[i]);
  case TP_VALUE_I8:
    return json_integer(((const int8_t *)arr)[i]);
  case TP_VALUE_U16:
    return json_integer(((const uint16_t *)arr)[i]);
  case TP_VALUE_I16:
    return json_integer(((const int16_t *)arr)[i]);
  case TP_VALUE_U32:
    return json_integer(((const uint32_t *)arr)[i]);
  case TP_VALUE_I32:
    return json_integer(((const int32_t *)arr)[i]);
  case TP_VALUE_U64:
    return cli_json_u64(((const uint64_t *)arr)[i]);
  case TP_VALUE_I64:
    return json_integer(((const int64_t *)arr)[i]);
  case TP_VALUE_F32:
    return cli_json_float32(((const float *)arr)[i]);
  case TP_VALUE_F64:
    return cli_json_double(((const double *)arr)[i]);
  case TP_VALUE_BOOL:
    return json_boolean(((const uint8_t *)arr)[i] != 0);
  case TP_VALUE_STRING: {
    const tp_string *s = &((const tp_string *)arr)[i];
    return cli_json_string(s->data, s->len);
  }
  default:
    return json_null();
  }
}

json_t *cli_value_to_json(const tp_value *v) {
  switch (v->type) {
  case TP_VALUE_U8:
  case TP_VALUE_U16:
  case TP_VALUE_U32:
  case TP_VALUE_U64:
    return cli_json_u64(v->v.u);
  case TP_VALUE_I8:
  case TP_VALUE_I16:
  case TP_VALUE_I32:
  case TP_VALUE_I64:
    return json_integer(v->v.i);
  case TP_VALUE_F32:
    return cli_json_float32(v->v.f);
  case TP_VALUE_F64:
    return cli_json_double(v->v.f);
  case TP_VALUE_BOOL:
    return json_boolean(v->v.u != 0);
  case TP_VALUE_STRING:
    return cli_json_string(v->v.s.data, v->v.s.len);
  case TP_VALUE_ARRAY: {
    json_t *a = json_array();
    for (uint64_t i = 0; i < v->count; i++)
      json_array_append_new(a, elem_to_json(v->elem_type, v->v.array, i));
    return a;
  }
  default:
    return json_null();
  }
}

/* Floats in text mode keep a decimal point (-1.0, not -1), as Python and
 * gguf-dump print them, so a float is never mistaken for an integer. */
static void put_float(FILE *f, double v, int is_f32) {
  char buf[64];
  if (is_f32)
    cli_fmt_float32(buf, sizeof buf - 2, v);
  else
    cli_fmt_double(buf, sizeof buf - 2, v);
  if (!strpbrk(buf, ".eEni"))
    strncat(buf, ".0", sizeof buf - strlen(buf) - 1);
  fputs(buf, f);
}

static void print_elem(FILE *f, tp_value_type t, const void *arr, uint64_t i,
                       size_t max_chars) {
  switch (t) {
  case TP_VALUE_U8:
    fprintf(f, "%u", (unsigned)((const uint8_t *)arr)[i]);
    break;
  case TP_VALUE_I8:
    fprintf(f, "%d", (int)((const int8_t *)arr)[i]);
    break;
  case TP_VALUE_U16:
    fprintf(f, "%u", (unsigned)((const uint16_t *)arr)[i]);
    break;
  case TP_VALUE_I16:
    fprintf(f, "%d", (int)((const int16_t *)arr)[i]);
    break;
  case TP_VALUE_U32:
    fprintf(f, "%lu", (unsigned long)((const uint32_t *)arr)[i]);
    break;
  case TP_VALUE_I32:
    fprintf(f, "%ld", (long)((const int32_t *)arr)[i]);
    break;
  case TP_VALUE_U64:
    fprintf(f, "%llu", (unsigned long long)((const uint64_t *)arr)[i]);
    break;
  case TP_VALUE_I64:
    fprintf(f, "%lld", (long long)((const int64_t *)arr)[i]);
    break;
  case TP_VALUE_F32:
    put_float(f, ((const float *)arr)[i], 1);
    break;
  case TP_VALUE_F64:
    put_float(f, ((const double *)arr)[i], 0);
    break;
  case TP_VALUE_BOOL:
    fputs(((const uint8_t *)arr)[i] ? "true" : "false", f);
    break;
  case TP_VALUE_STRING: {
    const tp_string *s = &((const tp_string *)arr)[i];
    cli_print_quoted(f, s->data, s->len, max_chars);
    break;
  }
  default:
    fputs("?", f);
  }
}

void cli_print_value(FILE *f, const tp_value *v, size_t max_chars,
                     size_t max_elems) {
  switch (v->type) {
  case TP_VALUE_U8:
  case TP_VALUE_U16:
  case TP_VALUE_U32:
  case TP_VALUE_U64:
    fprintf(f, "%llu", (unsigned long long)v->v.u);
    break;
  case TP_VALUE_I8:
  case TP_VALUE_I16:
  case TP_VALUE_I32:
  case TP_VALUE_I64:
    fprintf(f, "%lld", (long long)v->v.i);
    break;
  case TP_VALUE_F32:
    put_float(f, v->v.f, 1);
    break;
  case TP_VALUE_F64:
    put_float(f, v->v.f, 0);
    break;
  case TP_VALUE_BOOL:
    fputs(v->v.u ? "true" : "false", f);
    break;
  case TP_VALUE_STRING:
    cli_print_quoted(f, v->v.s.data, v->v.s.len, max_chars);
    break;
  case TP_VALUE_ARRAY:
    fputc('[', f);
    for (uint64_t i = 0; i < v->count && i < max_elems; i++) {
      if (i)
        fputs(", ", f);
      print_elem(f, v->elem_type, v->v.array, i, max_chars);
    }
    if (v->count > max_elems)
      fputs(max_elems ? ", ..." : "...", f);
    fputc(']', f);
    break;
  default:
    fputs("?", f);
  }
}

void cli_fmt_value_type(char *buf, size_t len, const tp_value *v) {
  if (v->type == TP_VALUE_ARRAY)
    snprintf(buf, len, "[%s]", tp_value_type_name(v->elem_type));
  else
    snprintf(buf, len, "%s", tp_value_type_name(v->type));
}
