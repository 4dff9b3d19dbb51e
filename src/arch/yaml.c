/*
 * yaml.c - a bounded reader for the YAML front matter of model cards, the
 * subset cards use: block mappings and sequences ("- key: value" items
 * included), plain / single-quoted / double-quoted single-line scalars with
 * YAML 1.1 resolution as PyYAML's safe_load does it (yes/no/on/off
 * booleans, ints with 0x/0o/0b/sexagesimal forms, floats that need a dot,
 * nulls, timestamps), literal and folded block scalars, single-line flow
 * sequences and mappings, comments. Anything else is refused with the line
 * named rather than guessed at. Top-level keys that metadata.py does not
 * read are skipped by indentation without being interpreted, so the
 * nested structures cards carry (model-index, widget) cost nothing.
 *
 * The text is prepared as metadata.py prepares it: the lines between a
 * first line "---" and the next "---", "- no\n" quoted (the Norway
 * problem), tabs replaced by two spaces.
 */
#include "arch_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define YAML_MAX_BYTES (1u << 20)
#define YAML_MAX_DEPTH 32

/* The top-level keys metadata.py reads (apply_metadata_heuristic). */
static const char *const k_read_keys[] = {
    "name", "author", "version", "organization", "description", "finetune",
    "basename", "size_label", "url", "doi", "uuid", "repo_url", "model_name",
    "model_author", "model_version", "model_organization", "model_description",
    "model_finetune", "model_basename", "model_size_label", "model_url",
    "model_doi", "model_uuid", "model_repo_url", "model_creator", "model_type",
    "base_model", "base_models", "base_model_sources", "datasets", "dataset",
    "dataset_sources", "license", "license_name", "license_link", "tags",
    "pipeline_tag", "languages", "language"};

typedef struct yline {
  size_t indent; /* leading spaces */
  char *text;    /* after the indent, NUL-terminated, no newline */
  size_t no;     /* line number in README.md (1-based) */
} yline;

typedef struct yparser {
  yline *lines;
  size_t n, pos;
} yparser;

static tp_status bad(const yline *l, tp_status st, const char *what) {
  return tp_error(st, "README.md: front matter: line %zu: %s", l ? l->no : 0, what);
}

static bool blank_or_comment(const yline *l) {
  return !l->text[0] || l->text[0] == '#';
}

static void skip_blank(yparser *y) {
  while (y->pos < y->n && blank_or_comment(&y->lines[y->pos])) y->pos++;
}

/* ---- scalars ---------------------------------------------------------------- */

static bool all_chars(const char *s, size_t n, const char *set) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!strchr(set, s[i])) return false;
  return true;
}

/* PyYAML's int resolver and constructor. */
static bool yaml_int(const char *s, size_t n, json_t **out) {
  size_t i = 0;
  int neg = 0;
  unsigned long long v = 0;
  char digits[128];
  size_t nd = 0;
  if (!n) return false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= n) return false;
  /* sexagesimal: [1-9][0-9_]*(:[0-5]?[0-9])+ */
  if (memchr(s + i, ':', n - i)) {
    const char *p = s + i, *e = s + n;
    const char *colon = memchr(p, ':', (size_t)(e - p));
    unsigned long long acc;
    if (p[0] < '1' || p[0] > '9' || !all_chars(p, (size_t)(colon - p), "0123456789_"))
      return false;
    acc = 0;
    for (; p < colon; p++)
      if (*p != '_') acc = acc * 10 + (unsigned)(*p - '0');
    while (p < e) {
      const char *q = p + 1, *next = memchr(q, ':', (size_t)(e - q));
      size_t len;
      if (!next) next = e;
      len = (size_t)(next - q);
      if (len < 1 || len > 2 || !isdigit((unsigned char)q[len - 1]) ||
          (len == 2 && (q[0] < '0' || q[0] > '5')))
        return false;
      acc = acc * 60 + (unsigned)atoi(q);
      p = next;
    }
    *out = json_integer(neg ? -(json_int_t)acc : (json_int_t)acc);
    return true;
  }
  for (; i < n && nd + 1 < sizeof digits; i++)
    if (s[i] != '_') digits[nd++] = s[i];
    else if (i == 0) return false;
  digits[nd] = 0;
  if (i < n || !nd) return false;
  {
    const char *d = digits;
    int base = 10;
    char *end;
    /* the original text decides the form: 0b, 0x, 0 (octal) */
    size_t off = (s[0] == '-' || s[0] == '+');
    if (n - off > 2 && s[off] == '0' && s[off + 1] == 'b') {
      if (!all_chars(s + off + 2, n - off - 2, "01_")) return false;
      base = 2;
      d = digits + 2;
    } else if (n - off > 2 && s[off] == '0' && s[off + 1] == 'x') {
      if (!all_chars(s + off + 2, n - off - 2, "0123456789abcdefABCDEF_")) return false;
      base = 16;
      d = digits + 2;
    } else if (n - off > 1 && s[off] == '0') {
      if (!all_chars(s + off + 1, n - off - 1, "01234567_")) return false;
      base = 8;
      d = digits + 1;
    } else {
      if (!all_chars(s + off, n - off, "0123456789_") || s[off] == '_') return false;
    }
    if (!*d) return false;
    errno = 0;
    v = strtoull(d, &end, base);
    if (*end || errno == ERANGE || v > (unsigned long long)INT64_MAX) return false;
    *out = json_integer(neg ? -(json_int_t)v : (json_int_t)v);
    return true;
  }
}

/* PyYAML's float resolver: a dot is required, an exponent needs a sign. */
static bool yaml_float(const char *s, size_t n, json_t **out) {
  char buf[128];
  size_t i = 0, k = 0;
  if (!n || n >= sizeof buf) return false;
  {
    const char *t = s;
    size_t m = n;
    if (t[0] == '-' || t[0] == '+') {
      t++;
      m--;
    }
    /* JSON has no infinities or NaN: a marker object, which no metadata
     * field accepts (the reference would fail on such a value too) */
    if ((m == 4 && (!memcmp(t, ".inf", 4) || !memcmp(t, ".Inf", 4) ||
                    !memcmp(t, ".INF", 4))) ||
        (n == 4 && (!memcmp(s, ".nan", 4) || !memcmp(s, ".NaN", 4) ||
                    !memcmp(s, ".NAN", 4)))) {
      *out = json_pack("{s:s,s:s#}", "$yaml", "float", "text", s, (int)n);
      return true;
    }
  }
  i = 0;
  if (s[0] == '-' || s[0] == '+') i = 1;
  if (i < n && s[i] == '.') {
    /* \.[0-9_]+ (no sign allowed by PyYAML for this form) */
    if (i) return false;
    i++;
    if (i >= n || !strchr("0123456789_", s[i])) return false;
    while (i < n && strchr("0123456789_", s[i])) i++;
  } else {
    if (i >= n || !isdigit((unsigned char)s[i])) return false;
    while (i < n && strchr("0123456789_", s[i])) i++;
    if (i >= n || s[i] != '.') return false; /* sexagesimal floats: refused */
    i++;
    while (i < n && strchr("0123456789_", s[i])) i++;
  }
  if (i < n) {
    if (s[i] != 'e' && s[i] != 'E') return false;
    i++;
    if (i >= n || (s[i] != '+' && s[i] != '-')) return false;
    i++;
    if (i >= n) return false;
    while (i < n && isdigit((unsigned char)s[i])) i++;
    if (i < n) return false;
  }
  for (i = 0; i < n; i++)
    if (s[i] != '_') buf[k++] = s[i];
  buf[k] = 0;
  *out = json_real(strtod(buf, NULL));
  return true;
}

static bool yaml_timestamp(const char *s, size_t n) {
  size_t i;
  if (n < 10) return false;
  for (i = 0; i < 4; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  if (s[4] != '-') return false;
  return isdigit((unsigned char)s[5]);
}

static bool word_in(const char *s, size_t n, const char *const *words) {
  for (; *words; words++)
    if (strlen(*words) == n && !memcmp(*words, s, n)) return true;
  return false;
}

/* A plain scalar, resolved. */
static tp_status plain_value(const yline *l, const char *s, size_t n, json_t **out) {
  static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE",
                                      "on", "On", "ON", NULL};
  static const char *const falses[] = {"no", "No", "NO", "false", "False",
                                       "FALSE", "off", "Off", "OFF", NULL};
  *out = NULL;
  if (!n || word_in(s, n, nulls)) *out = json_null();
  else if (word_in(s, n, trues)) *out = json_true();
  else if (word_in(s, n, falses)) *out = json_false();
  else if (yaml_int(s, n, out) || yaml_float(s, n, out)) {
    if (!*out) return bad(l, TP_EUNSUPPORTED, "a number JSON cannot hold");
  } else if (yaml_timestamp(s, n)) {
    *out = json_pack("{s:s,s:s#}", "$yaml", "timestamp", "text", s, (int)n);
  } else {
    if (strchr("&*!|>%@`", s[0]))
      return bad(l, TP_EUNSUPPORTED, "anchors, aliases, tags and directives are "
                 "not supported");
    *out = json_stringn(s, n);
  }
  return *out ? TP_OK : tp_error_nomem(n);
}

/* Appends the UTF-8 form of cp. */
static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 63)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 63));
    o[2] = (char)(0x80 | (cp & 63));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 63));
  o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63));
  return 4;
}

/* A quoted scalar starting at *pp (on its quote); on success *pp is past
 * the closing quote. It must close on the same line. */
static tp_status quoted(const yline *l, const char **pp, json_t **out) {
  const char *p = *pp;
  char q = *p++;
  size_t cap = strlen(p) * 4 + 1, n = 0;
  char *buf = tp_malloc(cap);
  tp_status st = TP_OK;
  if (!buf) return TP_ENOMEM;
  for (;;) {
    if (!*p) {
      st = bad(l, TP_EUNSUPPORTED, "a quoted scalar spanning lines is not supported");
      break;
    }
    if (q == '\'' && *p == '\'') {
      if (p[1] == '\'') { buf[n++] = '\''; p += 2; continue; }
      p++;
      break;
    }
    if (q == '"' && *p == '"') { p++; break; }
    if (q == '"' && *p == '\\') {
      static const char simple_in[] = "0abtnvfre \"/\\\t";
      static const char simple_out[] = "\0\a\b\t\n\v\f\r\x1b \"/\\\t";
      const char *hit = p[1] ? strchr(simple_in, p[1]) : NULL;
      if (hit) { buf[n++] = simple_out[hit - simple_in]; p += 2; continue; }
      if (p[1] == 'N' || p[1] == '_' || p[1] == 'L' || p[1] == 'P') {
        uint32_t cp = p[1] == 'N' ? 0x85 : p[1] == '_' ? 0xA0 : p[1] == 'L' ? 0x2028 : 0x2029;
        n += put_utf8(buf + n, cp);
        p += 2;
        continue;
      }
      if (p[1] == 'x' || p[1] == 'u' || p[1] == 'U') {
        int len = p[1] == 'x' ? 2 : p[1] == 'u' ? 4 : 8, k;
        uint32_t cp = 0;
        for (k = 0; k < len; k++) {
          char c = p[2 + k];
          if (!isxdigit((unsigned char)c)) break;
          cp = cp * 16 + (uint32_t)(isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10));
        }
        if (k < len || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
          st = bad(l, TP_EFORMAT, "bad escape in a double-quoted scalar");
          break;
        }
        n += put_utf8(buf + n, cp);
        p += 2 + len;
        continue;
      }
      st = bad(l, TP_EFORMAT, "bad escape in a double-quoted scalar");
      break;
    }
    buf[n++] = *p++;
  }
  if (st == TP_OK) {
    *out = json_stringn(buf, n);
    if (!*out) st = tp_error_nomem(n);
    *pp = p;
  }
  free(buf);
  return st;
}

/* What may follow a value on its line: spaces, then a comment or nothing. */
static bool rest_empty(const char *p) {
  while (*p == ' ') p++;
  return !*p || *p == '#';
}

/* ---- flow collections (single line) ------------------------------------------ */

static tp_status flow_value(const yline *l, const char **pp, int depth, json_t **out);

static void flow_ws(const char **pp) {
  while (**pp == ' ') (*pp)++;
}

static tp_status flow_plain(const yline *l, const char **pp, bool in_map,
                            json_t **out) {
  const char *p = *pp, *s = p;
  size_t n;
  while (*p && *p != ',' && *p != ']' && *p != '}' &&
         !(*p == '#' && p > s && p[-1] == ' ') &&
         !(in_map && *p == ':' && (p[1] == ' ' || p[1] == ',' || p[1] == '}' || !p[1])))
    p++;
  n = (size_t)(p - s);
  while (n && s[n - 1] == ' ') n--;
  *pp = p;
  return plain_value(l, s, n, out);
}

static tp_status flow_value(const yline *l, const char **pp, int depth, json_t **out) {
  tp_status st;
  *out = NULL;
  if (depth > YAML_MAX_DEPTH) return bad(l, TP_ELIMIT, "nested too deeply");
  flow_ws(pp);
  if (**pp == '[' || **pp == '{') {
    bool map = **pp == '{';
    char close = map ? '}' : ']';
    json_t *c = map ? json_object() : json_array();
    if (!c) return TP_ENOMEM;
    (*pp)++;
    for (;;) {
      json_t *k = NULL, *v = NULL;
      flow_ws(pp);
      if (**pp == close) { (*pp)++; break; }
      if (!**pp) {
        json_decref(c);
        return bad(l, TP_EUNSUPPORTED, "a flow collection spanning lines is not supported");
      }
      if (map) {
        st = (**pp == '"' || **pp == '\'') ? quoted(l, pp, &k) : flow_plain(l, pp, true, &k);
        if (st == TP_OK && !json_is_string(k)) st = bad(l, TP_EUNSUPPORTED, "a non-text key");
        if (st == TP_OK) {
          flow_ws(pp);
          if (**pp == ':') {
            (*pp)++;
            flow_ws(pp);
            if (**pp == ',' || **pp == '}') v = json_null();
            else st = flow_value(l, pp, depth + 1, &v);
          } else {
            v = json_null();
          }
        }
        if (st == TP_OK && json_object_set_new(c, json_string_value(k), v)) st = TP_ENOMEM;
        else if (st != TP_OK) json_decref(v);
        json_decref(k);
      } else {
        st = flow_value(l, pp, depth + 1, &v);
        if (st == TP_OK && json_array_append_new(c, v)) st = TP_ENOMEM;
      }
      if (st != TP_OK) {
        json_decref(c);
        return st;
      }
      flow_ws(pp);
      if (**pp == ',') (*pp)++;
      else if (**pp != close) {
        json_decref(c);
        return bad(l, TP_EFORMAT, "expected ',' or the end of a flow collection");
      }
    }
    *out = c;
    return TP_OK;
  }
  if (**pp == '"' || **pp == '\'') return quoted(l, pp, out);
  return flow_plain(l, pp, false, out);
}

/* ---- blocks ------------------------------------------------------------------ */

static tp_status block(yparser *y, size_t min_indent, int depth, json_t **out);

/* A block scalar (| or >) whose header is at line l, parent indent ind. */
static tp_status block_scalar(yparser *y, const yline *l, const char *hdr,
                              size_t ind, json_t **out) {
  bool literal = *hdr == '|';
  int chomp = 0; /* -1 strip, 0 clip, +1 keep */
  size_t explicit_ind = 0, base = 0, i, cap = 0, n = 0, first, last;
  char *buf = NULL;
  const char *p = hdr + 1;
  for (i = 0; i < 2 && *p && *p != ' '; i++, p++) {
    if (*p == '-') chomp = -1;
    else if (*p == '+') chomp = 1;
    else if (*p >= '1' && *p <= '9') explicit_ind = (size_t)(*p - '0');
    else return bad(l, TP_EFORMAT, "bad block scalar header");
  }
  if (!rest_empty(p)) return bad(l, TP_EFORMAT, "text after a block scalar header");
  /* the content: following lines more indented than the parent, or blank */
  first = y->pos;
  last = first;
  for (i = first; i < y->n; i++) {
    const yline *c = &y->lines[i];
    if (!c->text[0]) continue;
    if (c->indent <= ind) break;
    if (!base) base = explicit_ind ? ind + explicit_ind : c->indent;
    if (c->indent < base) return bad(c, TP_EFORMAT, "block scalar line indented less than its first line");
    if (!literal && c->indent > base)
      return bad(c, TP_EUNSUPPORTED, "more-indented lines in a folded block scalar are not supported");
    last = i + 1;
  }
  for (i = first; i < last; i++) cap += strlen(y->lines[i].text) + y->lines[i].indent + 2;
  buf = tp_malloc(cap + 2);
  if (!buf) return TP_ENOMEM;
  for (i = first; i < last; i++) {
    const yline *c = &y->lines[i];
    bool empty = !c->text[0];
    size_t extra = empty || c->indent < base ? 0 : c->indent - base;
    if (literal) {
      memset(buf + n, ' ', extra);
      n += extra;
      if (!empty) { memcpy(buf + n, c->text, strlen(c->text)); n += strlen(c->text); }
      buf[n++] = '\n';
    } else {
      /* folded: a line break between two text lines becomes a space, each
       * empty line a newline */
      if (empty) {
        buf[n++] = '\n';
      } else {
        if (n && buf[n - 1] != '\n') buf[n++] = ' ';
        memcpy(buf + n, c->text, strlen(c->text));
        n += strlen(c->text);
      }
    }
  }
  if (!literal && n) buf[n++] = '\n';
  /* trailing blank lines after the content belong to it for keep */
  y->pos = last;
  while (y->pos < y->n && !y->lines[y->pos].text[0]) y->pos++;
  if (chomp < 0) {
    while (n && buf[n - 1] == '\n') n--;
  } else if (chomp == 0) {
    while (n > 1 && buf[n - 1] == '\n' && buf[n - 2] == '\n') n--;
  } else {
    size_t k;
    for (k = last; k < y->pos && n + 1 < cap + 2; k++) buf[n++] = '\n';
  }
  *out = json_stringn(buf, n);
  free(buf);
  return *out ? TP_OK : tp_error_nomem(n);
}

/* The value after "key:" or "- " on line l (text p), where the key or dash
 * is at indent ind. */
static tp_status inline_value(yparser *y, const yline *l, const char *p,
                              size_t ind, int depth, json_t **out) {
  size_t n;
  tp_status st;
  while (*p == ' ') p++;
  if (!*p || *p == '#') {
    /* a nested block, or a sequence at the same indent ("key:\n- a") */
    skip_blank(y);
    if (y->pos < y->n) {
      const yline *nx = &y->lines[y->pos];
      if (nx->indent > ind ||
          (nx->indent == ind && nx->text[0] == '-' && (!nx->text[1] || nx->text[1] == ' ')))
        return block(y, nx->indent, depth + 1, out);
    }
    *out = json_null();
    return TP_OK;
  }
  if (*p == '|' || *p == '>') return block_scalar(y, l, p, ind, out);
  if (*p == '[' || *p == '{' || *p == '"' || *p == '\'') {
    const char *q = p;
    st = flow_value(l, &q, depth, out);
    if (st == TP_OK && !rest_empty(q)) {
      json_decref(*out);
      *out = NULL;
      return bad(l, TP_EFORMAT, "text after a value");
    }
    return st;
  }
  /* plain: up to a comment; ": " inside is a nested mapping, not a value */
  {
    const char *e = p, *hash = NULL;
    while (*e) {
      if (*e == '#' && e > p && e[-1] == ' ') { hash = e; break; }
      if (*e == ':' && (e[1] == ' ' || !e[1]))
        return bad(l, TP_EUNSUPPORTED, "a mapping inside a plain value is not supported");
      e++;
    }
    n = (size_t)((hash ? hash : e) - p);
    while (n && p[n - 1] == ' ') n--;
  }
  /* a continuation line of a multi-line plain scalar */
  skip_blank(y);
  if (y->pos < y->n && y->lines[y->pos].indent > ind) {
    const yline *nx = &y->lines[y->pos];
    if (!(nx->text[0] == '-' && (nx->text[1] == ' ' || !nx->text[1])) &&
        !strstr(nx->text, ": "))
      return bad(nx, TP_EUNSUPPORTED, "multi-line plain scalars are not supported");
  }
  return plain_value(l, p, n, out);
}

/* Splits "key: rest" at the mapping colon: key into *k (new ref); *rest
 * after the colon. False when the line is not a mapping entry. */
static tp_status split_key(const yline *l, char *text, json_t **k, const char **rest,
                           bool *is_entry) {
  char *p = text;
  *is_entry = false;
  *k = NULL;
  if (*p == '"' || *p == '\'') {
    const char *q = p;
    tp_status st = quoted(l, &q, k);
    if (st != TP_OK) return st;
    while (*q == ' ') q++;
    if (*q != ':' || (q[1] && q[1] != ' ')) {
      json_decref(*k);
      *k = NULL;
      return TP_OK;
    }
    *rest = q + 1;
    *is_entry = true;
    return TP_OK;
  }
  if (*p == '?' && (p[1] == ' ' || !p[1]))
    return bad(l, TP_EUNSUPPORTED, "complex mapping keys are not supported");
  for (; *p; p++) {
    if (*p == '#' && p > text && p[-1] == ' ') return TP_OK;
    if (*p == ':' && (p[1] == ' ' || !p[1])) {
      size_t n = (size_t)(p - text);
      while (n && text[n - 1] == ' ') n--;
      if (!n) return bad(l, TP_EUNSUPPORTED, "an empty key");
      if (strchr("&*!|>%@`[]{},", text[0]))
        return bad(l, TP_EUNSUPPORTED, "anchors, aliases, tags or flow keys are not supported");
      *k = json_stringn(text, n);
      if (!*k) return TP_ENOMEM;
      *rest = p + 1;
      *is_entry = true;
      return TP_OK;
    }
  }
  return TP_OK;
}

static bool is_dash(const yline *l) {
  return l->text[0] == '-' && (l->text[1] == ' ' || !l->text[1]);
}

static tp_status block(yparser *y, size_t ind, int depth, json_t **out) {
  yline *l;
  tp_status st;
  *out = NULL;
  if (depth > YAML_MAX_DEPTH) return bad(NULL, TP_ELIMIT, "nested deeper than 32 levels");
  skip_blank(y);
  if (y->pos >= y->n) {
    *out = json_null();
    return TP_OK;
  }
  l = &y->lines[y->pos];
  if (is_dash(l)) {
    json_t *a = json_array();
    if (!a) return TP_ENOMEM;
    while (y->pos < y->n) {
      json_t *v = NULL;
      skip_blank(y);
      if (y->pos >= y->n) break;
      l = &y->lines[y->pos];
      if (l->indent < ind || (l->indent == ind && !is_dash(l))) break;
      if (l->indent > ind) {
        json_decref(a);
        return bad(l, TP_EFORMAT, "bad indentation in a sequence");
      }
      {
        /* "- content": content becomes a line of its own at its column */
        size_t col = 1;
        while (l->text[col] == ' ') col++;
        if (!l->text[col] || l->text[col] == '#') {
          y->pos++;
          st = inline_value(y, l, "", ind, depth, &v);
        } else {
          json_t *k;
          const char *rest;
          bool entry;
          l->indent += col;
          l->text += col;
          st = split_key(l, l->text, &k, &rest, &entry);
          json_decref(k);
          if (st == TP_OK && (entry || is_dash(l))) {
            st = block(y, l->indent, depth + 1, &v); /* a mapping or sequence item */
          } else if (st == TP_OK) {
            y->pos++;
            st = inline_value(y, l, l->text, ind, depth, &v);
          }
        }
      }
      if (st != TP_OK || json_array_append_new(a, v)) {
        json_decref(a);
        return st != TP_OK ? st : TP_ENOMEM;
      }
    }
    *out = a;
    return TP_OK;
  }
  {
    json_t *m = json_object();
    if (!m) return TP_ENOMEM;
    while (y->pos < y->n) {
      json_t *k = NULL, *v = NULL;
      const char *rest = NULL;
      bool entry;
      skip_blank(y);
      if (y->pos >= y->n) break;
      l = &y->lines[y->pos];
      if (l->indent < ind) break;
      if (l->indent > ind) {
        json_decref(m);
        return bad(l, TP_EFORMAT, "bad indentation in a mapping");
      }
      if (is_dash(l)) break; /* the sequence of a parent's compact key */
      st = split_key(l, l->text, &k, &rest, &entry);
      if (st == TP_OK && !entry)
        st = bad(l, TP_EUNSUPPORTED, "expected a \"key: value\" line");
      if (st == TP_OK) {
        y->pos++;
        st = inline_value(y, l, rest, ind, depth, &v);
      }
      if (st == TP_OK && json_object_set_new(m, json_string_value(k), v)) st = TP_ENOMEM;
      json_decref(k);
      if (st != TP_OK) {
        json_decref(m);
        return st;
      }
    }
    *out = m;
    return TP_OK;
  }
}

/* The top level: a mapping whose unread keys are skipped by indentation. */
static tp_status top(yparser *y, json_t **out) {
  json_t *m = json_object();
  if (!m) return TP_ENOMEM;
  skip_blank(y);
  if (y->pos < y->n && (y->lines[y->pos].indent > 0 || is_dash(&y->lines[y->pos]))) {
    json_decref(m);
    return bad(&y->lines[y->pos], TP_EUNSUPPORTED,
               "the front matter is not a mapping at the top level");
  }
  while (y->pos < y->n) {
    yline *l = &y->lines[y->pos];
    json_t *k = NULL, *v = NULL;
    const char *rest = NULL;
    bool entry, read = false;
    size_t i;
    tp_status st;
    if (blank_or_comment(l)) {
      y->pos++;
      continue;
    }
    if (l->indent > 0) {
      json_decref(m);
      return bad(l, TP_EFORMAT, "bad indentation at the top level");
    }
    if (!strcmp(l->text, "...") || l->text[0] == '%') {
      json_decref(m);
      return bad(l, TP_EUNSUPPORTED, "document markers and directives are not supported");
    }
    st = split_key(l, l->text, &k, &rest, &entry);
    if (st == TP_OK && !entry) st = bad(l, TP_EUNSUPPORTED, "expected a \"key: value\" line");
    if (st != TP_OK) {
      json_decref(m);
      return st;
    }
    for (i = 0; i < TP_ARRAY_LEN(k_read_keys); i++)
      if (!strcmp(json_string_value(k), k_read_keys[i])) read = true;
    y->pos++;
    if (read) {
      st = inline_value(y, l, rest, 0, 1, &v);
      if (st == TP_OK && json_object_set_new(m, json_string_value(k), v)) st = TP_ENOMEM;
    } else {
      /* skip the value: deeper lines, and "- " lines of a compact sequence;
       * a flow collection or quoted scalar left open would hide its end */
      const char *p = rest;
      while (*p == ' ') p++;
      if ((*p == '[' || *p == '{' || *p == '"' || *p == '\'')) {
        const char *q = p;
        json_t *tmp = NULL;
        st = flow_value(l, &q, 1, &tmp);
        json_decref(tmp);
      }
      while (st == TP_OK && y->pos < y->n &&
             (!y->lines[y->pos].text[0] || y->lines[y->pos].indent > 0 ||
              is_dash(&y->lines[y->pos]) || y->lines[y->pos].text[0] == '#'))
        y->pos++;
    }
    json_decref(k);
    if (st != TP_OK) {
      json_decref(m);
      return st;
    }
  }
  *out = m;
  return TP_OK;
}

/* Python's str.splitlines() also breaks at these; a card using them inside
 * the front matter is refused rather than split differently. */
static bool odd_line_break(const unsigned char *p, size_t n) {
  if (*p == 0x0b || *p == 0x0c || (*p >= 0x1c && *p <= 0x1e)) return true;
  if (n >= 2 && p[0] == 0xC2 && p[1] == 0x85) return true;
  if (n >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
    return true;
  return false;
}

tp_status tp_arch_card_parse(const char *text, size_t len, json_t **out) {
  yparser y;
  char *work, *w, *end;
  size_t i, cap, cap_lines = 0, lineno;
  bool closed = false;
  tp_status st;
  *out = NULL;
  memset(&y, 0, sizeof y);
  if (!tp_utf8_valid(text, len, NULL))
    return tp_error(TP_EFORMAT, "README.md: not UTF-8 text");
  /* read as text (universal newlines): the first line must be "---" */
  if (!(len >= 3 && !memcmp(text, "---", 3) &&
        (len == 3 || text[3] == '\n' || text[3] == '\r')))
    return TP_OK;
  i = 3;
  if (i < len && text[i] == '\r') {
    if (++i < len && text[i] == '\n') i++;
  } else if (i < len && text[i] == '\n') {
    i++;
  }
  if (len - i > YAML_MAX_BYTES) {
    /* the front matter may still be short: bound the copy, not the file */
    size_t k;
    for (k = i; k < len && k - i <= YAML_MAX_BYTES; k++)
      if (!memcmp(text + k, "\n---", 4)) break;
    if (k - i > YAML_MAX_BYTES)
      return tp_error(TP_ELIMIT, "README.md: front matter larger than %u bytes",
                      YAML_MAX_BYTES);
  }
  cap = 2 * (len - i < YAML_MAX_BYTES ? len - i : YAML_MAX_BYTES) + 16;
  work = tp_malloc(cap);
  if (!work) return TP_ENOMEM;
  w = work;
  end = work + cap - 2;
  /* the front matter lines, joined with "\n", tabs as two spaces */
  for (lineno = 2; i < len; lineno++) {
    size_t e = i, k;
    while (e < len && text[e] != '\n' && text[e] != '\r') {
      if (odd_line_break((const unsigned char *)text + e, len - e)) {
        free(work);
        return tp_error(TP_EUNSUPPORTED,
                        "README.md: front matter: line %zu: a line break "
                        "character other than \\n or \\r",
                        lineno);
      }
      e++;
    }
    if (e - i == 3 && !memcmp(text + i, "---", 3)) {
      closed = true;
      break;
    }
    for (k = i; k < e; k++) {
      if (w + 2 >= end) {
        free(work);
        return tp_error(TP_ELIMIT, "README.md: front matter larger than %u bytes",
                        YAML_MAX_BYTES);
      }
      if (text[k] == '\t') {
        *w++ = ' ';
        *w++ = ' ';
      } else {
        *w++ = text[k];
      }
    }
    *w++ = '\n';
    i = e;
    if (i < len && text[i] == '\r') {
      if (++i < len && text[i] == '\n') i++;
    } else if (i < len && text[i] == '\n') {
      i++;
    }
  }
  if (!closed) {
    free(work);
    return tp_error(TP_EFORMAT, "README.md: the front matter has no closing "
                    "\"---\" line");
  }
  *w = 0;
  /* "- no\n" -> "- \"no\"\n": the buffer is twice the text, room enough */
  {
    char *p = work;
    while ((p = strstr(p, "- no\n"))) {
      if (w + 2 >= end) break;
      memmove(p + 6, p + 4, (size_t)(w - (p + 4)) + 1);
      memcpy(p, "- \"no\"", 6);
      w += 2;
      p += 7;
    }
  }
  /* lines */
  for (w = work, lineno = 2; *w; lineno++) {
    char *e = strchr(w, '\n');
    yline *l;
    size_t ind = 0, tl;
    if (!e) break;
    *e = 0;
    st = tp_grow((void **)&y.lines, &cap_lines, y.n + 1, sizeof *y.lines);
    if (st != TP_OK) {
      free(work);
      free(y.lines);
      return st;
    }
    while (w[ind] == ' ') ind++;
    l = &y.lines[y.n++];
    l->indent = ind;
    l->text = w + ind;
    tl = strlen(l->text);
    while (tl && l->text[tl - 1] == ' ') l->text[--tl] = 0;
    l->no = lineno;
    w = e + 1;
  }
  st = top(&y, out);
  free(work);
  free(y.lines);
  return st;
}
