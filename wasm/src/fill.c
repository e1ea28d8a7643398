/* cv_fill_*: x[0..n) = v. */
#include "cv_internal.h"

void cv_fill_f32(float *x, int n, float v) {
  const v128_t vv = wasm_f32x4_splat(v);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, vv);
  for (; i < n; i++) x[i] = v;
}

void cv_fill_f64(double *x, int n, double v) {
  const v128_t vv = wasm_f64x2_splat(v);
  int i = 0;
  for (; i + 2 <= n; i += 2) wasm_v128_store(x + i, vv);
  for (; i < n; i++) x[i] = v;
}

void cv_fill_b32(int32_t *x, int n, int32_t v) {
  const v128_t vv = wasm_i32x4_splat(v);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, vv);
  for (; i < n; i++) x[i] = v;
}
