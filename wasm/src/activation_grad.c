/*
 * cv_tanh_grad_{f32,f64}: out[i] = g[i]·(1 − y[i]²) for i < n (contiguous; out may alias g) — the
 * derivative of tanh written through its output y = tanh x, applied to a tangent or cotangent g, in
 * one pass instead of square, subtract and multiply (tanhGradKernel in src/backend/js/activation-
 * grad.ts is the reference). float32 is evaluated on f64x2 lanes and rounded once, like the
 * reference's double evaluation, so the two agree to the last bit except at rounding ties.
 */
#include "cv_internal.h"

void cv_tanh_grad_f32(int n, const float *y, const float *g, float *out) {
  const v128_t one = wasm_f64x2_splat(1.0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t yv = wasm_v128_load(y + i), gv = wasm_v128_load(g + i);
    const v128_t ylo = wasm_f64x2_promote_low_f32x4(yv), yhi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(yv, yv, 1, 0));
    const v128_t glo = wasm_f64x2_promote_low_f32x4(gv), ghi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(gv, gv, 1, 0));
    const v128_t lo = wasm_f64x2_mul(glo, wasm_f64x2_sub(one, wasm_f64x2_mul(ylo, ylo)));
    const v128_t hi = wasm_f64x2_mul(ghi, wasm_f64x2_sub(one, wasm_f64x2_mul(yhi, yhi)));
    wasm_v128_store(out + i, wasm_i64x2_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 2));
  }
  for (; i < n; i++) {
    const double yy = y[i];
    out[i] = (float)((double)g[i] * (1.0 - yy * yy));
  }
}

void cv_tanh_grad_f64(int n, const double *y, const double *g, double *out) {
  const v128_t one = wasm_f64x2_splat(1.0);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    const v128_t yv = wasm_v128_load(y + i);
    wasm_v128_store(out + i, wasm_f64x2_mul(wasm_v128_load(g + i), wasm_f64x2_sub(one, wasm_f64x2_mul(yv, yv))));
  }
  for (; i < n; i++) out[i] = g[i] * (1.0 - y[i] * y[i]);
}
