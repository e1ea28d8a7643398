import { CurvatureError, DTypeError } from '../../errors.js';
import {
  checkCount, checkGemm, checkGemmScaled, checkGemmSumSquares, checkIndexed, checkSumSquares, checkSyrk, checkLabels, checkMulAdd, checkPotrf, checkReduce, checkRows, checkSameFloat, checkSoftmaxJvp, checkStrided, checkSyev, checkTrsm, nonFiniteEntryError,
} from '../checks.js';
import type {
  Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, Im2colGeometry, KernelName, ReduceOp, TypedArray, UnaryOp,
} from '../types.js';
import type { NativeAddon, NativeInfo, NativeKernel } from './addon.js';
import { checkIm2col, checkMaxPoolArgmax, im2colArgs } from '../im2col.js';
import { loadNativeAddon, type NativeLoadOptions } from './load.js';
import { BINARY_OPS, dims, opCode, REDUCE_OPS, UNARY_OPS } from './ops.js';
import { attachNativeThreads } from './threads.js';
// The same host storage as the js reference: a typed array per buffer, read through arr().
import { allocTyped, arr as typedOf } from '../js/storage.js';

/**
 * A native-backend buffer: a typed array owned by JavaScript (the garbage collector frees it), whose
 * storage the addon reads and writes in place — no copies in or out of addon memory, nothing for
 * the addon to leak, and memory growth cannot detach it (unlike a view of WebAssembly memory).
 * free() hands a large array to the backend's BufferPool for the next alloc of that dtype and size;
 * the handle is then marked freed and refused by every kernel (CurvatureError, like wasm's).
 */
export interface NativeBuffer extends BackendBuffer {
  readonly data: TypedArray;
  freed?: boolean;
}

/** The typed array of a live buffer (a freed one is refused: its array may already be reused). */
function arr(buf: BackendBuffer): TypedArray {
  if ((buf as NativeBuffer).freed) throw new CurvatureError(`native backend: a ${buf.dtype} buffer of ${buf.size} elements was used after free()`);
  return typedOf(buf);
}

/**
 * Freed typed arrays kept for reuse, by dtype and exact length. A fresh large typed array is
 * zero-filled fresh pages: the first kernel that writes it pays a page fault per 4 KiB (measured:
 * a 12.8 MB transpose 2.7 ms into a reused array, 1.3 ms allocation + 6.2 ms into a new one), and
 * V8 counts it as external memory that triggers garbage collections. A training or HVP loop
 * allocates the same shapes every step, so exact-size reuse covers it. Small arrays gain too: a
 * fresh 1–16 KB typed array costs ≈ 3 µs (an off-heap backing store, registered and later
 * finalised), half of a small op's whole time (c.add of 1,024 floats in a tidy 7.2–7.7 µs, 4.0 µs
 * from the pool). Arrays below MIN_BYTES (V8 keeps those on its heap: cheap to allocate) are left
 * to the collector; at most MAX_BYTES are held, the longest unused
 * dropped first. MAX_BYTES covers the intermediates of one batched product (a k = 32 HVP of the
 * 118,282-parameter MLP frees 180 MB per call; at 128 MB every call re-faulted its arrays, 20 % of
 * its time) (so the shapes of a finished phase, a fit before the scoring, make room for the
 * next phase's instead of filling the pool for good).
 */
export class BufferPool {
  static readonly MIN_BYTES = 256;
  static readonly MAX_BYTES = 512 << 20;
  /** @param maxBytes the most held at once (tests pass a small one to exercise the eviction). */
  constructor(private readonly maxBytes = BufferPool.MAX_BYTES) {}

  /** Free arrays by dtype, then length (no key string per call: a small op allocates and frees several). */
  private readonly lists = new Map<DType, Map<number, TypedArray[]>>();
  /** Every held array, oldest first (a Map keeps insertion order), with its dtype. */
  private readonly age = new Map<TypedArray, DType>();
  private bytes = 0;

  take(dtype: DType, size: number): TypedArray | undefined {
    const a = this.lists.get(dtype)?.get(size)?.pop();
    if (a) {
      this.bytes -= a.byteLength;
      this.age.delete(a);
    }
    return a;
  }

  give(dtype: DType, a: TypedArray): void {
    if (a.byteLength < BufferPool.MIN_BYTES || a.byteLength > this.maxBytes) return;
    for (const [old, oldType] of this.age) {
      if (this.bytes + a.byteLength <= this.maxBytes) break;
      const byLength = this.lists.get(oldType)!, list = byLength.get(old.length)!;
      list.splice(list.indexOf(old), 1);
      if (list.length === 0) byLength.delete(old.length);
      this.age.delete(old);
      this.bytes -= old.byteLength;
    }
    let byLength = this.lists.get(dtype);
    if (!byLength) this.lists.set(dtype, (byLength = new Map()));
    let list = byLength.get(a.length);
    if (!list) byLength.set(a.length, (list = []));
    list.push(a);
    this.age.set(a, dtype);
    this.bytes += a.byteLength;
  }
}

const POTRF_OK: CholeskyResult = Object.freeze({ ok: true as const });


/**
 * The native CPU backend: the Backend interface's required kernels (allocation, fill, cast, unary,
 * binary, where, copy, reduce, gemm) and the optional gemmStridedBatched, syrk, gather, scatterAdd, im2col, col2im, maxPoolArgmax,
 * softmax, softmaxJvp, crossEntropy, tanhGrad, mulAdd, sumSquares, gemmSumSquares, gemmScaled, potrf, trsm and syev run in the C++ addon of native/ — GEMM
 * packed and cache-blocked with AVX-512/AVX2+FMA micro-kernels where cpuid allows, split over the
 * addon's thread pool when large (./threads.ts: setNativeThreads; results independent of the
 * count); Cholesky and the triangular solve blocked on that GEMM; the symmetric eigensolver a
 * blocked Householder tridiagonalisation plus divide and conquer on the tridiagonal, its merges as
 * GEMMs (native/src/syev.cc, native/src/stedc.cc). Float32, float64 and int32 elementwise kernels with all
 * operands of one dtype (cast: any pair); GEMM, the row kernels and linear algebra in
 * float32/float64 (gather in any dtype). Mixed-dtype operands go through the tensor layer's
 * reference fallback (src/tensor/kernels.ts). Arguments are checked by ../checks.ts like every
 * backend's.
 */
export class NativeBackend implements Backend {
  readonly name = 'native';
  readonly addon: NativeAddon;
  private readonly pool = new BufferPool();
  /** The file the addon came from. */
  readonly path: string;

  /** Throws BackendUnavailableError when the addon cannot be loaded (see ./load.ts). */
  constructor(options: NativeLoadOptions = {}) {
    const loaded = loadNativeAddon(options);
    this.addon = loaded.addon;
    this.path = loaded.path;
    const addon = this.addon;
    attachNativeThreads(addon, (n, minFlops) => addon.setThreads(n, minFlops));
  }

  /** The addon's report: ABI, AVX2+FMA support, the GEMM kernels in use. */
  info(): NativeInfo {
    return this.addon.info();
  }

  /**
   * Caps the GEMM micro-kernels at `cap` ('portable' simulates a CPU without AVX2, 'avx2' one without
   * AVX-512; 'avx512' restores cpuid's choice); returns the kernels in use. Process-wide.
   */
  kernelCap(cap: NativeKernel): NativeKernel {
    return this.addon.setKernelCap(cap);
  }

  supports(kernel: KernelName, dtypes: readonly DType[], _op?: string): boolean {
    const dt = dtypes[0];
    const same = dtypes.every((d) => d === dt);
    switch (kernel) {
      case 'fill': case 'cast': return true;
      case 'unary': case 'binary': case 'where': case 'copy': case 'reduce': return same;
      case 'gemm': case 'gemmStridedBatched': case 'syrk': case 'gemmSumSquares': case 'gemmScaled': case 'softmax': case 'softmaxJvp': case 'tanhGrad': case 'mulAdd': case 'sumSquares':
      case 'potrf': case 'trsm': case 'syev': case 'im2col': case 'col2im': return same && dt !== 'int32';
      // [src, int32 indices, out] / [z, int32 labels, out]
      case 'gather': return dtypes[1] === 'int32' && dtypes[2] === dt;
      case 'scatterAdd': case 'crossEntropy': return dt !== 'int32' && dtypes[1] === 'int32' && dtypes[2] === dt;
      case 'maxPoolArgmax': return dt !== 'int32' && dtypes[1] === 'int32';
      default: return false;
    }
  }

  /** Contents unspecified (as every backend's alloc): a reused array keeps its old values. */
  alloc(dtype: DType, size: number): BackendBuffer {
    const buf: NativeBuffer = { dtype, size, data: this.pool.take(dtype, size) ?? allocTyped(dtype, size) };
    return buf;
  }
  free(buf: BackendBuffer): void {
    // The addon holds no reference to the array: a large one goes back to the pool, the rest to the
    // garbage collector. A second free of the same handle does nothing.
    const b = buf as NativeBuffer;
    if (b.freed || !b.data) return;
    b.freed = true;
    this.pool.give(b.dtype, b.data);
  }
  write(buf: BackendBuffer, data: ArrayLike<number>, offset = 0): void {
    arr(buf).set(data, offset);
  }
  read(buf: BackendBuffer): TypedArray {
    return arr(buf).slice();
  }
  readAsync(buf: BackendBuffer): Promise<TypedArray> {
    return Promise.resolve(this.read(buf));
  }
  fill(buf: BackendBuffer, value: number): void {
    this.addon.fill(arr(buf), value);
  }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void {
    checkCount('cast', n, [src, dst]);
    this.addon.cast(arr(src), arr(dst), n);
  }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void {
    checkCount(`unary ${op}`, n, [x, out]);
    this.same(`unary ${op}`, [x, out]);
    this.addon.unary(opCode(UNARY_OPS, op), arr(x), arr(out), n);
  }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided(`binary ${op}`, shape, [[a, 0, aStrides], [b, 0, bStrides]], out);
    this.same(`binary ${op}`, [a, b, out]);
    this.addon.binary(opCode(BINARY_OPS, op), dims(shape, aStrides, bStrides), arr(a), arr(b), arr(out));
  }
  mulAdd(shape: readonly number[], a: BackendBuffer, aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[],
    c: BackendBuffer, cStrides: readonly number[], d: BackendBuffer, dStrides: readonly number[], out: BackendBuffer): void {
    checkMulAdd(shape, [[a, aStrides], [b, bStrides], [c, cStrides], [d, dStrides]], out);
    this.addon.mulAdd(dims(shape, aStrides, bStrides, cStrides, dStrides), arr(a), arr(b), arr(c), arr(d), arr(out));
  }
  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided('where', shape, [[cond, 0, cStrides], [a, 0, aStrides], [b, 0, bStrides]], out);
    this.same('where', [cond, a, b, out]);
    this.addon.where(dims(shape, cStrides, aStrides, bStrides), arr(cond), arr(a), arr(b), arr(out));
  }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void {
    checkStrided('copy', shape, [[src, srcOff, srcStrides], [dst, dstOff, dstStrides]], null);
    this.same('copy', [src, dst]);
    this.addon.copy(dims(shape, srcStrides, dstStrides), arr(src), srcOff, arr(dst), dstOff);
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    checkReduce(x, outer, r, inner, out);
    this.same(`reduce ${op}`, [x, out]);
    this.addon.reduce(opCode(REDUCE_OPS, op), arr(x), outer, r, inner, arr(out));
  }
  gemmSumSquares(transB: boolean, batch: number, m: number, n: number, k: number, a: BackendBuffer, aOff: number,
    strideA: number, b: BackendBuffer, bOff: number, ldb: number, out: BackendBuffer, outOff: number,
    bias: BackendBuffer | null = null, biasOff = 0): void {
    if (!checkGemmSumSquares(transB, batch, m, n, k, a, aOff, strideA, b, bOff, ldb, out, outOff, bias, biasOff)) return;
    this.addon.gemmSumSquares(transB ? 1 : 0, batch, m, n, k, arr(a), aOff, strideA, arr(b), bOff, ldb, arr(out), outOff,
      bias ? arr(bias) : null, biasOff);
  }
  gemmScaled(transA: boolean, transB: boolean, m: number, n: number, k: number, a: BackendBuffer, aOff: number, lda: number,
    b: BackendBuffer, bOff: number, ldb: number, c: BackendBuffer, cOff: number, ldc: number,
    s: BackendBuffer, sOff: number, inner: number, outerStride: number, innerStride: number): void {
    if (!checkGemmScaled(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, s, sOff, inner, outerStride, innerStride)) return;
    this.addon.gemmScaled(transA ? 1 : 0, transB ? 1 : 0, m, n, k, arr(a), aOff, lda, arr(b), bOff, ldb, arr(c), cOff, ldc,
      arr(s), sOff, inner, outerStride, innerStride);
  }
  sumSquares(x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    checkSumSquares(x, outer, r, inner, out);
    this.addon.sumSquares(arr(x), outer, r, inner, arr(out));
  }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void {
    if (!checkGemm('gemm', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc)) return;
    this.addon.gemmStridedBatched((transA ? 1 : 0) | (transB ? 2 : 0), m, n, k, alpha,
      arr(a), aOff, lda, 0, arr(b), bOff, ldb, 0, beta, arr(c), cOff, ldc, 0, 1);
  }
  gemmStridedBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, strideA: number,
    b: BackendBuffer, bOff: number, ldb: number, strideB: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number, strideC: number, batch: number): void {
    if (!checkGemm('gemmStridedBatched', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, batch, strideA, strideB, strideC)) return;
    this.addon.gemmStridedBatched((transA ? 1 : 0) | (transB ? 2 : 0), m, n, k, alpha,
      arr(a), aOff, lda, strideA, arr(b), bOff, ldb, strideB, beta, arr(c), cOff, ldc, strideC, batch);
  }

  syrk(trans: boolean, n: number, k: number, alpha: number, a: BackendBuffer, aOff: number, lda: number,
    c: BackendBuffer, cOff: number, ldc: number): void {
    if (!checkSyrk(trans, n, k, a, aOff, lda, c, cOff, ldc)) return;
    this.addon.syrk(trans ? 1 : 0, n, k, alpha, arr(a), aOff, lda, arr(c), cOff, ldc);
  }

  gather(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('gather', idx, nIdx, rowSize, out, src, arr(idx));
    this.addon.gather(arr(src), arr(idx) as Int32Array, nIdx, rowSize, arr(out));
  }
  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('scatterAdd', idx, nIdx, rowSize, src, out, arr(idx));
    if (src.dtype === 'int32') throw new DTypeError('native scatterAdd: needs float32 or float64 operands, got int32');
    this.addon.scatterAdd(arr(src), arr(idx) as Int32Array, nIdx, rowSize, arr(out));
  }
  im2col(x: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    checkIm2col('im2col', g, x, out);
    this.addon.im2col(arr(x), Int32Array.from(im2colArgs(g)), arr(out));
  }
  col2im(cols: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    checkIm2col('col2im', g, cols, out);
    this.addon.col2im(arr(cols), Int32Array.from(im2colArgs(g)), arr(out));
  }
  maxPoolArgmax(x: BackendBuffer, g: Im2colGeometry, argmax: BackendBuffer): void {
    checkMaxPoolArgmax(g, x, argmax);
    this.addon.maxPoolArgmax(arr(x), Int32Array.from(im2colArgs(g)), arr(argmax) as Int32Array);
  }
  tanhGrad(y: BackendBuffer, g: BackendBuffer, out: BackendBuffer, n: number): void {
    checkSameFloat('tanhGrad', n, [y, g, out]);
    this.addon.tanhGrad(arr(y), arr(g), arr(out), n);
  }
  softmax(x: BackendBuffer, rows: number, cols: number, out: BackendBuffer, log: boolean): void {
    checkRows('softmax', x, rows, cols, rows * cols, out);
    this.addon.softmax(arr(x), rows, cols, arr(out), log);
  }
  softmaxJvp(y: BackendBuffer, t: BackendBuffer, outer: number, k: number, inner: number, cols: number, out: BackendBuffer): void {
    checkSoftmaxJvp(y, t, outer, k, inner, cols, out);
    this.addon.softmaxJvp(arr(y), arr(t), outer, k, inner, cols, arr(out));
  }
  crossEntropy(z: BackendBuffer, labels: BackendBuffer, rows: number, cols: number, out: BackendBuffer): void {
    checkRows('crossEntropy', z, rows, cols, rows, out);
    checkLabels(labels, rows, cols, arr(labels));
    this.addon.crossEntropy(arr(z), arr(labels) as Int32Array, rows, cols, arr(out));
  }

  // --- dense linear algebra (native/src/linalg.cc, syev.cc) ---------------------------------

  potrf(n: number, a: BackendBuffer, aOff: number, lda: number): CholeskyResult {
    checkPotrf(n, a, aOff, lda);
    if (n === 0) return POTRF_OK;
    const rc = this.addon.potrf(arr(a), aOff, n, lda, this.pivotValue);
    return rc < 0 ? POTRF_OK : { ok: false, pivot: rc, value: this.pivotValue[0]! };
  }
  trsm(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void {
    checkTrsm(m, n, a, aOff, lda, b, bOff, ldb);
    if (m === 0 || n === 0) return;
    this.addon.trsm((uplo === 'upper' ? 1 : 0) | (trans ? 2 : 0) | (unitDiag ? 4 : 0), m, n, alpha,
      arr(a), aOff, lda, arr(b), bOff, ldb);
  }
  syev(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number,
    computeVectors: boolean): void {
    checkSyev(n, a, aOff, lda, w, wOff);
    if (n === 0) return;
    const rc = this.addon.syev(n, arr(a), aOff, lda, arr(w), wOff, computeVectors);
    if (rc === 0) return;
    // A non-finite entry: nothing was written; name the first one, as the reference backend does.
    if (rc === -1) throw nonFiniteEntryError(arr(a), aOff, n, lda);
    if (rc === -2) throw new CurvatureError(`syev: the tridiagonal divide and conquer did not converge (a QL leaf past 30 steps per row, or a secular equation past 200 steps; ${n}×${n} matrix)`);
    if (rc === -3) throw new CurvatureError(`syev: out of memory for the ${n}×${n} eigensolver's scratch (≈ ${(2.5 * n * n * 8 / 2 ** 20).toFixed(0)} MiB)`);
    throw new CurvatureError(`syev: the native kernel returned the unknown status ${rc}`);
  }

  /** potrf's failing pivot value, written by the addon. */
  private readonly pivotValue = new Float64Array(1);

  /** The elementwise kernels take operands of one dtype (supports() says so; the tensor layer complies). */
  private same(fn: string, bufs: readonly BackendBuffer[]): void {
    const dt = bufs[0]!.dtype;
    if (bufs.some((b) => b.dtype !== dt)) {
      throw new DTypeError(`native ${fn}: needs operands of one dtype, got ${bufs.map((b) => b.dtype).join(', ')}`);
    }
  }
}
