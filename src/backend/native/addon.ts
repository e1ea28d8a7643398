import type { TypedArray } from '../types.js';

/** The ABI number the loader accepts from the addon's info() (native/src/addon.cc's kAbi). */
export const NATIVE_ABI = 12;

/** GEMM micro-kernel families, from the least to the most demanding. */
export type NativeKernel = 'portable' | 'avx2' | 'avx512';

/** What info() reports: the ABI, the CPU's AVX2+FMA and AVX-512F support, the GEMM kernels in use. */
export interface NativeInfo {
  abi: number;
  avx2fma: boolean;
  avx512: boolean;
  kernel: NativeKernel;
  /** Threads in use (the calling thread included), the default (physical cores), the GEMM threshold. */
  threads: number;
  defaultThreads: number;
  threadMinFlops: number;
}

/**
 * The functions of native/src/addon.cc. Buffers are typed arrays the addon reads and writes in place;
 * `dims` is a Float64Array [rank, shape…, strides of each strided operand…]. Extents are checked by
 * the caller (../checks.ts) before every call.
 */
export interface NativeAddon {
  info(): NativeInfo;
  /** Caps the GEMM kernels (the best the CPU has up to `cap` run); returns the kernels in use. */
  setKernelCap(cap: NativeKernel): NativeKernel;
  fill(buf: TypedArray, value: number): void;
  cast(src: TypedArray, dst: TypedArray, n: number): void;
  unary(op: number, x: TypedArray, out: TypedArray, n: number): void;
  binary(op: number, dims: Float64Array, a: TypedArray, b: TypedArray, out: TypedArray): void;
  mulAdd(dims: Float64Array, a: TypedArray, b: TypedArray, c: TypedArray, d: TypedArray, out: TypedArray): void;
  where(dims: Float64Array, c: TypedArray, a: TypedArray, b: TypedArray, out: TypedArray): void;
  copy(dims: Float64Array, src: TypedArray, srcOff: number, dst: TypedArray, dstOff: number): void;
  reduce(op: number, x: TypedArray, outer: number, r: number, inner: number, out: TypedArray): void;
  /** out[o, i] = Σ_k x[o, k, i]² (each square rounded to the dtype, summed in float64). */
  sumSquares(x: TypedArray, outer: number, r: number, inner: number, out: TypedArray): void;
  /** flags: bit 0 transA, bit 1 transB. */
  gemmStridedBatched(flags: number, m: number, n: number, k: number, alpha: number,
    a: TypedArray, aOff: number, lda: number, strideA: number, b: TypedArray, bOff: number, ldb: number, strideB: number,
    beta: number, c: TypedArray, cOff: number, ldc: number, strideC: number, batch: number): void;
  /** C = alpha·op(A)·op(A)ᵀ, n×n (trans: A is k×n, C = alpha·AᵀA; else A n×k, C = alpha·AAᵀ); both triangles written. */
  syrk(trans: number, n: number, k: number, alpha: number, a: TypedArray, aOff: number, lda: number,
    c: TypedArray, cOff: number, ldc: number): void;
  /** out = Σ_e (A_e·op(B) + 1·biasᵀ)² (cv::gemm_sum_squares; bias null for none; extents checked by the caller). */
  gemmSumSquares(transB: number, batch: number, m: number, n: number, k: number, a: TypedArray, aOff: number, strideA: number,
    b: TypedArray, bOff: number, ldb: number, out: TypedArray, outOff: number, bias: TypedArray | null, biasOff: number): void;
  /** C = (op(A)·op(B)) ⊙ S (cv::gemm_scaled; Backend.gemmScaled; extents checked by the caller, and S's again by the addon). */
  gemmScaled(transA: number, transB: number, m: number, n: number, k: number, a: TypedArray, aOff: number, lda: number,
    b: TypedArray, bOff: number, ldb: number, c: TypedArray, cOff: number, ldc: number,
    s: TypedArray, sOff: number, inner: number, outerStride: number, innerStride: number): void;
  /** out[i, :] = src[idx[i], :] (indices checked by the caller, and again by the addon). */
  gather(src: TypedArray, idx: Int32Array, nIdx: number, rowSize: number, out: TypedArray): void;
  /** out[idx[i], :] += src[i, :] (float32/float64). */
  scatterAdd(src: TypedArray, idx: Int32Array, nIdx: number, rowSize: number, out: TypedArray): void;
  /** g: Int32Array [n, c, h, w, kh, kw, sH, sW, pH, pW, dH, dW, outH, outW] (Im2colGeometry). */
  im2col(x: TypedArray, g: Int32Array, cols: TypedArray): void;
  /** The adjoint: x overwritten with the patch entries of cols summed into their pixels. */
  col2im(cols: TypedArray, g: Int32Array, x: TypedArray): void;
  /** argmax [n, c, outH, outW] ← flat index into x of each window's first largest value. */
  maxPoolArgmax(x: TypedArray, g: Int32Array, argmax: Int32Array): void;
  softmax(x: TypedArray, rows: number, cols: number, out: TypedArray, log: boolean): void;
  /** out = y⊙t − y·⟨y, t⟩ per row of t [outer, k, inner, cols], y [outer, inner, cols] (Backend.softmaxJvp). */
  softmaxJvp(y: TypedArray, t: TypedArray, outer: number, k: number, inner: number, cols: number, out: TypedArray): void;
  crossEntropy(z: TypedArray, labels: Int32Array, rows: number, cols: number, out: TypedArray): void;
  tanhGrad(y: TypedArray, g: TypedArray, out: TypedArray, n: number): void;
  /** n threads (0: the default, physical cores) and the GEMM threshold in flops; returns the count in force. */
  setThreads(n: number, minFlops: number): number;
  /** −1 on success, else the first failing pivot, its value written to valueOut[0]. */
  potrf(a: TypedArray, aOff: number, n: number, lda: number, valueOut: Float64Array): number;
  /** flags: bit 0 upper, bit 1 trans, bit 2 unit diagonal. */
  trsm(flags: number, m: number, n: number, alpha: number, a: TypedArray, aOff: number, lda: number,
    b: TypedArray, bOff: number, ldb: number): void;
  /** 0, −1 (a non-finite entry in the lower triangle; nothing written), −2 (divide and conquer did not converge), −3 (out of memory). */
  syev(n: number, a: TypedArray, aOff: number, lda: number, w: TypedArray, wOff: number, vectors: boolean): number;
}

/** The function names the loader requires (a binary without one of them is refused). */
export const ADDON_FUNCTIONS: readonly (keyof NativeAddon)[] = [
  'info', 'setKernelCap', 'fill', 'cast', 'unary', 'binary', 'where', 'copy', 'reduce', 'sumSquares', 'gemmStridedBatched', 'syrk', 'gemmSumSquares', 'gemmScaled',
  'gather', 'scatterAdd', 'im2col', 'col2im', 'maxPoolArgmax', 'softmax', 'softmaxJvp', 'crossEntropy', 'tanhGrad', 'mulAdd', 'setThreads', 'potrf', 'trsm', 'syev',
];
