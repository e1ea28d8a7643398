/**
 * The tensor layer's kernel dispatcher: every op reaches a backend kernel through kernels(backend),
 * which runs the backend's own kernel when it has one for the call's dtypes (Backend.supports), and
 * otherwise
 * - composes it from required kernels where that costs no copy (gemmStridedBatched: one gemm per
 *   batch element; syrk: the full gemm), or
 * - copies the operands to the js reference backend, runs the reference kernel and writes the
 *   outputs back (gather, scatterAdd, maxPoolArgmax, potrf, trsm, syev, and calls whose dtypes a
 *   backend refuses);
 *   the dense-linear-algebra kernels (potrf, trsm, syev: O(n³) on O(n²) data) go to the fastest
 *   other backend that has them (wasm for native) before the reference,
 *   counted per backend in src/backend/fallback.ts (WasmBackend.fallbackCounts reads it) and
 *   reported once per kernel with CURVATURE_DEBUG=1.
 * im2col and col2im, when a backend leaves them out, are composed from its own copy (and binary add)
 * kernels, one strided copy per kernel offset (what unfold2d's pad + transpose + gather amounted to).
 * The fused kernels (tanhGrad, softmax, crossEntropy) are composed from elementwise ops by their
 * primitives when a backend leaves them out (see ops/activation.ts, ops/softmax.ts).
 * This is the one fallback mechanism: backends never run another backend's kernels themselves.
 */
import { noteFallback } from '../backend/fallback.js';
import { JsBackend } from '../backend/js/index.js';
import { fasterBackendFor } from '../backend/registry.js';
import type {
  Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, Im2colGeometry, KernelName, ReduceOp, UnaryOp,
} from '../backend/types.js';

/** C's size from which syrk without a kernel goes by bands, and their number. */
const SYRK_BANDED_MIN = 96;
const SYRK_BANDS = 4;

let reference: JsBackend | null = null;
function ref(): JsBackend {
  return (reference ??= new JsBackend());
}

type Buf = BackendBuffer;

/** The kernels of one backend with every optional one present (see the file comment). */
export class Kernels {
  constructor(readonly backend: Backend) {}

  /** Whether the backend runs `kernel` itself on these dtypes. */
  native(kernel: KernelName, dtypes: readonly DType[], op?: string): boolean {
    const b = this.backend;
    if (kernel !== 'fill' && kernel !== 'cast' && kernel !== 'unary' && kernel !== 'binary' && kernel !== 'where'
      && kernel !== 'copy' && kernel !== 'reduce' && kernel !== 'gemm' && typeof b[kernel] !== 'function') return false;
    return b.supports ? b.supports(kernel, dtypes, op) : true;
  }

  /**
   * Runs `run` on the reference backend over copies of `bufs`, then writes back those flagged in
   * `outs` (a buffer listed twice is copied once).
   */
  private viaReference<R>(what: string, why: string, bufs: readonly Buf[], outs: readonly boolean[],
    run: (r: Backend, copies: Buf[]) => R, helper: Backend | null = null): R {
    const b = this.backend, r = helper ?? ref();
    noteFallback(b, what, why, helper ? `'${helper.name}' backend's` : 'js reference');
    const seen = new Map<Buf, Buf>();
    const copies = bufs.map((x) => {
      let c = seen.get(x);
      if (!c) {
        c = r.alloc(x.dtype, x.size);
        r.write(c, b.read(x));
        seen.set(x, c);
      }
      return c;
    });
    const result = run(r, copies);
    const written = new Set<Buf>();
    bufs.forEach((x, i) => {
      if (!outs[i] || written.has(x)) return;
      written.add(x);
      b.write(x, r.read(copies[i]!));
    });
    return result;
  }

  /** The backend's kernel for these dtypes, or null with the reason it has none. */
  private why(kernel: KernelName, dtypes: readonly DType[], op?: string): string | null {
    if (this.native(kernel, dtypes, op)) return null;
    return typeof (this.backend as unknown as Record<string, unknown>)[kernel] === 'function'
      ? `does not take ${dtypes.join(', ')} operands` : 'has no kernel';
  }

  fill(buf: Buf, value: number): void {
    const why = this.why('fill', [buf.dtype]);
    if (why === null) return this.backend.fill(buf, value);
    this.viaReference(`fill ${buf.dtype}`, why, [buf], [true], (r, [c]) => r.fill(c!, value));
  }

  cast(src: Buf, dst: Buf, n: number): void {
    const why = this.why('cast', [src.dtype, dst.dtype]);
    if (why === null) return this.backend.cast(src, dst, n);
    this.viaReference(`cast ${src.dtype}→${dst.dtype}`, why, [src, dst], [false, true], (r, [s, d]) => r.cast(s!, d!, n));
  }

  unary(op: UnaryOp, x: Buf, out: Buf, n: number): void {
    const why = this.why('unary', [x.dtype, out.dtype], op);
    if (why === null) return this.backend.unary(op, x, out, n);
    this.viaReference(`unary ${op} ${x.dtype}→${out.dtype}`, why, [x, out], [false, true], (r, [xc, oc]) => r.unary(op, xc!, oc!, n));
  }

  binary(op: BinaryOp, shape: readonly number[], a: Buf, aStrides: readonly number[], b: Buf, bStrides: readonly number[], out: Buf): void {
    const why = this.why('binary', [a.dtype, b.dtype, out.dtype], op);
    if (why === null) return this.backend.binary(op, shape, a, aStrides, b, bStrides, out);
    this.viaReference(`binary ${op} ${a.dtype},${b.dtype}→${out.dtype}`, why, [a, b, out], [false, false, true],
      (r, [ac, bc, oc]) => r.binary(op, shape, ac!, aStrides, bc!, bStrides, oc!));
  }

  where(shape: readonly number[], cond: Buf, cStrides: readonly number[], a: Buf, aStrides: readonly number[],
    b: Buf, bStrides: readonly number[], out: Buf): void {
    const why = this.why('where', [cond.dtype, a.dtype, b.dtype, out.dtype]);
    if (why === null) return this.backend.where(shape, cond, cStrides, a, aStrides, b, bStrides, out);
    this.viaReference(`where ${cond.dtype},${a.dtype},${b.dtype}→${out.dtype}`, why, [cond, a, b, out], [false, false, false, true],
      (r, [cc, ac, bc, oc]) => r.where(shape, cc!, cStrides, ac!, aStrides, bc!, bStrides, oc!));
  }

  copy(shape: readonly number[], src: Buf, srcOff: number, srcStrides: readonly number[],
    dst: Buf, dstOff: number, dstStrides: readonly number[]): void {
    const why = this.why('copy', [src.dtype, dst.dtype]);
    if (why === null) return this.backend.copy(shape, src, srcOff, srcStrides, dst, dstOff, dstStrides);
    this.viaReference(`copy ${src.dtype}→${dst.dtype}`, why, [src, dst], [false, true],
      (r, [s, d]) => r.copy(shape, s!, srcOff, srcStrides, d!, dstOff, dstStrides));
  }

  reduce(op: ReduceOp, x: Buf, outer: number, rr: number, inner: number, out: Buf): void {
    const why = this.why('reduce', [x.dtype, out.dtype], op);
    if (why === null) return this.backend.reduce(op, x, outer, rr, inner, out);
    this.viaReference(`reduce ${op} ${x.dtype}→${out.dtype}`, why, [x, out], [false, true], (r, [xc, oc]) => r.reduce(op, xc!, outer, rr, inner, oc!));
  }

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, aOff: number, lda: number, b: Buf, bOff: number, ldb: number, beta: number, c: Buf, cOff: number, ldc: number): void {
    const why = this.why('gemm', [a.dtype, b.dtype, c.dtype]);
    if (why === null) return this.backend.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    this.viaReference(`gemm ${a.dtype},${b.dtype}→${c.dtype}`, why, [a, b, c], [false, false, true],
      (r, [ac, bc, cc]) => r.gemm(transA, transB, m, n, k, alpha, ac!, aOff, lda, bc!, bOff, ldb, beta, cc!, cOff, ldc));
  }

  /** Backend.gemmStridedBatched, else one backend gemm per batch element (no copies). */
  gemmStridedBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, aOff: number, lda: number, strideA: number, b: Buf, bOff: number, ldb: number, strideB: number,
    beta: number, c: Buf, cOff: number, ldc: number, strideC: number, batch: number): void {
    const dtypes = [a.dtype, b.dtype, c.dtype];
    if (this.native('gemmStridedBatched', dtypes)) {
      this.backend.gemmStridedBatched!(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, batch);
      return;
    }
    if (!this.native('gemm', dtypes)) {
      this.viaReference(`gemmStridedBatched ${a.dtype},${b.dtype}→${c.dtype}`, this.why('gemm', dtypes)!, [a, b, c], [false, false, true],
        (r, [ac, bc, cc]) => r.gemmStridedBatched!(transA, transB, m, n, k, alpha, ac!, aOff, lda, strideA, bc!, bOff, ldb, strideB, beta, cc!, cOff, ldc, strideC, batch));
      return;
    }
    for (let i = 0; i < batch; i++) {
      this.backend.gemm(transA, transB, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb, beta, c, cOff + i * strideC, ldc);
    }
  }

  /**
   * Backend.syrk (C = alpha·op(A)·op(A)ᵀ), else from the backend's gemm: one call for a small C;
   * for a larger one, SYRK_BANDS bands of rows, each multiplied up to the diagonal (rows [i0, i1)
   * by columns [0, i1): about 5/8 of the flops), and each band's strictly-left block copied to
   * its mirror image above the diagonal. Every element is the one gemm(trans, !trans, …) of the
   * whole would give: a GEMM computes each element from the same k blocks whatever tile it falls
   * in, and the mirrored products are the same products commuted.
   */
  syrk(trans: boolean, n: number, k: number, alpha: number, a: Buf, aOff: number, lda: number, c: Buf, cOff: number, ldc: number): void {
    if (this.native('syrk', [a.dtype, c.dtype])) return this.backend.syrk!(trans, n, k, alpha, a, aOff, lda, c, cOff, ldc);
    if (n < SYRK_BANDED_MIN) return this.gemm(trans, !trans, n, n, k, alpha, a, aOff, lda, a, aOff, lda, 0, c, cOff, ldc);
    // Band b covers rows [n·√(b/B), n·√((b+1)/B)): equal shares of the triangle.
    const cut = (b: number): number => Math.min(n, Math.round(n * Math.sqrt(b / SYRK_BANDS)));
    for (let b = 0; b < SYRK_BANDS; b++) {
      const i0 = cut(b), i1 = cut(b + 1);
      if (i1 <= i0) continue;
      // Rows i0.. of op(A): columns of A when trans (A is k×n), else rows.
      const rowsOff = aOff + (trans ? i0 : i0 * lda);
      this.gemm(trans, !trans, i1 - i0, i1, k, alpha, a, rowsOff, lda, a, aOff, lda, 0, c, cOff + i0 * ldc, ldc);
      if (i0 > 0) this.copy([i1 - i0, i0], c, cOff + i0 * ldc, [ldc, 1], c, cOff + i0, [1, ldc]);
    }
  }

  /** Rows of src picked by idx; an out-of-range index is an InputError raised by the kernel. */
  gather(src: Buf, idx: Buf, nIdx: number, rowSize: number, out: Buf): void {
    const why = this.why('gather', [src.dtype, idx.dtype, out.dtype]);
    if (why === null) return this.backend.gather!(src, idx, nIdx, rowSize, out);
    this.viaReference(`gather ${src.dtype}`, why, [src, idx, out], [false, false, true], (r, [s, i, o]) => r.gather!(s!, i!, nIdx, rowSize, o!));
  }

  scatterAdd(src: Buf, idx: Buf, nIdx: number, rowSize: number, out: Buf): void {
    const why = this.why('scatterAdd', [src.dtype, idx.dtype, out.dtype]);
    if (why === null) return this.backend.scatterAdd!(src, idx, nIdx, rowSize, out);
    this.viaReference(`scatterAdd ${src.dtype}`, why, [src, idx, out], [false, false, true], (r, [s, i, o]) => r.scatterAdd!(s!, i!, nIdx, rowSize, o!));
  }

  /** The patches of an image (Im2colGeometry); composed from copy when the backend has no kernel. */
  im2col(x: Buf, g: Im2colGeometry, out: Buf): void {
    if (this.native('im2col', [x.dtype, out.dtype])) return this.backend.im2col!(x, g, out);
    this.fill(out, 0);
    forEachOffset(g, (r) => this.copy(r.shape, x, r.imageOff, r.imageStrides, out, r.colsOff, r.colsStrides));
  }

  /**
   * The adjoint of im2col (out overwritten); composed when the backend has no kernel: per kernel
   * offset, out's pixels it reads += the patch entries (copies to contiguous blocks, one binary add).
   */
  col2im(cols: Buf, g: Im2colGeometry, out: Buf): void {
    if (this.native('col2im', [cols.dtype, out.dtype])) return this.backend.col2im!(cols, g, out);
    const b = this.backend;
    this.fill(out, 0);
    forEachOffset(g, (r) => {
      const size = r.shape.reduce((p, q) => p * q, 1);
      const contiguous = [size / r.shape[0]!, r.shape[2]! * r.shape[3]!, r.shape[3]!, 1];
      const acc = b.alloc(out.dtype, size), add = b.alloc(out.dtype, size), sumBuf = b.alloc(out.dtype, size);
      try {
        this.copy(r.shape, out, r.imageOff, r.imageStrides, acc, 0, contiguous);
        this.copy(r.shape, cols, r.colsOff, r.colsStrides, add, 0, contiguous);
        this.binary('add', r.shape, acc, contiguous, add, contiguous, sumBuf);
        this.copy(r.shape, sumBuf, 0, contiguous, out, r.imageOff, r.imageStrides);
      } finally {
        b.free(acc); b.free(add); b.free(sumBuf);
      }
    });
  }

  /** Max-pooling's window argmax (global int32 indices); the reference on copies when the backend has none. */
  maxPoolArgmax(x: Buf, g: Im2colGeometry, argmax: Buf): void {
    const why = this.why('maxPoolArgmax', [x.dtype, argmax.dtype]);
    if (why === null) return this.backend.maxPoolArgmax!(x, g, argmax);
    this.viaReference(`maxPoolArgmax ${x.dtype}`, why, [x, argmax], [false, true], (r, [xc, ac]) => r.maxPoolArgmax!(xc!, g, ac!));
  }

  potrf(n: number, a: Buf, aOff: number, lda: number): CholeskyResult {
    const why = this.why('potrf', [a.dtype]);
    if (why === null) return this.backend.potrf!(n, a, aOff, lda);
    return this.viaReference(`potrf ${a.dtype}`, why, [a], [true], (r, [ac]) => r.potrf!(n, ac!, aOff, lda), this.helper('potrf', [a.dtype]));
  }

  trsm(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: Buf, aOff: number, lda: number, b: Buf, bOff: number, ldb: number): void {
    const why = this.why('trsm', [a.dtype, b.dtype]);
    if (why === null) return this.backend.trsm!(uplo, trans, unitDiag, m, n, alpha, a, aOff, lda, b, bOff, ldb);
    this.viaReference(`trsm ${a.dtype}`, why, [a, b], [false, true], (r, [ac, bc]) => r.trsm!(uplo, trans, unitDiag, m, n, alpha, ac!, aOff, lda, bc!, bOff, ldb),
      this.helper('trsm', [a.dtype, b.dtype]));
  }

  syev(n: number, a: Buf, aOff: number, lda: number, w: Buf, wOff: number, computeVectors: boolean): void {
    const why = this.why('syev', [a.dtype, w.dtype]);
    if (why === null) return this.backend.syev!(n, a, aOff, lda, w, wOff, computeVectors);
    this.viaReference(`syev ${a.dtype}`, why, [a, w], [true, true], (r, [ac, wc]) => r.syev!(n, ac!, aOff, lda, wc!, wOff, computeVectors),
      this.helper('syev', [a.dtype, w.dtype]));
  }

  /** The fastest other loaded backend that runs `kernel` on these dtypes itself, or null (the js reference then). */
  private helper(kernel: KernelName, dtypes: readonly DType[]): Backend | null {
    return fasterBackendFor(this.backend, (h) => kernels(h).native(kernel, dtypes));
  }
}

/** One kernel offset's part of im2col: [n, rows, cols, c] of the image ↔ of the patch matrix. */
interface OffsetRegion {
  shape: number[];
  imageOff: number; imageStrides: number[];
  colsOff: number; colsStrides: number[];
}

/**
 * For each kernel offset (i, j): the output positions whose tap (i, j) lands inside the image, as
 * one strided region of the image [n, c, h, w] and of the patch matrix [n, outH·outW, c·kh·kw].
 * Within one offset the map position → pixel is injective (stride ≥ 1).
 */
function forEachOffset(g: Im2colGeometry, fn: (r: OffsetRegion) => void): void {
  const range = (i: number, stride: number, dil: number, pad: number, size: number, out: number): [number, number] => {
    const lo = Math.max(0, Math.ceil((pad - i * dil) / stride));
    const hi = Math.min(out - 1, Math.floor((size - 1 + pad - i * dil) / stride));
    return [lo, hi - lo + 1];
  };
  const ck = g.c * g.kh * g.kw, L = g.outH * g.outW;
  for (let i = 0; i < g.kh; i++) {
    const [oh0, nh] = range(i, g.strideH, g.dilationH, g.padH, g.h, g.outH);
    if (nh <= 0) continue;
    for (let j = 0; j < g.kw; j++) {
      const [ow0, nw] = range(j, g.strideW, g.dilationW, g.padW, g.w, g.outW);
      if (nw <= 0 || g.n === 0 || g.c === 0) continue;
      fn({
        shape: [g.n, nh, nw, g.c],
        imageOff: (oh0 * g.strideH + i * g.dilationH - g.padH) * g.w + ow0 * g.strideW + j * g.dilationW - g.padW,
        imageStrides: [g.c * g.h * g.w, g.strideH * g.w, g.strideW, g.h * g.w],
        colsOff: (oh0 * g.outW + ow0) * ck + i * g.kw + j,
        colsStrides: [L * ck, g.outW * ck, ck, g.kh * g.kw],
      });
    }
  }
}

const cache = new WeakMap<Backend, Kernels>();

/** The dispatcher of `backend` (one per backend). */
export function kernels(backend: Backend): Kernels {
  let k = cache.get(backend);
  if (!k) cache.set(backend, (k = new Kernels(backend)));
  return k;
}
