// Tiled GEMM (SGEMM/DGEMM), row-major C = alpha·op(A)·op(B) + beta·C, every transpose, strided batched.
//
// The classic shared-memory + register blocking scheme (Volkov & Demmel 2008; the structure of
// MAGMA's/CUTLASS's SIMT "sgemm" and of Simon Boehm's "How to optimize a CUDA matmul kernel"):
// - a block of 256 threads computes a BM×BN tile of C; float: 128×128, double: 64×64;
// - the k dimension advances BK = 8 at a time; the A tile (BM×BK) and B tile (BK×BN) are staged in
//   shared memory, k-major (As[p][i], Bs[p][j]) so that the inner product reads contiguous rows;
// - each thread keeps a TM×TN register tile of C (float 8×8, double 4×4) made of 4-wide groups
//   spread BM/2 (BN/2) apart, which keeps the 128-bit shared-memory reads conflict-free;
// - shared memory is double-buffered and the next tile is prefetched into registers while the
//   current one is multiplied, so global-memory latency overlaps the FMAs (one barrier per tile);
// - global loads are coalesced for every transpose: the loader maps consecutive threads along the
//   operand's contiguous axis (templated on the transposes), bounds-checked with zero fill, so any
//   m, n, k, leading dimension and offset is correct (no alignment assumption, no vector loads).
// Accumulation is in T (float32 for SGEMM, as cuBLAS does), alpha and beta rounded to T; beta = 0
// overwrites C without reading it (BLAS semantics: NaN in C does not propagate).
//
// Split-K (a single product whose tiles cannot fill the device, e.g. a K-FAC factor aᵀa: m, n in the
// hundreds, k in the tens of thousands): the k range is cut into S slices, each block column z
// multiplies one slice into its own m×n partial in a workspace, and a second kernel sums the S
// partials in a fixed order (deterministic, unlike atomics) with alpha and beta.
#include "device_math.cuh"
#include "kernels.h"
#include "runtime.h"

namespace cv {
namespace cuda {
namespace {

constexpr int kGemmThreads = 256;

/** Four consecutive shared-memory elements into registers (16-byte aligned by construction). */
__device__ __forceinline__ void load4(const float* p, float* r) {
  const float4 v = *reinterpret_cast<const float4*>(p);
  r[0] = v.x; r[1] = v.y; r[2] = v.z; r[3] = v.w;
}
__device__ __forceinline__ void load4(const double* p, double* r) {
  const double2 v0 = *reinterpret_cast<const double2*>(p);
  const double2 v1 = *reinterpret_cast<const double2*>(p + 2);
  r[0] = v0.x; r[1] = v0.y; r[2] = v1.x; r[3] = v1.y;
}

template <typename T, int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__global__ void __launch_bounds__(kGemmThreads)
gemm_k(int64_t m, int64_t n, int64_t k, T alpha, const T* __restrict__ A, int64_t lda, int64_t sa,
       const T* __restrict__ B, int64_t ldb, int64_t sb, T beta, T* __restrict__ C, int64_t ldc, int64_t sc,
       int64_t batch0, int64_t ksplit) {
  constexpr int TX = BN / TN, TY = BM / TM;  // threads along n and m
  static_assert(TX * TY == kGemmThreads, "tile shape must use 256 threads");
  static_assert(TM % 4 == 0 && TN % 4 == 0, "register tile in groups of 4");
  static_assert(kGemmThreads % BM == 0 && kGemmThreads % BN == 0 && kGemmThreads % BK == 0, "loader mapping");
  constexpr int HM = TM / 4, HN = TN / 4;          // 4-wide groups per thread
  constexpr int GM = BM / HM, GN = BN / HN;        // distance between a thread's groups
  constexpr int LA = BM * BK / kGemmThreads, LB = BN * BK / kGemmThreads;  // loads per thread
  constexpr int PAD = 16 / sizeof(T);  // 4 floats / 2 doubles: rows stay 16-byte aligned
  __shared__ __align__(16) T As[2][BK][BM + PAD];
  __shared__ __align__(16) T Bs[2][BK][BN + PAD];

  const int t = threadIdx.x, tx = t % TX, ty = t / TX;
  const int64_t z = batch0 + blockIdx.z;
  if (ksplit > 0) {  // split-K: z is the slice of k, C the slice's partial (sa = sb = 0)
    const int64_t kb = z * ksplit;
    k = k - kb < ksplit ? k - kb : ksplit;
    A += TA ? kb * lda : kb;
    B += TB ? kb : kb * ldb;
  } else {
    A += z * sa;
    B += z * sb;
  }
  C += z * sc;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * BM, col0 = static_cast<int64_t>(blockIdx.x) * BN;

  // Loader mapping: (i, p) of A's tile and (p, j) of B's tile for load r of this thread.
  auto a_ip = [&](int r, int& i, int& p) {
    if (TA) { i = t % BM; p = t / BM + (kGemmThreads / BM) * r; }   // A stored k×m: contiguous along i
    else { p = t % BK; i = t / BK + (kGemmThreads / BK) * r; }      // A stored m×k: contiguous along p
  };
  auto b_pj = [&](int r, int& p, int& j) {
    if (TB) { p = t % BK; j = t / BK + (kGemmThreads / BK) * r; }   // B stored n×k: contiguous along p
    else { j = t % BN; p = t / BN + (kGemmThreads / BN) * r; }      // B stored k×n: contiguous along j
  };
  T ra[LA], rb[LB];
  auto load = [&](int64_t p0) {
#pragma unroll
    for (int r = 0; r < LA; r++) {
      int i, p;
      a_ip(r, i, p);
      const int64_t gi = row0 + i, gp = p0 + p;
      ra[r] = gi < m && gp < k ? (TA ? A[gp * lda + gi] : A[gi * lda + gp]) : T(0);
    }
#pragma unroll
    for (int r = 0; r < LB; r++) {
      int p, j;
      b_pj(r, p, j);
      const int64_t gp = p0 + p, gj = col0 + j;
      rb[r] = gp < k && gj < n ? (TB ? B[gj * ldb + gp] : B[gp * ldb + gj]) : T(0);
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int r = 0; r < LA; r++) { int i, p; a_ip(r, i, p); As[buf][p][i] = ra[r]; }
#pragma unroll
    for (int r = 0; r < LB; r++) { int p, j; b_pj(r, p, j); Bs[buf][p][j] = rb[r]; }
  };

  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = T(0);

  const int64_t tiles = (k + BK - 1) / BK;
  if (tiles > 0) {
    load(0);
    stash(0);
  }
  __syncthreads();
  for (int64_t kt = 0; kt < tiles; kt++) {
    const int cur = static_cast<int>(kt & 1);
    const bool more = kt + 1 < tiles;
    if (more) load((kt + 1) * BK);  // global → registers, in flight during the FMAs below
#pragma unroll
    for (int p = 0; p < BK; p++) {
      T a[TM], b[TN];
#pragma unroll
      for (int h = 0; h < HM; h++) load4(&As[cur][p][h * GM + ty * 4], a + 4 * h);
#pragma unroll
      for (int h = 0; h < HN; h++) load4(&Bs[cur][p][h * GN + tx * 4], b + 4 * h);
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    // The other buffer was last read in iteration kt − 1, which every thread finished before the
    // barrier that ended it: writing it now is safe, and the barrier below publishes it.
    if (more) stash(cur ^ 1);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; i++) {
    const int64_t gi = row0 + (i / 4) * GM + ty * 4 + (i % 4);
    if (gi >= m) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      const int64_t gj = col0 + (j / 4) * GN + tx * 4 + (j % 4);
      if (gj >= n) continue;
      T* pc = C + gi * ldc + gj;
      *pc = beta == T(0) ? alpha * acc[i][j] : fma(alpha, acc[i][j], beta * *pc);
    }
  }
}

/** C = alpha·Σ_s W[s] + beta·C (beta = 0: C not read), the partials summed in order, in double. */
template <typename T>
__global__ void splitk_reduce_k(const T* __restrict__ W, int64_t slices, int64_t m, int64_t n, T alpha, T beta, T* __restrict__ C, int64_t ldc) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < m * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double s = 0;
    for (int64_t z = 0; z < slices; z++) s += static_cast<double>(W[z * m * n + t]);
    T* pc = C + (t / n) * ldc + t % n;
    *pc = beta == T(0) ? static_cast<T>(alpha * s) : static_cast<T>(static_cast<double>(alpha) * s + static_cast<double>(beta) * static_cast<double>(*pc));
  }
}

/**
 * Slices of k for split-K, or 1 (none): only for one product (batch 1) whose tiles cover less than
 * two waves of the device, with at least 512 of k per slice, at most 64 slices.
 */
int64_t splitk_slices(int64_t tiles, int64_t k, int64_t batch) {
  const int64_t sms = sm_count() > 0 ? sm_count() : 1;
  if (batch != 1 || tiles >= 2 * sms) return 1;
  int64_t s = (2 * sms + tiles - 1) / tiles;
  if (s > k / 512) s = k / 512;
  if (s > 64) s = 64;
  return s < 2 ? 1 : s;
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
void launch(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, int64_t sa,
            const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc, int64_t batch) {
  const int64_t gx = (n + BN - 1) / BN, gy = (m + BM - 1) / BM;
  if (gx > 2147483647LL || gy > 65535) throw Failure(Kind::Arg, "gemm: matrix too large for the kernel's grid");
  cudaStream_t st = stream();
  const int64_t slices = splitk_slices(gx * gy, k, batch);
  if (slices > 1) {
    const int64_t chunk = ((k + slices - 1) / slices + BK - 1) / BK * BK;
    const int64_t used = (k + chunk - 1) / chunk;  // slices actually holding part of k
    const uint32_t ws = buffer_alloc(sizeof(T) == 4 ? DType::F32 : DType::F64, used * m * n);
    T* w = static_cast<T*>(buffer(ws).ptr);
    const dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(used));
#define CV_SPLITK_LAUNCH(TA_, TB_) \
    gemm_k<T, BM, BN, BK, TM, TN, TA_, TB_><<<grid, kGemmThreads, 0, st>>>(m, n, k, T(1), a, lda, 0, b, ldb, 0, T(0), w, n, m * n, 0, chunk)
    if (!ta && !tb) CV_SPLITK_LAUNCH(false, false);
    else if (!ta && tb) CV_SPLITK_LAUNCH(false, true);
    else if (ta && !tb) CV_SPLITK_LAUNCH(true, false);
    else CV_SPLITK_LAUNCH(true, true);
#undef CV_SPLITK_LAUNCH
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) {
      splitk_reduce_k<T><<<grid_for(m * n), 256, 0, st>>>(w, used, m, n, alpha, beta, c, ldc);
      e = cudaGetLastError();
    }
    buffer_free(ws);  // stream-ordered: the kernels above run before any reuse
    check(e, "gemm split-K kernels");
    return;
  }
  for (int64_t b0 = 0; b0 < batch; b0 += 65535) {
    const unsigned gz = static_cast<unsigned>(batch - b0 < 65535 ? batch - b0 : 65535);
    const dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), gz);
#define CV_GEMM_LAUNCH(TA_, TB_) \
    gemm_k<T, BM, BN, BK, TM, TN, TA_, TB_><<<grid, kGemmThreads, 0, st>>>(m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, b0, 0)
    if (!ta && !tb) CV_GEMM_LAUNCH(false, false);
    else if (!ta && tb) CV_GEMM_LAUNCH(false, true);
    else if (ta && !tb) CV_GEMM_LAUNCH(true, false);
    else CV_GEMM_LAUNCH(true, true);
#undef CV_GEMM_LAUNCH
    check_launch("gemm kernel");
  }
}

// --- matrix-vector products (m = 1 or n = 1) ----------------------------------------------------
// The tile kernel would waste 127/128 of its work; these are memory-bound passes over the matrix:
// "rows" when the dot products run along contiguous rows (a block per output, a shared-memory tree),
// "cols" when they run down columns (a thread per output, reads coalesced across outputs). Sums in
// double; batch entries along grid.y.

/** y[r·incy] = alpha·Σ_p M[r·ldm + p]·x[p·incx] (+ beta·y), r < outs, one block per output. */
template <typename T>
__global__ void gemv_rows_k(int64_t outs, int64_t k, T alpha, const T* __restrict__ M, int64_t ldm, int64_t sm,
                            const T* __restrict__ x, int64_t incx, int64_t sx, T beta, T* __restrict__ y, int64_t incy, int64_t sy,
                            int64_t batch0) {
  __shared__ double part[kGemmThreads];
  const int64_t z = batch0 + blockIdx.y;
  M += z * sm;
  x += z * sx;
  y += z * sy;
  for (int64_t r = blockIdx.x; r < outs; r += gridDim.x) {
    double acc = 0;
    for (int64_t p = threadIdx.x; p < k; p += blockDim.x) acc += static_cast<double>(M[r * ldm + p]) * static_cast<double>(x[p * incx]);
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      T* py = y + r * incy;
      *py = beta == T(0) ? static_cast<T>(static_cast<double>(alpha) * part[0])
                         : static_cast<T>(static_cast<double>(alpha) * part[0] + static_cast<double>(beta) * static_cast<double>(*py));
    }
    __syncthreads();  // part is rewritten for the next output
  }
}

/** y[c·incy] = alpha·Σ_p M[p·ldm + c]·x[p·incx] (+ beta·y), c < outs, one thread per output. */
template <typename T>
__global__ void gemv_cols_k(int64_t outs, int64_t k, T alpha, const T* __restrict__ M, int64_t ldm, int64_t sm,
                            const T* __restrict__ x, int64_t incx, int64_t sx, T beta, T* __restrict__ y, int64_t incy, int64_t sy,
                            int64_t batch0) {
  const int64_t z = batch0 + blockIdx.y;
  M += z * sm;
  x += z * sx;
  y += z * sy;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < outs; c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double acc = 0;
    for (int64_t p = 0; p < k; p++) acc += static_cast<double>(M[p * ldm + c]) * static_cast<double>(x[p * incx]);
    T* py = y + c * incy;
    *py = beta == T(0) ? static_cast<T>(static_cast<double>(alpha) * acc)
                       : static_cast<T>(static_cast<double>(alpha) * acc + static_cast<double>(beta) * static_cast<double>(*py));
  }
}

/**
 * C = alpha·op(A)·op(B) + beta·C for m = 1 or n = 1 as one matrix-vector product per batch entry.
 * n = 1: y = C's column (stride ldc), the matrix op(A) (m×k), x = op(B)'s column (stride ldb, or 1
 * when transposed). m = 1: y = C's row, the matrix op(B)ᵀ (n×k), x = op(A)'s row (stride 1, or lda).
 */
template <typename T>
void gemv(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, int64_t sa,
          const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc, int64_t batch) {
  const T* M; const T* x; int64_t outs, ldm, sm, incx, sx, incy;
  bool rows;  // dot products along M's contiguous rows
  if (n == 1) {
    outs = m; M = a; ldm = lda; sm = sa; rows = !ta;  // op(A)(i, p) = ta ? A[p·lda + i] : A[i·lda + p]
    x = b; incx = tb ? 1 : ldb; sx = sb; incy = ldc;
  } else {
    outs = n; M = b; ldm = ldb; sm = sb; rows = tb;   // op(B)(p, j) = tb ? B[j·ldb + p] : B[p·ldb + j]
    x = a; incx = ta ? lda : 1; sx = sa; incy = 1;
  }
  cudaStream_t st = stream();
  for (int64_t b0 = 0; b0 < batch; b0 += 65535) {
    const unsigned gy = static_cast<unsigned>(batch - b0 < 65535 ? batch - b0 : 65535);
    if (rows) {
      const dim3 grid(static_cast<unsigned>(outs < 65536 ? outs : 65536), gy);
      gemv_rows_k<T><<<grid, kGemmThreads, 0, st>>>(outs, k, alpha, M, ldm, sm, x, incx, sx, beta, c, incy, sc, b0);
    } else {
      const dim3 grid(grid_for(outs), gy);
      gemv_cols_k<T><<<grid, kThreads, 0, st>>>(outs, k, alpha, M, ldm, sm, x, incx, sx, beta, c, incy, sc, b0);
    }
    check_launch("gemv kernel");
  }
}

}  // namespace

void gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
          const void* a, int64_t lda, int64_t sa, const void* b, int64_t ldb, int64_t sb,
          double beta, void* c, int64_t ldc, int64_t sc, int64_t batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (m == 1 || n == 1) {
    if (dt == DType::F32) {
      gemv<float>(ta, tb, m, n, k, static_cast<float>(alpha), static_cast<const float*>(a), lda, sa,
        static_cast<const float*>(b), ldb, sb, static_cast<float>(beta), static_cast<float*>(c), ldc, sc, batch);
      return;
    }
    if (dt == DType::F64) {
      gemv<double>(ta, tb, m, n, k, alpha, static_cast<const double*>(a), lda, sa, static_cast<const double*>(b), ldb, sb,
        beta, static_cast<double*>(c), ldc, sc, batch);
      return;
    }
  }
  if (dt == DType::F32) {
    launch<float, 128, 128, 8, 8, 8>(ta, tb, m, n, k, static_cast<float>(alpha), static_cast<const float*>(a), lda, sa,
      static_cast<const float*>(b), ldb, sb, static_cast<float>(beta), static_cast<float*>(c), ldc, sc, batch);
  } else if (dt == DType::F64) {
    launch<double, 64, 64, 8, 4, 4>(ta, tb, m, n, k, alpha, static_cast<const double*>(a), lda, sa,
      static_cast<const double*>(b), ldb, sb, beta, static_cast<double*>(c), ldc, sc, batch);
  } else {
    throw Failure(Kind::Arg, "gemm needs float32 or float64");
  }
}

}  // namespace cuda
}  // namespace cv
