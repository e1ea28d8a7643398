/*
 * Row gather and scatter-add (gather / scatterAdd of the reference backend). Indices are already
 * validated by the caller. Scatter-add accumulates in the output type, row by row in index order,
 * so repeated indices add up exactly as in the reference (float32: one rounding per addition).
 */
#include "cv_internal.h"

void cv_gather_b32(const uint32_t *src, const int32_t *idx, int nIdx, int rowSize, uint32_t *out) {
  if (rowSize <= 0) return;
  for (int i = 0; i < nIdx; i++)
    memcpy(out + (size_t)i * rowSize, src + (size_t)idx[i] * rowSize, (size_t)rowSize * 4);
}

void cv_gather_b64(const uint64_t *src, const int32_t *idx, int nIdx, int rowSize, uint64_t *out) {
  if (rowSize <= 0) return;
  for (int i = 0; i < nIdx; i++)
    memcpy(out + (size_t)i * rowSize, src + (size_t)idx[i] * rowSize, (size_t)rowSize * 8);
}

void cv_scatter_add_f32(const float *src, const int32_t *idx, int nIdx, int rowSize, float *out) {
  for (int i = 0; i < nIdx; i++) {
    float *o = out + (size_t)idx[i] * rowSize;
    const float *s = src + (size_t)i * rowSize;
    int j = 0;
    for (; j + 4 <= rowSize; j += 4)
      wasm_v128_store(o + j, wasm_f32x4_add(wasm_v128_load(o + j), wasm_v128_load(s + j)));
    for (; j < rowSize; j++) o[j] += s[j];
  }
}

void cv_scatter_add_f64(const double *src, const int32_t *idx, int nIdx, int rowSize, double *out) {
  for (int i = 0; i < nIdx; i++) {
    double *o = out + (size_t)idx[i] * rowSize;
    const double *s = src + (size_t)i * rowSize;
    int j = 0;
    for (; j + 2 <= rowSize; j += 2)
      wasm_v128_store(o + j, wasm_f64x2_add(wasm_v128_load(o + j), wasm_v128_load(s + j)));
    for (; j < rowSize; j++) o[j] += s[j];
  }
}
