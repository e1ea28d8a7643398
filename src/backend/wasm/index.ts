/**
 * The WebAssembly SIMD backend: every Backend kernel maps onto one export of the kernels module
 * (wasm/curvature-mt.wasm in Node, wasm/curvature.wasm in browsers, or their relaxed-SIMD FMA builds
 * curvature-fma-mt.wasm / curvature-fma.wasm where the engine has relaxed SIMD; ABI: wasm/src/curvature.h;
 * loading: ./loader.ts). Large GEMMs are split over worker threads when setWasmThreads(n > 1)
 * asks for it (./threads.ts, ./thread-pool.ts), with results bit for bit those of one thread.
 *
 * Buffers live in the module's linear memory: a handle is { dtype, size, ptr } with ptr from
 * cv_malloc (a zero-size buffer still gets one element, so every live handle has a distinct,
 * valid pointer). Element offsets are folded into pointers here; strides and shapes are written
 * as int32 into a scratch area allocated once. Typed-array views of memory.buffer are made per
 * call (memory growth detaches the old ArrayBuffer), and never held across a kernel call, which
 * may grow memory.
 *
 * Memory safety: a kernel that writes out of bounds corrupts the wasm heap silently (the
 * reference backend would only drop the write), so every call runs the shared argument checks of
 * ../checks.ts first (ShapeError), validates gather/scatter indices in the backend (InputError;
 * they are in host-visible memory, so no copy), and requires the element types the C signature
 * expects.
 *
 * Coverage: all kernels run in wasm for float32/float64. The ABI has no int32 variants of unary,
 * where, reduce or scatter-add, and int32 binary kernels only for eq/ne (the only int32 ops the
 * tensor layer issues); supports() says so, and the tensor layer's dispatcher (src/tensor/kernels.ts)
 * runs those calls, and mixed-dtype ones, on the js reference (counted in fallbackCounts, noted once
 * per kernel with CURVATURE_DEBUG=1). Called directly with such dtypes, a kernel throws DTypeError.
 * A module built without softmax.c or activation_grad.c leaves softmax/crossEntropy/tanhGrad out
 * (the tensor layer composes them).
 */
import { CurvatureError, DTypeError, InputError, ShapeError } from '../../errors.js';
import {
  checkCount, checkGemm, checkIndexed, checkLabels, checkPotrf, checkReduce, checkRows, checkSameFloat, checkStrided, checkSyev, checkTrsm, nonFiniteEntryError,
} from '../checks.js';
import { fallbackCounts } from '../fallback.js';
import { contiguousStrides } from '../strides.js';
import type {
  Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, Im2colGeometry, KernelName, ReduceOp, TypedArray, UnaryOp,
} from '../types.js';
import { checkIm2col, checkMaxPoolArgmax, im2colArgs } from '../im2col.js';
import { loadWasm, type CurvatureExports, type WasmKernels } from './loader.js';
import { BINARY_CODES, DTYPE_CODES, ITEM_SIZE, MAX_KERNEL_RANK, REDUCE_CODES, UNARY_CODES } from './ops.js';
import { coalesce, forEachBlock } from './strided.js';
import { ThreadPool, threadsSupported } from './thread-pool.js';
import { getWasmThreads, onWasmThreadsChange, wasmThreadMinFlops } from './threads.js';

export {
  loadWasm, loadWasmFromUrl, defaultWasmPath, defaultWasmFile, wasmSimdSupported, wasmRelaxedSimdSupported, wasmVariant,
  WasmKernels, WasmTrapError, type WasmVariant,
} from './loader.js';
export { setWasmThreads, getWasmThreads, MAX_WASM_THREADS, WASM_THREAD_MIN_FLOPS, type WasmThreadOptions } from './threads.js';

/** A buffer in wasm linear memory. `ptr` is a byte address; the handle is dead after free(). */
export class WasmBuffer implements BackendBuffer {
  /** @internal */ freed = false;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly ptr: number,
    /** @internal */ readonly owner: WasmBackend,
  ) {}
}

const OK: CholeskyResult = Object.freeze({ ok: true as const });
const SCRATCH_INTS = (1 + 4) * MAX_KERNEL_RANK; // shape + up to four stride lists (where)
/**
 * Unary ops worth splitting over threads: the transcendental ones (≈ 3–20 ns per element; the
 * others are a few loads and stores, bound by memory). Each element counts UNARY_FLOPS against the
 * threads' minFlops, so the default splits maps of ≥ 2·128³ / 100 ≈ 42 000 elements.
 */
const SPLIT_UNARY: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['exp', 'log', 'tanh', 'sigmoid', 'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos']);
const UNARY_FLOPS = 100;

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly kernels: WasmKernels;
  private readonly x: CurvatureExports;
  /** int32 scratch for shapes and strides, and one double for potrf's pivot value. */
  private readonly scratch: number;
  private readonly valueSlot: number;
  private heapBuffer: ArrayBuffer | null = null;
  private heapI32: Int32Array = new Int32Array(0);
  private heapF64: Float64Array = new Float64Array(0);
  /** Worker threads for large GEMMs (./thread-pool.ts), started on first use. */
  private pool: ThreadPool | null = null;
  /** The thread count whose pool failed to start, and why (not retried for that count). */
  private threadFailure: { threads: number; why: string } | null = null;
  /**
   * How many times each kernel ran the js reference instead of a wasm export, through the tensor
   * layer's dispatcher (../fallback.ts; counted always, printed once per kernel with
   * CURVATURE_DEBUG=1). Lets a caller check that a workload stays on wasm kernels end to end.
   */
  get fallbackCounts(): Map<string, number> {
    return fallbackCounts(this);
  }

  /** Loads the kernels with loadWasm() (or uses already loaded ones, e.g. from loadWasmFromUrl). */
  constructor(kernels: WasmKernels = loadWasm()) {
    this.kernels = kernels;
    this.x = kernels.exports;
    this.scratch = this.malloc(SCRATCH_INTS * 4);
    this.valueSlot = this.malloc(8);
    onWasmThreadsChange((n) => { if (this.pool && this.pool.threads !== n) this.stopThreads(); });
    // A module built before softmax.c / activation_grad.c: leave those kernels out (optional ones).
    const own = this as { -readonly [K in 'softmax' | 'crossEntropy' | 'tanhGrad']?: Backend[K] };
    if (!this.rowKernels()) { own.softmax = undefined; own.crossEntropy = undefined; }
    const ag = this.x as unknown as Partial<ActivationGradKernels>;
    if (!ag.cv_tanh_grad_f32 || !ag.cv_tanh_grad_f64) own.tanhGrad = undefined;
    // A module built before im2col.c: the tensor layer composes im2col/col2im from copies.
    const ic = this.x as unknown as Partial<Im2colKernels>;
    const conv = this as { -readonly [K in 'im2col' | 'col2im']?: Backend[K] };
    if (!ic.cv_im2col_f32 || !ic.cv_im2col_f64 || !ic.cv_col2im_f32 || !ic.cv_col2im_f64) { conv.im2col = undefined; conv.col2im = undefined; }
    if (!ic.cv_maxpool_argmax_f32 || !ic.cv_maxpool_argmax_f64) (this as { maxPoolArgmax?: Backend['maxPoolArgmax'] }).maxPoolArgmax = undefined;
  }

  /**
   * The dtypes the wasm exports take (see the class comment); other calls go to the reference
   * through the tensor layer.
   */
  supports(kernel: KernelName, dtypes: readonly DType[], op?: string): boolean {
    const dt = dtypes[0];
    const same = dtypes.every((d) => d === dt);
    switch (kernel) {
      case 'cast': case 'fill': case 'gather': return true;
      case 'copy': return same;
      case 'binary': return same && (dt !== 'int32' || op === 'eq' || op === 'ne');
      // [src or z, int32 indices or labels, out]
      case 'scatterAdd': case 'crossEntropy': return dt !== 'int32' && dtypes[2] === dt;
      case 'maxPoolArgmax': return dt !== 'int32' && dtypes[1] === 'int32';
      default: return same && dt !== 'int32';
    }
  }

  /**
   * Threads a large GEMM runs on now: getWasmThreads() where the module supports threads (Node and
   * the shared-memory build, wasm/curvature-mt.wasm), else 1.
   */
  get threads(): number {
    return threadsSupported(this.kernels) ? getWasmThreads() : 1;
  }

  /** Stops this backend's GEMM worker threads, if any, and frees their wasm memory. */
  stopThreads(): void {
    const p = this.pool;
    this.pool = null;
    p?.close();
  }

  /** Bytes currently held by cv_malloc (buffers plus this backend's 168 bytes of scratch). */
  allocatedBytes(): number {
    return this.x.cv_allocated_bytes() >>> 0;
  }

  /** Current size of the linear memory in bytes. */
  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  // --- memory ----------------------------------------------------------------------------------

  alloc(dtype: DType, size: number): BackendBuffer {
    if (!(dtype in ITEM_SIZE)) throw new DTypeError(`alloc: unknown dtype '${String(dtype)}'`);
    if (!Number.isInteger(size) || size < 0) throw new ShapeError(`alloc: size must be a non-negative integer, got ${size}`);
    return new WasmBuffer(dtype, size, this.malloc(Math.max(1, size) * ITEM_SIZE[dtype]), this);
  }

  free(buf: BackendBuffer): void {
    const b = buf as WasmBuffer;
    if (!(b instanceof WasmBuffer) || b.owner !== this || b.freed) return;
    b.freed = true;
    this.x.cv_free(b.ptr);
  }

  readAsync(buf: BackendBuffer): Promise<TypedArray> {
    return Promise.resolve(this.read(buf));
  }

  write(buf: BackendBuffer, data: ArrayLike<number>, offset = 0): void {
    this.view(this.own(buf)).set(data, offset);
  }

  read(buf: BackendBuffer): TypedArray {
    return this.view(this.own(buf)).slice();
  }

  fill(buf: BackendBuffer, value: number): void {
    const b = this.own(buf);
    if (b.dtype === 'float32') this.x.cv_fill_f32(b.ptr, b.size, value);
    else if (b.dtype === 'float64') this.x.cv_fill_f64(b.ptr, b.size, value);
    else this.x.cv_fill_b32(b.ptr, b.size, value);
  }

  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void {
    const s = this.own(src), d = this.own(dst);
    checkCount('cast', n, [s, d]);
    if (n === 0) return;
    if (s.dtype === d.dtype) {
      const bytes = n * ITEM_SIZE[s.dtype];
      new Uint8Array(this.x.memory.buffer).copyWithin(d.ptr, s.ptr, s.ptr + bytes);
      return;
    }
    this.x.cv_cast(DTYPE_CODES[s.dtype], DTYPE_CODES[d.dtype], s.ptr, d.ptr, n);
  }

  // --- elementwise -----------------------------------------------------------------------------

  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void {
    const xb = this.own(x), ob = this.own(out);
    const code = UNARY_CODES[op];
    if (code === undefined) throw new InputError(`unary: unknown op '${op}'`);
    checkCount(`unary ${op}`, n, [xb, ob]);
    if (!this.supports('unary', [xb.dtype, ob.dtype])) throw unsupported(`unary ${op}`, [xb, ob]);
    if (n === 0) return;
    const pool = SPLIT_UNARY.has(op) && n * UNARY_FLOPS >= wasmThreadMinFlops() ? this.threadPool() : null;
    if (pool) pool.unary(xb.dtype as 'float32' | 'float64', code, xb.ptr, ob.ptr, n);
    else if (xb.dtype === 'float32') this.x.cv_unary_f32(code, xb.ptr, ob.ptr, n);
    else this.x.cv_unary_f64(code, xb.ptr, ob.ptr, n);
  }

  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    const ab = this.own(a), bb = this.own(b), ob = this.own(out);
    const code = BINARY_CODES[op];
    if (code === undefined) throw new InputError(`binary: unknown op '${op}'`);
    const what = `binary ${op}`;
    checkStrided(what, shape, [[ab, 0, aStrides], [bb, 0, bStrides]], ob);
    const dt = ab.dtype;
    if (!this.supports('binary', [ab.dtype, bb.dtype, ob.dtype], op)) throw unsupported(what, [ab, bb, ob]);
    const s = coalesce(shape, [aStrides, bStrides, contiguousStrides(shape)]);
    if (!s) return;
    const fn = dt === 'float32' ? this.x.cv_binary_f32 : dt === 'float64' ? this.x.cv_binary_f64 : this.x.cv_binary_i32;
    const item = ITEM_SIZE[dt];
    forEachBlock(s, (sh, st, off) => {
      const [pShape, pa, pb] = this.writeInts(sh, st[0]!, st[1]!);
      fn(code, sh.length, pShape!, ab.ptr + off[0]! * item, pa!, bb.ptr + off[1]! * item, pb!, ob.ptr + off[2]! * item);
    });
  }

  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    const cb = this.own(cond), ab = this.own(a), bb = this.own(b), ob = this.own(out);
    checkStrided('where', shape, [[cb, 0, cStrides], [ab, 0, aStrides], [bb, 0, bStrides]], ob);
    const dt = ab.dtype;
    if (!this.supports('where', [cb.dtype, ab.dtype, bb.dtype, ob.dtype])) throw unsupported('where', [cb, ab, bb, ob]);
    const s = coalesce(shape, [cStrides, aStrides, bStrides, contiguousStrides(shape)]);
    if (!s) return;
    const fn = dt === 'float32' ? this.x.cv_where_f32 : this.x.cv_where_f64;
    const item = ITEM_SIZE[dt];
    forEachBlock(s, (sh, st, off) => {
      const [pShape, pc, pa, pb] = this.writeInts(sh, st[0]!, st[1]!, st[2]!);
      fn(sh.length, pShape!, cb.ptr + off[0]! * item, pc!, ab.ptr + off[1]! * item, pa!, bb.ptr + off[2]! * item, pb!,
        ob.ptr + off[3]! * item);
    });
  }

  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void {
    const sb = this.own(src), db = this.own(dst);
    checkStrided('copy', shape, [[sb, srcOff, srcStrides], [db, dstOff, dstStrides]], null);
    if (sb.dtype !== db.dtype) throw unsupported('copy', [sb, db]);
    const s = coalesce(shape, [srcStrides, dstStrides]);
    if (!s) return;
    const item = ITEM_SIZE[sb.dtype];
    const fn = item === 8 ? this.x.cv_copy_b64 : this.x.cv_copy_b32;
    forEachBlock(s, (sh, st, off) => {
      const [pShape, ps, pd] = this.writeInts(sh, st[0]!, st[1]!);
      fn(sh.length, pShape!, sb.ptr + (srcOff + off[0]!) * item, ps!, db.ptr + (dstOff + off[1]!) * item, pd!);
    });
  }

  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    const xb = this.own(x), ob = this.own(out);
    const code = REDUCE_CODES[op];
    if (code === undefined) throw new InputError(`reduce: unknown op '${op}'`);
    checkReduce(xb, outer, r, inner, ob);
    if (!this.supports('reduce', [xb.dtype, ob.dtype])) throw unsupported(`reduce ${op}`, [xb, ob]);
    if (outer * inner === 0) return;
    if (xb.dtype === 'float32') this.x.cv_reduce_f32(code, xb.ptr, outer, r, inner, ob.ptr);
    else this.x.cv_reduce_f64(code, xb.ptr, outer, r, inner, ob.ptr);
  }

  // --- GEMM and indexing -----------------------------------------------------------------------

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void {
    const ab = this.own(a), bb = this.own(b), cb = this.own(c);
    if (!checkGemm('gemm', transA, transB, m, n, k, ab, aOff, lda, bb, bOff, ldb, cb, cOff, ldc)) return;
    this.gemmUnchecked(transA, transB, m, n, k, alpha, ab, aOff, lda, bb, bOff, ldb, beta, cb, cOff, ldc);
  }

  /**
   * The batch as one call from the tensor layer: one argument check, then the per-matrix wasm GEMM
   * (threaded like gemm when large) for each batch element.
   */
  gemmStridedBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, strideA: number,
    b: BackendBuffer, bOff: number, ldb: number, strideB: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number, strideC: number, batch: number): void {
    const ab = this.own(a), bb = this.own(b), cb = this.own(c);
    if (!checkGemm('gemmStridedBatched', transA, transB, m, n, k, ab, aOff, lda, bb, bOff, ldb, cb, cOff, ldc, batch, strideA, strideB, strideC)) return;
    for (let i = 0; i < batch; i++) {
      this.gemmUnchecked(transA, transB, m, n, k, alpha, ab, aOff + i * strideA, lda, bb, bOff + i * strideB, ldb, beta, cb, cOff + i * strideC, ldc);
    }
  }

  private gemmUnchecked(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    ab: WasmBuffer, aOff: number, lda: number, bb: WasmBuffer, bOff: number, ldb: number,
    beta: number, cb: WasmBuffer, cOff: number, ldc: number): void {
    const dt = cb.dtype as 'float32' | 'float64'; // checkGemm refused int32
    const item = ITEM_SIZE[dt];
    const pa = ab.ptr + aOff * item, pb = bb.ptr + bOff * item, pc = cb.ptr + cOff * item;
    const pool = 2 * m * n * k >= wasmThreadMinFlops() ? this.threadPool() : null;
    if (pool) {
      pool.gemm(dt, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
      return;
    }
    const fn = dt === 'float32' ? this.x.cv_gemm_f32 : this.x.cv_gemm_f64;
    fn(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
  }

  gather(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    const sb = this.own(src), ib = this.own(idx), ob = this.own(out);
    checkIndexed('gather', ib, nIdx, rowSize, ob, sb, this.view(ib));
    if (nIdx === 0 || rowSize === 0) return;
    const fn = ITEM_SIZE[sb.dtype] === 8 ? this.x.cv_gather_b64 : this.x.cv_gather_b32;
    fn(sb.ptr, ib.ptr, nIdx, rowSize, ob.ptr);
  }

  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    const sb = this.own(src), ib = this.own(idx), ob = this.own(out);
    checkIndexed('scatterAdd', ib, nIdx, rowSize, sb, ob, this.view(ib));
    if (!this.supports('scatterAdd', [sb.dtype, ib.dtype, ob.dtype])) throw unsupported('scatterAdd', [sb, ob]);
    if (nIdx === 0 || rowSize === 0) return;
    if (sb.dtype === 'float32') this.x.cv_scatter_add_f32(sb.ptr, ib.ptr, nIdx, rowSize, ob.ptr);
    else this.x.cv_scatter_add_f64(sb.ptr, ib.ptr, nIdx, rowSize, ob.ptr);
  }

  // --- im2col / col2im (wasm/src/im2col.c) --------------------------------------------------------

  im2col(x: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    const xb = this.own(x), ob = this.own(out);
    checkIm2col('im2col', g, xb, ob);
    const k = this.x as unknown as Im2colKernels;
    (xb.dtype === 'float32' ? k.cv_im2col_f32 : k.cv_im2col_f64)(xb.ptr, this.writeGeometry(g), ob.ptr);
  }

  col2im(cols: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    const cb = this.own(cols), ob = this.own(out);
    checkIm2col('col2im', g, cb, ob);
    const k = this.x as unknown as Im2colKernels;
    (cb.dtype === 'float32' ? k.cv_col2im_f32 : k.cv_col2im_f64)(cb.ptr, this.writeGeometry(g), ob.ptr);
  }

  maxPoolArgmax(x: BackendBuffer, g: Im2colGeometry, argmax: BackendBuffer): void {
    const xb = this.own(x), ab = this.own(argmax);
    checkMaxPoolArgmax(g, xb, ab);
    const k = this.x as unknown as Im2colKernels;
    (xb.dtype === 'float32' ? k.cv_maxpool_argmax_f32 : k.cv_maxpool_argmax_f64)(xb.ptr, this.writeGeometry(g), ab.ptr);
  }

  /** The geometry's 14 int32 in the scratch area (two consecutive MAX_KERNEL_RANK slots). */
  private writeGeometry(g: Im2colGeometry): number {
    const a = im2colArgs(g);
    return this.writeInts(a.slice(0, MAX_KERNEL_RANK), a.slice(MAX_KERNEL_RANK))[0]!;
  }

  // --- fused softmax, cross-entropy (wasm/src/softmax.c) and tanhGrad (activation_grad.c) ------

  softmax(x: BackendBuffer, rows: number, cols: number, out: BackendBuffer, log: boolean): void {
    const xb = this.own(x), ob = this.own(out);
    checkRows('softmax', xb, rows, cols, rows * cols, ob);
    if (rows * cols === 0) return;
    const k = this.rowKernels()!;
    (xb.dtype === 'float32' ? k.cv_softmax_f32 : k.cv_softmax_f64)(rows, cols, xb.ptr, ob.ptr, log ? 1 : 0);
  }

  crossEntropy(z: BackendBuffer, labels: BackendBuffer, rows: number, cols: number, out: BackendBuffer): void {
    const zb = this.own(z), lb = this.own(labels), ob = this.own(out);
    checkRows('crossEntropy', zb, rows, cols, rows, ob);
    checkLabels(lb, rows, cols, this.view(lb)); // an out-of-range label would read outside the row
    if (rows === 0) return;
    const k = this.rowKernels()!;
    (zb.dtype === 'float32' ? k.cv_cross_entropy_f32 : k.cv_cross_entropy_f64)(rows, cols, zb.ptr, lb.ptr, ob.ptr);
  }

  tanhGrad(y: BackendBuffer, g: BackendBuffer, out: BackendBuffer, n: number): void {
    const yb = this.own(y), gb = this.own(g), ob = this.own(out);
    checkSameFloat('tanhGrad', n, [yb, gb, ob]);
    if (n === 0) return;
    const k = this.x as unknown as ActivationGradKernels;
    (yb.dtype === 'float32' ? k.cv_tanh_grad_f32 : k.cv_tanh_grad_f64)(n, yb.ptr, gb.ptr, ob.ptr);
  }

  /** The softmax.c exports, when the loaded module has them (a module built before them has not). */
  private rowKernels(): RowKernels | null {
    const x = this.x as unknown as Partial<RowKernels>;
    return x.cv_softmax_f32 && x.cv_softmax_f64 && x.cv_cross_entropy_f32 && x.cv_cross_entropy_f64 ? x as RowKernels : null;
  }

  // --- dense linear algebra --------------------------------------------------------------------

  potrf(n: number, a: BackendBuffer, aOff: number, lda: number): CholeskyResult {
    const ab = this.own(a);
    checkPotrf(n, ab, aOff, lda);
    if (n === 0) return OK;
    const p = ab.ptr + aOff * ITEM_SIZE[ab.dtype];
    const rc = ab.dtype === 'float32'
      ? this.x.cv_potrf_f32(n, p, lda, this.valueSlot)
      : this.x.cv_potrf_f64(n, p, lda, this.valueSlot);
    if (rc < 0) return OK;
    return { ok: false, pivot: rc, value: this.heap().f64[this.valueSlot >>> 3]! };
  }

  trsm(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void {
    const ab = this.own(a), bb = this.own(b);
    checkTrsm(m, n, ab, aOff, lda, bb, bOff, ldb);
    if (m === 0 || n === 0) return;
    const item = ITEM_SIZE[ab.dtype];
    const fn = ab.dtype === 'float32' ? this.x.cv_trsm_f32 : this.x.cv_trsm_f64;
    fn(uplo === 'upper' ? 1 : 0, trans ? 1 : 0, unitDiag ? 1 : 0, m, n, alpha, ab.ptr + aOff * item, lda, bb.ptr + bOff * item, ldb);
  }

  syev(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number,
    computeVectors: boolean): void {
    const ab = this.own(a), wb = this.own(w);
    checkSyev(n, ab, aOff, lda, wb, wOff);
    if (n === 0) return;
    const item = ITEM_SIZE[ab.dtype];
    const fn = ab.dtype === 'float32' ? this.x.cv_syev_f32 : this.x.cv_syev_f64;
    const rc = fn(n, ab.ptr + aOff * item, lda, wb.ptr + wOff * item, computeVectors ? 1 : 0);
    if (rc === 0) return;
    // A non-finite entry: name the first one, as the reference backend does.
    if (rc === -1) throw nonFiniteEntryError(this.view(ab), aOff, n, lda);
    if (rc === -2) throw new CurvatureError(`syev: the QL iteration did not converge for the ${n}×${n} matrix`);
    if (rc === -3) {
      // Beyond the header (wasm/README.md): the kernel's per-call scratch could not be allocated.
      throw new CurvatureError(`syev: out of wasm memory for the ${n}×${n} eigensolver's scratch (≈ ${2 * n * n * 8} bytes; linear memory is ${this.memoryBytes()} bytes, at most 4 GiB)`);
    }
    throw new CurvatureError(`syev: the wasm kernel returned the unknown status ${rc}`);
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * The pool for the current thread count (started or resized here) when it is ready, else null
   * (one thread). A pool whose worker failed is stopped with a process warning, and not started
   * again for that count: the GEMMs run on the calling thread, with the same results.
   */
  private threadPool(): ThreadPool | null {
    const n = this.threads;
    if (n <= 1) {
      if (this.pool) this.stopThreads();
      return null;
    }
    if (this.pool?.threads !== n) {
      this.stopThreads();
      if (this.threadFailure?.threads === n) return null;
      try {
        this.pool = new ThreadPool(this.kernels, n);
      } catch (err) {
        this.threadsFailed(n, (err as Error)?.message ?? String(err));
        return null;
      }
    }
    const pool = this.pool!;
    if (pool.ready()) return pool;
    const failure = pool.failed();
    if (failure) this.threadsFailed(n, failure);
    return null;
  }

  private threadsFailed(threads: number, why: string): void {
    this.stopThreads();
    this.threadFailure = { threads, why };
    const text = `curvature: wasm GEMM threads unavailable (${threads} requested), running on one thread: ${why}`;
    if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') process.emitWarning(text);
    else console.warn(text);
  }

  private malloc(bytes: number): number {
    if (bytes > 0xffff_0000) {
      throw new CurvatureError(`wasm backend: cannot allocate ${bytes} bytes (a 32-bit linear memory holds at most 4 GiB)`);
    }
    let ptr: number;
    try {
      ptr = this.x.cv_malloc(bytes) >>> 0;
    } catch (err) {
      throw new CurvatureError(`wasm backend: allocating ${bytes} bytes failed: ${(err as Error)?.message ?? String(err)}`);
    }
    if (ptr === 0) {
      throw new CurvatureError(`wasm backend: out of memory allocating ${bytes} bytes (linear memory is ${this.memoryBytes()} bytes, ${this.allocatedBytes()} in use)`);
    }
    if (ptr % 8 !== 0) {
      this.x.cv_free(ptr);
      throw new CurvatureError(`wasm backend: cv_malloc returned ${ptr}, which is not 8-byte aligned (kernel bug)`);
    }
    return ptr;
  }

  /** Whole-memory views, rebuilt whenever memory.buffer changed (growth detaches the old one). */
  private heap(): { i32: Int32Array; f64: Float64Array } {
    const buf = this.x.memory.buffer;
    if (this.heapBuffer !== buf) {
      this.heapBuffer = buf;
      this.heapI32 = new Int32Array(buf);
      this.heapF64 = new Float64Array(buf);
    }
    return { i32: this.heapI32, f64: this.heapF64 };
  }

  /** A fresh view of a buffer's elements; valid only until the next kernel call. */
  private view(b: WasmBuffer): TypedArray {
    const mem = this.x.memory.buffer;
    switch (b.dtype) {
      case 'float32': return new Float32Array(mem, b.ptr, b.size);
      case 'float64': return new Float64Array(mem, b.ptr, b.size);
      case 'int32': return new Int32Array(mem, b.ptr, b.size);
    }
  }

  /** Writes int32 lists (each ≤ MAX_KERNEL_RANK long) into the scratch area; returns their addresses. */
  private writeInts(...lists: readonly number[][]): number[] {
    const i32 = this.heap().i32;
    const ptrs: number[] = [];
    let at = this.scratch >>> 2;
    for (const l of lists) {
      ptrs.push(at * 4);
      for (let i = 0; i < l.length; i++) i32[at + i] = l[i]!;
      at += MAX_KERNEL_RANK;
    }
    return ptrs;
  }

  private own(buf: BackendBuffer): WasmBuffer {
    if (!(buf instanceof WasmBuffer) || buf.owner !== this) {
      throw new DTypeError('wasm backend: the buffer was not allocated by this backend (move tensors with toBackend())');
    }
    if (buf.freed) throw new CurvatureError(`wasm backend: a ${buf.dtype} buffer of ${buf.size} elements was used after free()`);
    return buf;
  }
}

/** Exports of wasm/src/im2col.c (curvature.h), looked up at call time. */
interface Im2colKernels {
  cv_im2col_f32(x: number, g: number, cols: number): void;
  cv_im2col_f64(x: number, g: number, cols: number): void;
  cv_col2im_f32(cols: number, g: number, x: number): void;
  cv_col2im_f64(cols: number, g: number, x: number): void;
  cv_maxpool_argmax_f32(x: number, g: number, argmax: number): void;
  cv_maxpool_argmax_f64(x: number, g: number, argmax: number): void;
}

/** Exports of wasm/src/activation_grad.c (curvature.h), looked up at call time. */
interface ActivationGradKernels {
  cv_tanh_grad_f32(n: number, y: number, g: number, out: number): void;
  cv_tanh_grad_f64(n: number, y: number, g: number, out: number): void;
}

/** Exports of wasm/src/softmax.c (curvature.h), looked up at call time (see rowKernels). */
interface RowKernels {
  cv_softmax_f32(rows: number, cols: number, x: number, out: number, log: number): void;
  cv_softmax_f64(rows: number, cols: number, x: number, out: number, log: number): void;
  cv_cross_entropy_f32(rows: number, cols: number, z: number, labels: number, out: number): void;
  cv_cross_entropy_f64(rows: number, cols: number, z: number, labels: number, out: number): void;
}

/** A DTypeError for a call whose dtypes supports() refuses (the tensor layer never makes one). */
function unsupported(what: string, bufs: readonly WasmBuffer[]): DTypeError {
  return new DTypeError(`${what}: the wasm backend has no kernel for ${bufs.map((b) => b.dtype).join(', ')} operands (the tensor layer runs such calls on the js reference)`);
}
