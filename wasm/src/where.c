/*
 * cv_where_{f32,f64}: out = cond ≠ 0 ? a : b, broadcast by strides over `shape`, out contiguous
 * (whereKernel in src/backend/js/elementwise.ts). cond has the output's float type; NaN ≠ 0 is
 * true, −0 ≠ 0 is false. Rows with all three operands unit stride run on SIMD lanes; other rows
 * gather into vectors and select with bitselect.
 */
#include "cv_internal.h"

#define DEFINE_WHERE(NAME, T, LANES, NE, SPLAT)                                                    \
  void NAME(int rank, const int *shape, const T *c, const int *cStrides, const T *a,               \
            const int *aStrides, const T *b, const int *bStrides, T *out) {                        \
    if (rank < 0 || rank > CV_MAX_RANK) return;                                                    \
    int ostr[CV_MAX_RANK];                                                                         \
    cv_contiguous_strides(rank, shape, ostr);                                                      \
    const int *st[4] = {cStrides, aStrides, bStrides, ostr};                                       \
    cv_layout L;                                                                                   \
    if (!cv_coalesce(rank, shape, 4, st, &L)) return;                                              \
    const int r = L.rank, len = L.shape[r - 1];                                                    \
    const int sc = L.strides[0][r - 1], sa = L.strides[1][r - 1], sb = L.strides[2][r - 1];        \
    const v128_t zero = SPLAT(0);                                                                  \
    cv_rows it;                                                                                    \
    cv_rows_init(&it, &L);                                                                         \
    do {                                                                                           \
      const T *cc = c + it.off[0], *aa = a + it.off[1], *bb = b + it.off[2];                       \
      T *o = out + it.off[3];                                                                      \
      int i = 0;                                                                                   \
      if (sc == 1 && sa == 1 && sb == 1) {                                                         \
        for (; i + LANES <= len; i += LANES) {                                                     \
          const v128_t m = NE(wasm_v128_load(cc + i), zero);                                       \
          wasm_v128_store(o + i,                                                                   \
                          wasm_v128_bitselect(wasm_v128_load(aa + i), wasm_v128_load(bb + i), m)); \
        }                                                                                          \
      }                                                                                            \
      /* other strides: gathered into vectors too (scalar float selects become branches in V8) */ \
      for (; i + LANES <= len; i += LANES) {                                                       \
        T tc[LANES] __attribute__((aligned(16))), ta[LANES] __attribute__((aligned(16)));          \
        T tb[LANES] __attribute__((aligned(16)));                                                  \
        for (int q = 0; q < LANES; q++) {                                                          \
          tc[q] = cc[(i + q) * sc];                                                                \
          ta[q] = aa[(i + q) * sa];                                                                \
          tb[q] = bb[(i + q) * sb];                                                                \
        }                                                                                          \
        const v128_t m = NE(wasm_v128_load(tc), zero);                                             \
        wasm_v128_store(o + i, wasm_v128_bitselect(wasm_v128_load(ta), wasm_v128_load(tb), m));   \
      }                                                                                            \
      for (; i < len; i++) o[i] = cc[i * sc] != 0 ? aa[i * sa] : bb[i * sb];                       \
    } while (cv_rows_next(&it, &L));                                                               \
  }

DEFINE_WHERE(cv_where_f32, float, 4, wasm_f32x4_ne, wasm_f32x4_splat)
DEFINE_WHERE(cv_where_f64, double, 2, wasm_f64x2_ne, wasm_f64x2_splat)
