import { DTypeError } from '../../errors.js';
import {
  checkCount, checkGemm, checkIndexed, checkLabels, checkPotrf, checkReduce, checkRows, checkSameFloat, checkStrided, checkSyev, checkTrsm,
} from '../checks.js';
import { BINARY_OPS, dims, opCode, REDUCE_OPS, UNARY_OPS } from '../native/ops.js';
import type {
  Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, KernelName, ReduceOp, TypedArray, UnaryOp,
} from '../types.js';
import { DTYPE_CODES, type CudaAddon, type CudaInfo, type CudaMemoryStats } from './addon.js';
import { mapCudaError, typed } from './errors.js';
import { CudaDeviceUnavailableError, loadCudaAddon, type CudaLoadOptions } from './load.js';

/**
 * A CUDA buffer: a handle of device memory held by the addon's caching allocator. `handle` is 0
 * after free(); the addon refuses handle 0, so a use after free is an error, not a wild access.
 */
export class CudaBuffer implements BackendBuffer {
  constructor(readonly dtype: DType, readonly size: number, public handle: number) {}
}

const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;


/**
 * The CUDA backend: buffers live in device memory (handles into the addon's caching allocator),
 * data moves only through write/read/readAsync, and every kernel is queued on one stream, so calls
 * return before the GPU has finished and only read() waits (readAsync resolves on a worker thread's
 * event wait without blocking the event loop). Runs the required kernels and gemmStridedBatched,
 * gather, scatterAdd, softmax, crossEntropy, tanhGrad, potrf, trsm and syev (parallel Jacobi)
 * natively (float32/float64; the elementwise ones in int32 too, operands of one dtype). Errors are typed
 * (./errors.ts): out of memory and launch failures leave the backend usable; a sticky CUDA error
 * marks it broken (BackendUnavailableError) without killing the process.
 *
 * A FinalizationRegistry frees the device memory of buffers that become unreachable without free()
 * (the tensor layer's dispose() is the normal path; this is the safety net of DESIGN.md).
 */
export class CudaBackend implements Backend {
  readonly name = 'cuda';
  readonly addon: CudaAddon;
  readonly path: string;
  private readonly finalizer: FinalizationRegistry<number>;

  /** Throws BackendUnavailableError when the addon or the device cannot be used (see ./load.ts). */
  constructor(options: CudaLoadOptions = {}) {
    const loaded = loadCudaAddon(options);
    this.addon = loaded.addon;
    this.path = loaded.path;
    const addon = this.addon;
    this.finalizer = new FinalizationRegistry((handle: number) => {
      try { addon.free(handle); } catch { /* a broken backend: nothing to free */ }
    });
  }

  /** Device name, compute capability, memory, driver and runtime versions, the sticky error if any. */
  info(): CudaInfo {
    return this.addon.info();
  }
  /** The caching allocator's counters. */
  memoryStats(): CudaMemoryStats {
    return typed(() => this.addon.memoryStats());
  }
  /** Returns cached, unused device blocks to the driver. */
  emptyCache(): void {
    typed(() => this.addon.emptyCache());
  }
  /** Waits until the queued work is done (surfacing asynchronous errors). */
  synchronize(): void {
    typed(() => this.addon.synchronize());
  }

  supports(kernel: KernelName, dtypes: readonly DType[], _op?: string): boolean {
    const dt = dtypes[0];
    const same = dtypes.every((d) => d === dt);
    switch (kernel) {
      case 'fill': case 'cast': return true;
      case 'unary': case 'binary': case 'where': case 'copy': case 'reduce': return same;
      case 'gemm': case 'gemmStridedBatched': case 'softmax': case 'tanhGrad': case 'potrf': case 'trsm': case 'syev':
        return same && dt !== 'int32';
      case 'gather': return dtypes[1] === 'int32' && dtypes[2] === dt;
      case 'scatterAdd': case 'crossEntropy': return dt !== 'int32' && dtypes[1] === 'int32' && dtypes[2] === dt;
      default: return false;
    }
  }

  alloc(dtype: DType, size: number): BackendBuffer {
    const handle = typed(() => this.addon.alloc(DTYPE_CODES[dtype], size));
    const buf = new CudaBuffer(dtype, size, handle);
    this.finalizer.register(buf, handle, buf);
    return buf;
  }
  free(buf: BackendBuffer): void {
    const b = buf as CudaBuffer;
    if (!(b instanceof CudaBuffer) || b.handle === 0) return;
    const h = b.handle;
    b.handle = 0;
    this.finalizer.unregister(b);
    typed(() => this.addon.free(h));
  }
  write(buf: BackendBuffer, data: ArrayLike<number>, offset = 0): void {
    const Ctor = CTORS[buf.dtype];
    const src = data instanceof Ctor ? data : new Ctor(data as ArrayLike<number>);
    if (offset < 0 || offset + src.length > buf.size) throw new RangeError(`cuda write: ${src.length} elements at offset ${offset} do not fit a buffer of ${buf.size}`);
    typed(() => this.addon.write(this.h(buf), src, offset));
  }
  read(buf: BackendBuffer): TypedArray {
    const out = new CTORS[buf.dtype](buf.size);
    typed(() => this.addon.read(this.h(buf), out));
    return out;
  }
  readAsync(buf: BackendBuffer): Promise<TypedArray> {
    try {
      return this.addon.readAsync(this.h(buf), buf.size).catch((err: unknown) => { throw mapCudaError(err); });
    } catch (err) {
      return Promise.reject(mapCudaError(err));
    }
  }
  fill(buf: BackendBuffer, value: number): void {
    typed(() => this.addon.fill(this.h(buf), value));
  }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void {
    checkCount('cast', n, [src, dst]);
    typed(() => this.addon.cast(this.h(src), this.h(dst), n));
  }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void {
    checkCount(`unary ${op}`, n, [x, out]);
    this.same(`unary ${op}`, [x, out]);
    typed(() => this.addon.unary(opCode(UNARY_OPS, op), this.h(x), this.h(out), n));
  }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided(`binary ${op}`, shape, [[a, 0, aStrides], [b, 0, bStrides]], out);
    this.same(`binary ${op}`, [a, b, out]);
    typed(() => this.addon.binary(opCode(BINARY_OPS, op), dims(shape, aStrides, bStrides), this.h(a), this.h(b), this.h(out)));
  }
  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided('where', shape, [[cond, 0, cStrides], [a, 0, aStrides], [b, 0, bStrides]], out);
    this.same('where', [cond, a, b, out]);
    typed(() => this.addon.where(dims(shape, cStrides, aStrides, bStrides), this.h(cond), this.h(a), this.h(b), this.h(out)));
  }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void {
    checkStrided('copy', shape, [[src, srcOff, srcStrides], [dst, dstOff, dstStrides]], null);
    this.same('copy', [src, dst]);
    typed(() => this.addon.copy(dims(shape, srcStrides, dstStrides), this.h(src), srcOff, this.h(dst), dstOff));
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    checkReduce(x, outer, r, inner, out);
    this.same(`reduce ${op}`, [x, out]);
    typed(() => this.addon.reduce(opCode(REDUCE_OPS, op), this.h(x), outer, r, inner, this.h(out)));
  }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void {
    if (!checkGemm('gemm', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc)) return;
    typed(() => this.addon.gemmStridedBatched((transA ? 1 : 0) | (transB ? 2 : 0), m, n, k, alpha,
      this.h(a), aOff, lda, 0, this.h(b), bOff, ldb, 0, beta, this.h(c), cOff, ldc, 0, 1));
  }
  gemmStridedBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, strideA: number,
    b: BackendBuffer, bOff: number, ldb: number, strideB: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number, strideC: number, batch: number): void {
    if (!checkGemm('gemmStridedBatched', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, batch, strideA, strideB, strideC)) return;
    typed(() => this.addon.gemmStridedBatched((transA ? 1 : 0) | (transB ? 2 : 0), m, n, k, alpha,
      this.h(a), aOff, lda, strideA, this.h(b), bOff, ldb, strideB, beta, this.h(c), cOff, ldc, strideC, batch));
  }

  // Indices and labels are checked on the device (the addon reads back the first bad one).
  gather(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('gather', idx, nIdx, rowSize, out, src);
    typed(() => this.addon.gather(this.h(src), this.h(idx), nIdx, rowSize, this.h(out)));
  }
  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('scatterAdd', idx, nIdx, rowSize, src, out);
    if (src.dtype === 'int32') throw new DTypeError('cuda scatterAdd: needs float32 or float64 operands, got int32');
    typed(() => this.addon.scatterAdd(this.h(src), this.h(idx), nIdx, rowSize, this.h(out)));
  }
  tanhGrad(y: BackendBuffer, g: BackendBuffer, out: BackendBuffer, n: number): void {
    checkSameFloat('tanhGrad', n, [y, g, out]);
    typed(() => this.addon.tanhGrad(this.h(y), this.h(g), this.h(out), n));
  }
  softmax(x: BackendBuffer, rows: number, cols: number, out: BackendBuffer, log: boolean): void {
    checkRows('softmax', x, rows, cols, rows * cols, out);
    typed(() => this.addon.softmax(this.h(x), rows, cols, this.h(out), log));
  }
  crossEntropy(z: BackendBuffer, labels: BackendBuffer, rows: number, cols: number, out: BackendBuffer): void {
    checkRows('crossEntropy', z, rows, cols, rows, out);
    checkLabels(labels, rows, cols);
    typed(() => this.addon.crossEntropy(this.h(z), this.h(labels), rows, cols, this.h(out)));
  }

  potrf(n: number, a: BackendBuffer, aOff: number, lda: number): CholeskyResult {
    checkPotrf(n, a, aOff, lda);
    if (n === 0) return { ok: true };
    return typed(() => this.addon.potrf(n, this.h(a), aOff, lda));
  }
  trsm(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void {
    checkTrsm(m, n, a, aOff, lda, b, bOff, ldb);
    if (m === 0 || n === 0) return;
    typed(() => this.addon.trsm(uplo === 'upper', trans, unitDiag, m, n, alpha, this.h(a), aOff, lda, this.h(b), bOff, ldb));
  }

  syev(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number,
    computeVectors: boolean): void {
    checkSyev(n, a, aOff, lda, w, wOff);
    if (n === 0) return;
    typed(() => this.addon.syev(n, this.h(a), aOff, lda, this.h(w), wOff, computeVectors));
  }

  /** The live handle of one of this backend's buffers. */
  private h(buf: BackendBuffer): number {
    if (!(buf instanceof CudaBuffer)) throw new DTypeError('cuda backend: the buffer belongs to another backend');
    if (buf.handle === 0) throw new DTypeError(`cuda backend: a ${buf.dtype} buffer of ${buf.size} elements was used after free()`);
    return buf.handle;
  }

  private same(fn: string, bufs: readonly BackendBuffer[]): void {
    const dt = bufs[0]!.dtype;
    if (bufs.some((b) => b.dtype !== dt)) {
      throw new DTypeError(`cuda ${fn}: needs operands of one dtype, got ${bufs.map((b) => b.dtype).join(', ')}`);
    }
  }
}

let told = false;
/**
 * The registry's factory: a CudaBackend, or the BackendUnavailableError saying why not. When the
 * addon is built but the device cannot run (no driver, no device), the default selection falls back
 * with one message on stderr (once per process; none when the addon is simply not built, the
 * normal install, or with CURVATURE_CUDA=0).
 */
export function createCudaBackend(): CudaBackend {
  try {
    return new CudaBackend();
  } catch (err) {
    if (err instanceof CudaDeviceUnavailableError && !told) {
      told = true;
      console.warn(`curvature: the CUDA backend is built but cannot run (${err.reason}); using the next backend`);
    }
    throw err;
  }
}
