/*
 * cv_binary_{f32,f64,i32}: out[idx] = a[idx·aStrides] op b[idx·bStrides] over `shape`, out
 * contiguous (binaryFns in src/backend/js/elementwise.ts).
 *
 * Axes are coalesced first; each inner row then takes one of four loops: both operands unit
 * stride, one of them a broadcast scalar (stride 0) and the other unit stride — all three SIMD —,
 * or a scalar strided loop. An operand read transposed (large inner stride, unit stride on the
 * axis above) is handled by 16×64 tiles so that its cache lines are reused. Semantics:
 *  - max = (a >= b || isnan(a)) ? a : b and min = (a <= b || isnan(a)) ? a : b (NaN propagates
 *    from a; from b only when a is not NaN, through the failed comparison);
 *  - comparisons write 1/0 in the operand type (NaN compares false, except ne);
 *  - pow follows Math.pow where C's pow differs: pow(x, NaN) = NaN and pow(±1, ±Inf) = NaN;
 *  - float32 results equal the reference's double result rounded to float32 (one IEEE operation;
 *    pow is computed in double and rounded once);
 *  - int32: add/sub wrap modulo 2³²; mul, div and pow are computed in double and converted by
 *    ToInt32, as storing the reference's number result into an Int32Array does.
 */
#include "cv_internal.h"

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_GT, B_GE, B_LT, B_LE, B_EQ, B_NE, B_COUNT };

/* Math.pow: C's pow returns 1 for pow(1, NaN) and pow(-1, ±Inf); ECMAScript says NaN. */
static double js_pow(double x, double y) {
  if (y != y) return NAN;
  if (isinf(y) && fabs(x) == 1) return NAN;
  return pow(x, y);
}

/*
 * Row loop family. VOP(va, vb) is the vector op, SOP(x, y) the scalar one. The vector op needs
 * VSPLAT/VLOAD for T; LANES elements per v128.
 */
#define DEFINE_ROW(NAME, T, LANES, SPLAT, VOP, SOP)                                                \
  static void NAME(int len, const T *a, int sa, const T *b, int sb, T *o) {                        \
    int i = 0;                                                                                     \
    if (sa == 1 && sb == 1) {                                                                      \
      for (; i + 2 * LANES <= len; i += 2 * LANES) {                                               \
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);                             \
        wasm_v128_store(o + i, VOP(va, vb));                                                       \
        va = wasm_v128_load(a + i + LANES);                                                        \
        vb = wasm_v128_load(b + i + LANES);                                                        \
        wasm_v128_store(o + i + LANES, VOP(va, vb));                                               \
      }                                                                                            \
      for (; i + LANES <= len; i += LANES) {                                                       \
        const v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);                       \
        wasm_v128_store(o + i, VOP(va, vb));                                                       \
      }                                                                                            \
      for (; i < len; i++) {                                                                       \
        const T x = a[i], y = b[i];                                                                \
        o[i] = SOP(x, y);                                                                          \
      }                                                                                            \
    } else if (sa == 1 && sb == 0) {                                                               \
      const T y = b[0];                                                                            \
      const v128_t vb = SPLAT(y);                                                                  \
      for (; i + LANES <= len; i += LANES) {                                                       \
        const v128_t va = wasm_v128_load(a + i);                                                   \
        wasm_v128_store(o + i, VOP(va, vb));                                                       \
      }                                                                                            \
      for (; i < len; i++) {                                                                       \
        const T x = a[i];                                                                          \
        o[i] = SOP(x, y);                                                                          \
      }                                                                                            \
    } else if (sa == 0 && sb == 1) {                                                               \
      const T x = a[0];                                                                            \
      const v128_t va = SPLAT(x);                                                                  \
      for (; i + LANES <= len; i += LANES) {                                                       \
        const v128_t vb = wasm_v128_load(b + i);                                                   \
        wasm_v128_store(o + i, VOP(va, vb));                                                       \
      }                                                                                            \
      for (; i < len; i++) {                                                                       \
        const T y = b[i];                                                                          \
        o[i] = SOP(x, y);                                                                          \
      }                                                                                            \
    } else {                                                                                       \
      /* strided: gather LANES elements per operand into vectors (V8 turns scalar float selects   \
         into branches, which mispredict on max/min/comparisons of random data) */                 \
      for (; i + LANES <= len; i += LANES) {                                                       \
        T ta[LANES] __attribute__((aligned(16))), tb[LANES] __attribute__((aligned(16)));          \
        for (int q = 0; q < LANES; q++) {                                                          \
          ta[q] = a[(i + q) * sa];                                                                 \
          tb[q] = b[(i + q) * sb];                                                                 \
        }                                                                                          \
        const v128_t va = wasm_v128_load(ta), vb = wasm_v128_load(tb);                             \
        wasm_v128_store(o + i, VOP(va, vb));                                                       \
      }                                                                                            \
      for (; i < len; i++) {                                                                       \
        const T x = a[i * sa], y = b[i * sb];                                                      \
        o[i] = SOP(x, y);                                                                          \
      }                                                                                            \
    }                                                                                              \
  }

/* Scalar-only row (pow, int32 mul/div/pow). */
#define DEFINE_SCALAR_ROW(NAME, T, SOP)                                                            \
  static void NAME(int len, const T *a, int sa, const T *b, int sb, T *o) {                        \
    for (int i = 0; i < len; i++) {                                                                \
      const T x = a[i * sa], y = b[i * sb];                                                        \
      o[i] = SOP(x, y);                                                                            \
    }                                                                                              \
  }

/* ---- scalar ops ---- */
#define S_ADD(x, y) ((x) + (y))
#define S_SUB(x, y) ((x) - (y))
#define S_MUL(x, y) ((x) * (y))
#define S_DIV(x, y) ((x) / (y))
#define S_MAX(x, y) ((((x) >= (y)) | ((x) != (x))) ? (x) : (y)) /* | not ||: branch-free */
#define S_MIN(x, y) ((((x) <= (y)) | ((x) != (x))) ? (x) : (y))
#define S_GT(x, y) ((x) > (y) ? 1 : 0)
#define S_GE(x, y) ((x) >= (y) ? 1 : 0)
#define S_LT(x, y) ((x) < (y) ? 1 : 0)
#define S_LE(x, y) ((x) <= (y) ? 1 : 0)
#define S_EQ(x, y) ((x) == (y) ? 1 : 0)
#define S_NE(x, y) ((x) != (y) ? 1 : 0)
#define S_POW_F32(x, y) ((float)js_pow((double)(x), (double)(y)))
#define S_POW_F64(x, y) js_pow((x), (y))
#define S_MUL_I32(x, y) cv_to_int32((double)(x) * (double)(y))
#define S_DIV_I32(x, y) cv_to_int32((double)(x) / (double)(y))
#define S_POW_I32(x, y) cv_to_int32(js_pow((double)(x), (double)(y)))

/* ---- float32 ---- */
#define ONE_F32 wasm_f32x4_const_splat(1.0f)
#define V_MAX_F32(a, b) wasm_v128_bitselect(a, b, wasm_v128_or(wasm_f32x4_ge(a, b), wasm_f32x4_ne(a, a)))
#define V_MIN_F32(a, b) wasm_v128_bitselect(a, b, wasm_v128_or(wasm_f32x4_le(a, b), wasm_f32x4_ne(a, a)))
#define V_GT_F32(a, b) wasm_v128_and(wasm_f32x4_gt(a, b), ONE_F32)
#define V_GE_F32(a, b) wasm_v128_and(wasm_f32x4_ge(a, b), ONE_F32)
#define V_LT_F32(a, b) wasm_v128_and(wasm_f32x4_lt(a, b), ONE_F32)
#define V_LE_F32(a, b) wasm_v128_and(wasm_f32x4_le(a, b), ONE_F32)
#define V_EQ_F32(a, b) wasm_v128_and(wasm_f32x4_eq(a, b), ONE_F32)
#define V_NE_F32(a, b) wasm_v128_and(wasm_f32x4_ne(a, b), ONE_F32)

DEFINE_ROW(add_f32, float, 4, wasm_f32x4_splat, wasm_f32x4_add, S_ADD)
DEFINE_ROW(sub_f32, float, 4, wasm_f32x4_splat, wasm_f32x4_sub, S_SUB)
DEFINE_ROW(mul_f32, float, 4, wasm_f32x4_splat, wasm_f32x4_mul, S_MUL)
DEFINE_ROW(div_f32, float, 4, wasm_f32x4_splat, wasm_f32x4_div, S_DIV)
DEFINE_SCALAR_ROW(pow_f32, float, S_POW_F32)
DEFINE_ROW(max_f32, float, 4, wasm_f32x4_splat, V_MAX_F32, S_MAX)
DEFINE_ROW(min_f32, float, 4, wasm_f32x4_splat, V_MIN_F32, S_MIN)
DEFINE_ROW(gt_f32, float, 4, wasm_f32x4_splat, V_GT_F32, S_GT)
DEFINE_ROW(ge_f32, float, 4, wasm_f32x4_splat, V_GE_F32, S_GE)
DEFINE_ROW(lt_f32, float, 4, wasm_f32x4_splat, V_LT_F32, S_LT)
DEFINE_ROW(le_f32, float, 4, wasm_f32x4_splat, V_LE_F32, S_LE)
DEFINE_ROW(eq_f32, float, 4, wasm_f32x4_splat, V_EQ_F32, S_EQ)
DEFINE_ROW(ne_f32, float, 4, wasm_f32x4_splat, V_NE_F32, S_NE)

typedef void (*row_f32)(int, const float *, int, const float *, int, float *);
static const row_f32 rows_f32[B_COUNT] = {add_f32, sub_f32, mul_f32, div_f32, pow_f32,
                                          max_f32, min_f32, gt_f32,  ge_f32,  lt_f32,
                                          le_f32,  eq_f32,  ne_f32};

/* ---- float64 ---- */
#define ONE_F64 wasm_f64x2_const_splat(1.0)
#define V_MAX_F64(a, b) wasm_v128_bitselect(a, b, wasm_v128_or(wasm_f64x2_ge(a, b), wasm_f64x2_ne(a, a)))
#define V_MIN_F64(a, b) wasm_v128_bitselect(a, b, wasm_v128_or(wasm_f64x2_le(a, b), wasm_f64x2_ne(a, a)))
#define V_GT_F64(a, b) wasm_v128_and(wasm_f64x2_gt(a, b), ONE_F64)
#define V_GE_F64(a, b) wasm_v128_and(wasm_f64x2_ge(a, b), ONE_F64)
#define V_LT_F64(a, b) wasm_v128_and(wasm_f64x2_lt(a, b), ONE_F64)
#define V_LE_F64(a, b) wasm_v128_and(wasm_f64x2_le(a, b), ONE_F64)
#define V_EQ_F64(a, b) wasm_v128_and(wasm_f64x2_eq(a, b), ONE_F64)
#define V_NE_F64(a, b) wasm_v128_and(wasm_f64x2_ne(a, b), ONE_F64)

DEFINE_ROW(add_f64, double, 2, wasm_f64x2_splat, wasm_f64x2_add, S_ADD)
DEFINE_ROW(sub_f64, double, 2, wasm_f64x2_splat, wasm_f64x2_sub, S_SUB)
DEFINE_ROW(mul_f64, double, 2, wasm_f64x2_splat, wasm_f64x2_mul, S_MUL)
DEFINE_ROW(div_f64, double, 2, wasm_f64x2_splat, wasm_f64x2_div, S_DIV)
DEFINE_SCALAR_ROW(pow_f64, double, S_POW_F64)
DEFINE_ROW(max_f64, double, 2, wasm_f64x2_splat, V_MAX_F64, S_MAX)
DEFINE_ROW(min_f64, double, 2, wasm_f64x2_splat, V_MIN_F64, S_MIN)
DEFINE_ROW(gt_f64, double, 2, wasm_f64x2_splat, V_GT_F64, S_GT)
DEFINE_ROW(ge_f64, double, 2, wasm_f64x2_splat, V_GE_F64, S_GE)
DEFINE_ROW(lt_f64, double, 2, wasm_f64x2_splat, V_LT_F64, S_LT)
DEFINE_ROW(le_f64, double, 2, wasm_f64x2_splat, V_LE_F64, S_LE)
DEFINE_ROW(eq_f64, double, 2, wasm_f64x2_splat, V_EQ_F64, S_EQ)
DEFINE_ROW(ne_f64, double, 2, wasm_f64x2_splat, V_NE_F64, S_NE)

typedef void (*row_f64)(int, const double *, int, const double *, int, double *);
static const row_f64 rows_f64[B_COUNT] = {add_f64, sub_f64, mul_f64, div_f64, pow_f64,
                                          max_f64, min_f64, gt_f64,  ge_f64,  lt_f64,
                                          le_f64,  eq_f64,  ne_f64};

/* ---- int32 ---- */
#define ONE_I32 wasm_i32x4_const_splat(1)
#define V_GT_I32(a, b) wasm_v128_and(wasm_i32x4_gt(a, b), ONE_I32)
#define V_GE_I32(a, b) wasm_v128_and(wasm_i32x4_ge(a, b), ONE_I32)
#define V_LT_I32(a, b) wasm_v128_and(wasm_i32x4_lt(a, b), ONE_I32)
#define V_LE_I32(a, b) wasm_v128_and(wasm_i32x4_le(a, b), ONE_I32)
#define V_EQ_I32(a, b) wasm_v128_and(wasm_i32x4_eq(a, b), ONE_I32)
#define V_NE_I32(a, b) wasm_v128_and(wasm_i32x4_ne(a, b), ONE_I32)
#define S_ADD_I32(x, y) ((int32_t)((uint32_t)(x) + (uint32_t)(y)))
#define S_SUB_I32(x, y) ((int32_t)((uint32_t)(x) - (uint32_t)(y)))
#define S_MAX_I32(x, y) ((x) >= (y) ? (x) : (y))
#define S_MIN_I32(x, y) ((x) <= (y) ? (x) : (y))

DEFINE_ROW(add_i32, int32_t, 4, wasm_i32x4_splat, wasm_i32x4_add, S_ADD_I32)
DEFINE_ROW(sub_i32, int32_t, 4, wasm_i32x4_splat, wasm_i32x4_sub, S_SUB_I32)
DEFINE_SCALAR_ROW(mul_i32, int32_t, S_MUL_I32)
DEFINE_SCALAR_ROW(div_i32, int32_t, S_DIV_I32)
DEFINE_SCALAR_ROW(pow_i32, int32_t, S_POW_I32)
DEFINE_ROW(max_i32, int32_t, 4, wasm_i32x4_splat, wasm_i32x4_max, S_MAX_I32)
DEFINE_ROW(min_i32, int32_t, 4, wasm_i32x4_splat, wasm_i32x4_min, S_MIN_I32)
DEFINE_ROW(gt_i32, int32_t, 4, wasm_i32x4_splat, V_GT_I32, S_GT)
DEFINE_ROW(ge_i32, int32_t, 4, wasm_i32x4_splat, V_GE_I32, S_GE)
DEFINE_ROW(lt_i32, int32_t, 4, wasm_i32x4_splat, V_LT_I32, S_LT)
DEFINE_ROW(le_i32, int32_t, 4, wasm_i32x4_splat, V_LE_I32, S_LE)
DEFINE_ROW(eq_i32, int32_t, 4, wasm_i32x4_splat, V_EQ_I32, S_EQ)
DEFINE_ROW(ne_i32, int32_t, 4, wasm_i32x4_splat, V_NE_I32, S_NE)

typedef void (*row_i32)(int, const int32_t *, int, const int32_t *, int, int32_t *);
static const row_i32 rows_i32[B_COUNT] = {add_i32, sub_i32, mul_i32, div_i32, pow_i32,
                                          max_i32, min_i32, gt_i32,  ge_i32,  lt_i32,
                                          le_i32,  eq_i32,  ne_i32};

/* ---- drivers ---- */

#define TI 16 /* rows per tile: 16 floats = one cache line of a transposed operand's column */
#define TJ 64

/*
 * True when an operand walks the innermost axis with a large stride but the axis above it with
 * stride 1 (e.g. a + bᵀ): row by row, every element of that operand would touch a new cache line,
 * so such layouts go by tiles instead.
 */
static int transposed_operand(const cv_layout *L) {
  const int r = L->rank;
  if (r < 2 || L->shape[r - 1] < 8 || L->shape[r - 2] < 8) return 0;
  for (int o = 0; o < 2; o++) {
    const int s1 = L->strides[o][r - 1], s2 = L->strides[o][r - 2];
    if (s1 != 0 && s1 != 1 && s2 == 1) return 1;
  }
  return 0;
}
#define DEFINE_BINARY(NAME, T, TABLE)                                                              \
  void NAME(int op, int rank, const int *shape, const T *a, const int *aStrides, const T *b,       \
            const int *bStrides, T *out) {                                                         \
    if (op < 0 || op >= B_COUNT || rank < 0 || rank > CV_MAX_RANK) return;                         \
    int cstr[CV_MAX_RANK];                                                                         \
    cv_contiguous_strides(rank, shape, cstr);                                                      \
    const int *st[3] = {aStrides, bStrides, cstr};                                                 \
    cv_layout L;                                                                                   \
    if (!cv_coalesce(rank, shape, 3, st, &L)) return;                                              \
    const int r = L.rank, len = L.shape[r - 1];                                                    \
    const int sa = L.strides[0][r - 1], sb = L.strides[1][r - 1];                                  \
    const TABLE##_fn f = TABLE[op];                                                                \
    if (transposed_operand(&L)) {                                                                  \
      /* tiles of TI rows × TJ columns: the transposed operand's lines stay in L1 across a tile */ \
      const int rows = L.shape[r - 2];                                                             \
      const int a2 = L.strides[0][r - 2], b2 = L.strides[1][r - 2], o2 = L.strides[2][r - 2];      \
      cv_layout O = L;                                                                             \
      O.rank = r - 1;                                                                              \
      cv_rows it;                                                                                  \
      cv_rows_init(&it, &O);                                                                       \
      do {                                                                                         \
        for (int i0 = 0; i0 < rows; i0 += TI)                                                      \
          for (int j0 = 0; j0 < len; j0 += TJ) {                                                   \
            const int ie = i0 + TI < rows ? i0 + TI : rows, jl = len - j0 < TJ ? len - j0 : TJ;    \
            for (int i = i0; i < ie; i++)                                                          \
              f(jl, a + it.off[0] + i * a2 + j0 * sa, sa, b + it.off[1] + i * b2 + j0 * sb, sb,    \
                out + it.off[2] + i * o2 + j0);                                                    \
          }                                                                                        \
      } while (cv_rows_next(&it, &O));                                                             \
      return;                                                                                      \
    }                                                                                              \
    cv_rows it;                                                                                    \
    cv_rows_init(&it, &L);                                                                         \
    do {                                                                                           \
      f(len, a + it.off[0], sa, b + it.off[1], sb, out + it.off[2]);                               \
    } while (cv_rows_next(&it, &L));                                                               \
  }

typedef row_f32 rows_f32_fn;
typedef row_f64 rows_f64_fn;
typedef row_i32 rows_i32_fn;
DEFINE_BINARY(cv_binary_f32, float, rows_f32)
DEFINE_BINARY(cv_binary_f64, double, rows_f64)
DEFINE_BINARY(cv_binary_i32, int32_t, rows_i32)
