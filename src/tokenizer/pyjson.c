/*
 * pyjson.c - JSON values as the reference converter (Python) sees them:
 * dict.get, truthiness, equality, isinstance(int), and self.hparams (the
 * config with text_config merged on top).
 */
#include "tok_internal.h"

#include <math.h>

const json_t *tk_get(const json_t *obj, const char *key) {
  if (!obj || !json_is_object(obj)) return NULL;
  return json_object_get(obj, key);
}

bool tk_truthy(const json_t *v) {
  if (!v) return false;
  switch (json_typeof(v)) {
  case JSON_NULL:
  case JSON_FALSE: return false;
  case JSON_TRUE: return true;
  case JSON_INTEGER: return json_integer_value(v) != 0;
  case JSON_REAL: return json_real_value(v) != 0.0;
  case JSON_STRING: return json_string_length(v) != 0;
  case JSON_ARRAY: return json_array_size(v) != 0;
  case JSON_OBJECT: return json_object_size(v) != 0;
  }
  return false;
}

static bool is_none(const json_t *v) { return !v || json_is_null(v); }

/* Python numbers: bool, int and float compare by value. */
static bool as_number(const json_t *v, double *out) {
  if (json_is_boolean(v)) *out = json_is_true(v) ? 1.0 : 0.0;
  else if (json_is_integer(v)) *out = (double)json_integer_value(v);
  else if (json_is_real(v)) *out = json_real_value(v);
  else return false;
  return true;
}

bool tk_pyeq(const json_t *a, const json_t *b) {
  double x, y;
  if (is_none(a) || is_none(b)) return is_none(a) && is_none(b);
  if (json_is_integer(a) && json_is_integer(b))
    return json_integer_value(a) == json_integer_value(b);
  if (as_number(a, &x) && as_number(b, &y)) return x == y;
  return json_equal((json_t *)a, (json_t *)b) != 0;
}

bool tk_is_int(const json_t *v, int64_t *out) {
  if (!v) return false;
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return true;
  }
  if (json_is_boolean(v)) {
    *out = json_is_true(v) ? 1 : 0;
    return true;
  }
  return false;
}

bool tk_is_str(const json_t *v) { return v && json_is_string(v); }

tp_string tk_str(const json_t *v) {
  tp_string s = {json_string_value(v), json_string_length(v)};
  return s;
}

bool tk_str_eq(const json_t *v, const char *s) {
  size_t n = strlen(s);
  return tk_is_str(v) && json_string_length(v) == n &&
         !memcmp(json_string_value(v), s, n);
}

const json_t *tk_hparam(const tk_ctx *c, const char *key, bool *present) {
  const json_t *cfg = c->in->config, *tc = tk_get(cfg, "text_config");
  const json_t *v = tk_get(tc, key);
  if (v) {
    *present = true;
    return v;
  }
  v = tk_get(cfg, key);
  *present = v != NULL;
  return v;
}
