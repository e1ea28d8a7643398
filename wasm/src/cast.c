/*
 * cv_cast: dtype conversion of n elements (0 f32, 1 f64, 2 i32), as the reference backend does it:
 * float → float rounds to nearest, int → float is exact or rounds to nearest, float → int is
 * Math.trunc followed by the Int32Array store, i.e. ECMAScript ToInt32 (NaN and ±Inf give 0, values
 * outside the int32 range wrap modulo 2³²). The saturating SIMD truncation agrees with that for
 * |x| < 2³¹ and NaN; vectors holding anything else take the scalar path.
 */
#include "cv_internal.h"

static void f32_to_f64(const float *s, double *d, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(s + i);
    wasm_v128_store(d + i, wasm_f64x2_promote_low_f32x4(v));
    wasm_v128_store(d + i + 2, wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0)));
  }
  for (; i < n; i++) d[i] = s[i];
}

static void f64_to_f32(const double *s, float *d, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t lo = wasm_f32x4_demote_f64x2_zero(wasm_v128_load(s + i));
    v128_t hi = wasm_f32x4_demote_f64x2_zero(wasm_v128_load(s + i + 2));
    wasm_v128_store(d + i, wasm_i64x2_shuffle(lo, hi, 0, 2));
  }
  for (; i < n; i++) d[i] = (float)s[i];
}

static void i32_to_f32(const int32_t *s, float *d, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(d + i, wasm_f32x4_convert_i32x4(wasm_v128_load(s + i)));
  for (; i < n; i++) d[i] = (float)s[i];
}

static void i32_to_f64(const int32_t *s, double *d, int n) {
  int i = 0;
  for (; i + 2 <= n; i += 2) wasm_v128_store(d + i, wasm_f64x2_convert_low_i32x4(wasm_v128_load64_zero(s + i)));
  for (; i < n; i++) d[i] = (double)s[i];
}

static void f32_to_i32(const float *s, int32_t *d, int n) {
  const v128_t lim = wasm_f32x4_splat(2147483648.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(s + i);
    if (!wasm_v128_any_true(wasm_f32x4_ge(wasm_f32x4_abs(v), lim))) {
      wasm_v128_store(d + i, wasm_i32x4_trunc_sat_f32x4(v));
    } else {
      for (int j = 0; j < 4; j++) d[i + j] = cv_to_int32(s[i + j]);
    }
  }
  for (; i < n; i++) d[i] = cv_to_int32(s[i]);
}

static void f64_to_i32(const double *s, int32_t *d, int n) {
  const v128_t lim = wasm_f64x2_splat(2147483648.0);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    v128_t v = wasm_v128_load(s + i);
    if (!wasm_v128_any_true(wasm_f64x2_ge(wasm_f64x2_abs(v), lim))) {
      wasm_v128_store64_lane(d + i, wasm_i32x4_trunc_sat_f64x2_zero(v), 0);
    } else {
      d[i] = cv_to_int32(s[i]);
      d[i + 1] = cv_to_int32(s[i + 1]);
    }
  }
  for (; i < n; i++) d[i] = cv_to_int32(s[i]);
}

void cv_cast(int from, int to, const void *src, void *dst, int n) {
  if (n <= 0) return;
  if (from == to) {
    memmove(dst, src, (size_t)n * (from == 1 ? 8 : 4));
    return;
  }
  switch (from * 3 + to) {
    case 0 * 3 + 1: f32_to_f64((const float *)src, (double *)dst, n); break;
    case 0 * 3 + 2: f32_to_i32((const float *)src, (int32_t *)dst, n); break;
    case 1 * 3 + 0: f64_to_f32((const double *)src, (float *)dst, n); break;
    case 1 * 3 + 2: f64_to_i32((const double *)src, (int32_t *)dst, n); break;
    case 2 * 3 + 0: i32_to_f32((const int32_t *)src, (float *)dst, n); break;
    case 2 * 3 + 1: i32_to_f64((const int32_t *)src, (double *)dst, n); break;
    default: break;
  }
}
