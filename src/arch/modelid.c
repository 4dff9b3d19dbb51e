/*
 * modelid.c - gguf-py metadata.py's string heuristics: splitting a model id
 * ("HuggingFaceTB/SmolLM2-135M-Instruct") into organization, basename,
 * size label, fine-tune and version (get_model_id_components), title-casing
 * names (id_to_title) and the parameter-count size label (utility.py
 * size_label). The regular expressions of metadata.py are matched by hand,
 * with Python's semantics for ASCII text; ids with other characters are
 * refused, since Python's Unicode casing and digit classes are not
 * reproduced.
 */
#include "arch_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>


static bool ci_eq(const char *s, size_t n, const char *word) {
  size_t i;
  if (strlen(word) != n) return false;
  for (i = 0; i < n; i++)
    if (tolower((unsigned char)s[i]) != word[i]) return false;
  return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

/* (v|iter)?\d+([.]\d+)* */
static bool re_version(const char *s, size_t n) {
  size_t i = 0;
  if (n >= 2 && (s[0] == 'v' || s[0] == 'V') && is_digit(s[1])) i = 1;
  else if (n >= 5 && ci_eq(s, 4, "iter") && is_digit(s[4])) i = 4;
  if (i >= n || !is_digit(s[i])) return false;
  while (i < n && is_digit(s[i])) i++;
  while (i < n) {
    if (s[i] != '.' || i + 1 >= n || !is_digit(s[i + 1])) return false;
    i++;
    while (i < n && is_digit(s[i])) i++;
  }
  return true;
}

/* i?q\d(_\w)*|b?fp?(16|32) */
static bool re_quant_type(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && (s[i] == 'i' || s[i] == 'I')) i++;
  if (i + 1 < n + 1 && i < n && (s[i] == 'q' || s[i] == 'Q') && i + 1 < n &&
      is_digit(s[i + 1])) {
    size_t j = i + 2;
    for (; j + 1 < n + 1 && j < n; j += 2)
      if (j + 1 >= n || s[j] != '_' || !is_word(s[j + 1])) break;
    if (j == n) return true;
  }
  i = 0;
  if (i < n && (s[i] == 'b' || s[i] == 'B')) i++;
  if (i >= n || (s[i] != 'f' && s[i] != 'F')) return false;
  i++;
  if (i < n && (s[i] == 'p' || s[i] == 'P')) i++;
  return n - i == 2 && (!memcmp(s + i, "16", 2) || !memcmp(s + i, "32", 2));
}

/* digits then [._]digits? then [KMBT] then \d? from s[i], to the end */
static bool size_tail(const char *s, size_t n, size_t i) {
  size_t d = i;
  while (i < n && is_digit(s[i])) i++;
  if (i == d) return false;
  if (i < n && (s[i] == '.' || s[i] == '_')) {
    size_t e = ++i;
    while (i < n && is_digit(s[i])) i++;
    if (i == e) return false;
  }
  if (i >= n || !strchr("KMBTkmbt", s[i])) return false;
  i++;
  if (i < n && is_digit(s[i])) i++;
  return i == n;
}

/* (([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl) */
static bool re_size(const char *s, size_t n) {
  size_t i = 0;
  if (ci_eq(s, n, "small") || ci_eq(s, n, "mini") || ci_eq(s, n, "medium") ||
      ci_eq(s, n, "large") || ci_eq(s, n, "xl") || ci_eq(s, n, "xxl"))
    return true;
  if (n && (s[0] == 'a' || s[0] == 'A')) return size_tail(s, n, 1);
  while (i < n && is_digit(s[i])) i++;
  if (i > 0 && i < n && (s[i] == 'x' || s[i] == 'X')) return size_tail(s, n, i + 1);
  return size_tail(s, n, 0);
}

static bool re_finetune(const char *s, size_t n) {
  return ci_eq(s, n, "chat") || ci_eq(s, n, "instruct") || ci_eq(s, n, "vision") ||
         ci_eq(s, n, "lora");
}

/* Python float() of the characters the size regex leaves (digits with one
 * dot); false where Python raises ValueError. */
static bool py_float(const char *s, size_t n, double *out) {
  char buf[64];
  size_t i, dots = 0, digits = 0;
  char *end;
  if (!n || n >= sizeof buf) return false;
  for (i = 0; i < n; i++) {
    if (s[i] == '.') dots++;
    else if (is_digit(s[i])) digits++;
    else return false;
  }
  if (dots > 1 || !digits) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  *out = strtod(buf, &end);
  return *end == 0;
}

enum { T_BASENAME = 1, T_SIZE = 2, T_FINETUNE = 4, T_VERSION = 8, T_TYPE = 16 };

static tp_status check_ascii(const char *id) {
  const unsigned char *p;
  for (p = (const unsigned char *)id; *p; p++)
    if (*p >= 0x80 || *p < 0x20) {
      char q[256];
      tp_quote_for_message(q, sizeof q, id, strlen(id));
      return tp_error(TP_EUNSUPPORTED,
                      "model id \"%s\": non-ASCII or control characters; "
                      "metadata.py's Unicode-aware naming heuristics are not "
                      "reproduced for them (give the model name explicitly)",
                      q);
    }
  return TP_OK;
}

void tp_arch_model_id_clear(tp_arch_model_id *c) {
  free(c->full_name);
  free(c->org);
  free(c->basename);
  free(c->finetune);
  free(c->version);
  free(c->size_label);
  memset(c, 0, sizeof *c);
}

/* "-".join of the parts whose types have `want` (and lack `lacks`). */
static char *join_parts(char *const *parts, const unsigned *types, size_t n,
                        unsigned want, unsigned lacks, bool dedupe, tp_status *st) {
  size_t i, j, used = 0, cap = 1;
  char *buf;
  for (i = 0; i < n; i++) cap += strlen(parts[i]) + 1;
  buf = tp_malloc(cap);
  if (!buf) {
    *st = TP_ENOMEM;
    return NULL;
  }
  buf[0] = 0;
  for (i = 0; i < n; i++) {
    bool dup = false;
    size_t l;
    if (!(types[i] & want) || (types[i] & lacks)) continue;
    if (dedupe)
      for (j = 0; j < i && !dup; j++)
        dup = (types[j] & want) && !(types[j] & lacks) && !strcmp(parts[j], parts[i]);
    if (dup) continue;
    if (used) buf[used++] = '-';
    l = strlen(parts[i]);
    memcpy(buf + used, parts[i], l);
    used += l;
    buf[used] = 0;
  }
  if (!used) {
    free(buf);
    return NULL;
  }
  return buf;
}

tp_status tp_arch_model_id_parse(const char *id, int64_t total_params,
                                 tp_arch_model_id *out) {
  char **parts = NULL, *store = NULL;
  unsigned *types = NULL;
  size_t np = 0, i, idlen;
  const char *full, *slash, *p;
  bool at_start = true, any_num_size = false;
  tp_status st;
  memset(out, 0, sizeof *out);
  if (!id) return TP_OK;
  if ((st = check_ascii(id)) != TP_OK) return st;
  if (strchr(id, ' ')) {
    out->full_name = tp_strdup(id);
    return out->full_name ? TP_OK : TP_ENOMEM;
  }
  slash = strchr(id, '/');
  if (slash) {
    if (slash > id && id[0] != '.') {
      out->org = tp_strndup(id, (size_t)(slash - id));
      if (!out->org) return TP_ENOMEM;
    } else if (slash == id) {
      out->org = tp_strdup(""); /* an empty organization is kept */
      if (!out->org) return TP_ENOMEM;
    }
    full = slash + 1;
  } else {
    full = id;
  }
  out->full_name = tp_strdup(full);
  if (!out->full_name) goto nomem;
  /* the parts, each with room for one more character (bloom's 7b1) */
  idlen = strlen(full);
  parts = tp_calloc(idlen / 2 + 2, sizeof *parts);
  types = tp_calloc(idlen / 2 + 2, sizeof *types);
  store = tp_malloc(2 * idlen + 4);
  if (!parts || !types || !store) goto nomem;
  {
    char *w = store;
    for (p = full; *p;) {
      const char *e = strchr(p, '-');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      if (n) {
        parts[np] = w;
        memcpy(w, p, n);
        w[n] = 0;
        w += n + 2;
        types[np++] = 0;
      }
      if (!e) break;
      p = e + 1;
    }
  }
  for (i = 0; i < np; i++) {
    char *part = parts[i];
    size_t n = strlen(part), k;
    if (re_version(part, n)) {
      types[i] |= T_VERSION;
    } else if (re_quant_type(part, n)) {
      types[i] |= T_TYPE;
      for (k = 0; k < n; k++) part[k] = (char)toupper((unsigned char)part[k]);
    } else if (i > 0 && re_size(part, n)) {
      for (k = 0; k < n; k++)
        if (part[k] == '_') part[k] = '.';
      if (is_digit(part[n - 1]) && n >= 2) {
        /* bloom-7b1 -> 7.1B */
        char last = part[n - 1], prev = part[n - 2];
        part[n - 2] = '.';
        part[n - 1] = last;
        part[n] = prev;
        part[++n] = 0;
      }
      if (n > 1 && is_digit(part[n - 2]) && strchr("kmbt", part[n - 1]))
        part[n - 1] = (char)toupper((unsigned char)part[n - 1]);
      if (total_params != 0) {
        double f;
        if (py_float(part, n - 1, &f)) {
          const char *units = " KMBT", *u = strchr(units, part[n - 1]);
          double label = f * (u && part[n - 1] ? pow(1000, (double)(u - units))
                                                : 0.001);
          double tp = (double)total_params;
          int64_t a = total_params < 0 ? -total_params : total_params;
          if ((total_params < 0 && label < (double)(a / 8)) ||
              (total_params > 0 && fabs(label - tp) > (double)(7 * total_params / 8))) {
            types[i] |= T_FINETUNE; /* a context length, not a size */
            part[n - 1] = (char)tolower((unsigned char)part[n - 1]);
          }
        }
      }
      if (!types[i]) types[i] |= T_SIZE;
    } else if (i > 0 && re_finetune(part, n)) {
      if (total_params < 0 && ci_eq(part, n, "lora"))
        types[i] |= T_TYPE;
      else
        types[i] |= T_FINETUNE;
    }
  }
  /* word-based size labels go when a number-based one is present */
  for (i = 0; i < np; i++)
    if (types[i] & T_SIZE) {
      const char *c;
      for (c = parts[i]; *c; c++)
        if (is_digit(*c)) any_num_size = true;
    }
  if (any_num_size)
    for (i = 0; i < np; i++)
      if (types[i] & T_SIZE) {
        const char *c;
        bool alpha = parts[i][0] != 0;
        for (c = parts[i]; *c; c++)
          if (!is_alpha(*c)) alpha = false;
        if (alpha) types[i] &= ~(unsigned)T_SIZE;
      }
  for (i = 0; i < np; i++) {
    if (at_start && ((!types[i] && is_alpha(parts[i][0])) || (types[i] & T_VERSION))) {
      types[i] |= T_BASENAME;
    } else {
      at_start = false;
      if (!types[i]) types[i] |= T_FINETUNE;
    }
  }
  for (i = np; i-- > 0;) {
    if ((types[i] & T_BASENAME) && (types[i] & ~(unsigned)T_BASENAME))
      types[i] &= ~(unsigned)T_BASENAME;
    else
      break;
  }
  st = TP_OK;
  out->basename = join_parts(parts, types, np, T_BASENAME, 0, false, &st);
  out->size_label = join_parts(parts, types, np, T_SIZE, 0, true, &st);
  out->finetune = join_parts(parts, types, np, T_FINETUNE, 0, false, &st);
  out->version = join_parts(parts, types, np, T_VERSION, T_BASENAME, false, &st);
  free(parts);
  free(types);
  free(store);
  if (st != TP_OK) {
    tp_arch_model_id_clear(out);
    return st;
  }
  if (!out->size_label && !out->finetune && !out->version) {
    free(out->basename);
    out->basename = NULL;
  }
  return TP_OK;
nomem:
  free(parts);
  free(types);
  free(store);
  tp_arch_model_id_clear(out);
  return TP_ENOMEM;
}

static bool py_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* ^(v\d+(?:\.\d+)*|\d.*)$ with re.match */
static bool title_exempt(const char *w, size_t n) {
  size_t i = 1;
  if (n && is_digit(w[0])) return true;
  if (n < 2 || w[0] != 'v' || !is_digit(w[1])) return false;
  while (i < n && is_digit(w[i])) i++;
  while (i < n) {
    if (w[i] != '.' || i + 1 >= n || !is_digit(w[i + 1])) return false;
    i++;
    while (i < n && is_digit(w[i])) i++;
  }
  return true;
}

tp_status tp_arch_id_to_title(const char *s, char **out) {
  size_t n = strlen(s), i = 0, used = 0;
  char *buf;
  tp_status st;
  *out = NULL;
  if ((st = check_ascii(s)) != TP_OK) return st;
  buf = tp_malloc(n + 1);
  if (!buf) return TP_ENOMEM;
  while (i < n) {
    size_t b, e, k;
    bool lower = false, upper = false;
    while (i < n && (py_space(s[i]) || s[i] == '-')) i++;
    if (i >= n) break;
    b = i;
    while (i < n && !py_space(s[i]) && s[i] != '-') i++;
    e = i;
    for (k = b; k < e; k++) {
      if (s[k] >= 'a' && s[k] <= 'z') lower = true;
      if (s[k] >= 'A' && s[k] <= 'Z') upper = true;
    }
    if (used) buf[used++] = ' ';
    if (lower && !upper && !title_exempt(s + b, e - b)) {
      bool prev_cased = false;
      for (k = b; k < e; k++) {
        char c = s[k];
        if (is_alpha(c)) {
          buf[used++] = (char)(prev_cased ? tolower((unsigned char)c)
                                          : toupper((unsigned char)c));
          prev_cased = true;
        } else {
          buf[used++] = c;
          prev_cased = false;
        }
      }
    } else {
      memcpy(buf + used, s + b, e - b);
      used += e - b;
    }
  }
  buf[used] = 0;
  *out = buf;
  return TP_OK;
}

/* model_weight_count_rounded_notation with min_digits 2 */
static void rounded(char *buf, size_t len, uint64_t n) {
  double x = (double)n, scaled;
  const char *suffix;
  double r;
  int digits = 0, fix;
  if (x > 1e12) {
    scaled = x * 1e-12;
    suffix = "T";
  } else if (x > 1e9) {
    scaled = x * 1e-9;
    suffix = "B";
  } else if (x > 1e6) {
    scaled = x * 1e-6;
    suffix = "M";
  } else {
    scaled = x * 1e-3;
    suffix = "K";
  }
  r = nearbyint(scaled); /* round(): ties to even */
  while (r >= 1) {
    digits++;
    r = floor(r / 10);
  }
  fix = 2 - digits > 0 ? 2 - digits : 0;
  snprintf(buf, len, "%.*f%s", fix, scaled, suffix);
}

void tp_arch_size_label(char *buf, size_t len, uint64_t total, uint64_t shared,
                        uint64_t expert, uint64_t expert_count) {
  if (expert_count > 0) {
    char pretty[64];
    rounded(pretty, sizeof pretty, shared + expert);
    snprintf(buf, len, "%llux%s", (unsigned long long)expert_count, pretty);
  } else {
    rounded(buf, len, total);
  }
}
