/*
 * cv_copy_b32 / cv_copy_b64: dst[idx·dstStrides] = src[idx·srcStrides] over `shape`, bit patterns
 * moved unchanged (float32/int32 share the 4-byte version).
 *
 * After axis coalescing, each inner row is either a memmove (both unit stride), a fill (source
 * stride 0) or a strided loop. When the two innermost axes are swapped between source and
 * destination (a transpose being made contiguous), the copy goes by cache-line tiles of register
 * transposes instead of one element per cache line on the strided side.
 */
#include "cv_internal.h"

/*
 * Transposing copy of a rows×cols block: dst[i·drs + j] = src[i + j·scs] (source contiguous along
 * i, destination along j), by tiles of one cache line each way (16×16 4-byte or 8×8 8-byte
 * elements), each tile as 4×4 (resp. 2×2) register transposes: every line read or written is
 * consumed or produced whole in one visit, so power-of-two strides (cache-set conflicts) do not
 * hurt.
 */
static void transpose_b32(int rows, int cols, const uint32_t *src, int scs, uint32_t *dst, int drs) {
  const int r4 = rows & ~3, c4 = cols & ~3;
  for (int i0 = 0; i0 < r4; i0 += 16) {
    const int ie = i0 + 16 < r4 ? i0 + 16 : r4;
    for (int j0 = 0; j0 < c4; j0 += 16) {
      const int je = j0 + 16 < c4 ? j0 + 16 : c4;
      for (int j = j0; j < je; j += 4)
        for (int i = i0; i < ie; i += 4) {
          const uint32_t *s = src + i + j * scs;
          const v128_t a0 = wasm_v128_load(s), a1 = wasm_v128_load(s + scs);
          const v128_t a2 = wasm_v128_load(s + 2 * scs), a3 = wasm_v128_load(s + 3 * scs);
          const v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7);
          const v128_t t2 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
          uint32_t *d = dst + i * drs + j;
          wasm_v128_store(d, wasm_i64x2_shuffle(t0, t2, 0, 2));
          wasm_v128_store(d + drs, wasm_i64x2_shuffle(t0, t2, 1, 3));
          wasm_v128_store(d + 2 * drs, wasm_i64x2_shuffle(t1, t3, 0, 2));
          wasm_v128_store(d + 3 * drs, wasm_i64x2_shuffle(t1, t3, 1, 3));
        }
    }
  }
  for (int i = 0; i < rows; i++) /* ragged edges */
    for (int j = i < r4 ? c4 : 0; j < cols; j++) dst[i * drs + j] = src[i + j * scs];
}

static void transpose_b64(int rows, int cols, const uint64_t *src, int scs, uint64_t *dst, int drs) {
  const int r2 = rows & ~1, c2 = cols & ~1;
  for (int i0 = 0; i0 < r2; i0 += 8) {
    const int ie = i0 + 8 < r2 ? i0 + 8 : r2;
    for (int j0 = 0; j0 < c2; j0 += 8) {
      const int je = j0 + 8 < c2 ? j0 + 8 : c2;
      for (int j = j0; j < je; j += 2)
        for (int i = i0; i < ie; i += 2) {
          const uint64_t *s = src + i + j * scs;
          const v128_t a0 = wasm_v128_load(s), a1 = wasm_v128_load(s + scs);
          uint64_t *d = dst + i * drs + j;
          wasm_v128_store(d, wasm_i64x2_shuffle(a0, a1, 0, 2));
          wasm_v128_store(d + drs, wasm_i64x2_shuffle(a0, a1, 1, 3));
        }
    }
  }
  for (int i = 0; i < rows; i++)
    for (int j = i < r2 ? c2 : 0; j < cols; j++) dst[i * drs + j] = src[i + j * scs];
}

#define DEFINE_COPY(NAME, T, TRANSPOSE)                                                            \
  void NAME(int rank, const int *shape, const T *src, const int *srcStrides, T *dst,               \
            const int *dstStrides) {                                                               \
    const int *st[2] = {srcStrides, dstStrides};                                                   \
    cv_layout L;                                                                                   \
    if (!cv_coalesce(rank, shape, 2, st, &L)) return;                                              \
    const int r = L.rank, len = L.shape[r - 1];                                                    \
    const int ss = L.strides[0][r - 1], ds = L.strides[1][r - 1];                                  \
    /* Transposed inner pair: source walks the outer axis contiguously, destination the inner. */ \
    if (r >= 2 && ds == 1 && ss != 1 && L.strides[0][r - 2] == 1 && L.shape[r - 2] >= 8 &&         \
        len >= 8) {                                                                                \
      cv_layout O = L;                                                                             \
      O.rank = r - 1; /* iterate the axes above the 2-d block; row = axis r-2 (ignored) */         \
      O.shape[r - 2] = 1;                                                                          \
      cv_rows it;                                                                                  \
      cv_rows_init(&it, &O);                                                                       \
      do {                                                                                         \
        TRANSPOSE(L.shape[r - 2], len, src + it.off[0], ss, dst + it.off[1], L.strides[1][r - 2]); \
      } while (cv_rows_next(&it, &O));                                                             \
      return;                                                                                      \
    }                                                                                              \
    cv_rows it;                                                                                    \
    cv_rows_init(&it, &L);                                                                         \
    do {                                                                                           \
      const T *s = src + it.off[0];                                                                \
      T *d = dst + it.off[1];                                                                      \
      if (ss == 1 && ds == 1) {                                                                    \
        memmove(d, s, (size_t)len * sizeof(T));                                                    \
      } else if (ss == 0 && ds == 1) {                                                             \
        const T v = *s;                                                                            \
        for (int i = 0; i < len; i++) d[i] = v;                                                    \
      } else {                                                                                     \
        for (int i = 0; i < len; i++) d[i * ds] = s[i * ss];                                       \
      }                                                                                            \
    } while (cv_rows_next(&it, &L));                                                               \
  }

DEFINE_COPY(cv_copy_b32, uint32_t, transpose_b32)
DEFINE_COPY(cv_copy_b64, uint64_t, transpose_b64)
