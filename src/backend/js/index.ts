import type {
  Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, Im2colGeometry, ReduceOp, TypedArray, UnaryOp,
} from '../types.js';
import { checkIm2col, checkMaxPoolArgmax } from '../im2col.js';
import { im2colKernel, maxPoolArgmaxKernel } from './im2col.js';
import { binaryKernel, copyKernel, mulAddKernel, reduceKernel, sumSquaresKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gemmKernel } from './gemm.js';
import { tanhGradKernel } from './activation-grad.js';
import {
  checkCount, checkGemm, checkIndexed, checkLabels, checkMulAdd, checkReduce, checkRows, checkSumSquares, checkSameFloat, checkStrided,
} from '../checks.js';
import { crossEntropyKernel, softmaxKernel } from './softmax.js';
import * as dense from './linalg.js';
import { allocTyped, arr, type JsBuffer } from './storage.js';
import type { FloatArray } from '../types.js';

/**
 * The reference backend: every kernel in plain TypeScript, exact in float64 (the oracle the
 * other backends are tested against). Buffers are typed arrays owned by the JS garbage collector.
 * Implements every kernel of the interface, optional ones included (it is the fallback of the
 * tensor layer's dispatcher), with the argument checks of ../checks.ts.
 */
export class JsBackend implements Backend {
  readonly name = 'js';

  alloc(dtype: DType, size: number): BackendBuffer {
    const buf: JsBuffer = { dtype, size, data: allocTyped(dtype, size) };
    return buf;
  }
  free(_buf: BackendBuffer): void {
    // Nothing to do: the garbage collector reclaims typed arrays.
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
    arr(buf).fill(value);
  }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void {
    checkCount('cast', n, [src, dst]);
    const s = arr(src), d = arr(dst);
    if (dst.dtype === 'int32') for (let i = 0; i < n; i++) d[i] = Math.trunc(s[i]!);
    else for (let i = 0; i < n; i++) d[i] = s[i]!;
  }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void {
    checkCount(`unary ${op}`, n, [x, out]);
    unaryKernel(op, arr(x), arr(out), n);
  }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided(`binary ${op}`, shape, [[a, 0, aStrides], [b, 0, bStrides]], out);
    binaryKernel(op, shape, arr(a), aStrides, arr(b), bStrides, arr(out));
  }
  mulAdd(shape: readonly number[], a: BackendBuffer, aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[],
    c: BackendBuffer, cStrides: readonly number[], d: BackendBuffer, dStrides: readonly number[], out: BackendBuffer): void {
    checkMulAdd(shape, [[a, aStrides], [b, bStrides], [c, cStrides], [d, dStrides]], out);
    mulAddKernel(shape, arr(a), aStrides, arr(b), bStrides, arr(c), cStrides, arr(d), dStrides, arr(out));
  }
  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    checkStrided('where', shape, [[cond, 0, cStrides], [a, 0, aStrides], [b, 0, bStrides]], out);
    whereKernel(shape, arr(cond), cStrides, arr(a), aStrides, arr(b), bStrides, arr(out));
  }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void {
    checkStrided('copy', shape, [[src, srcOff, srcStrides], [dst, dstOff, dstStrides]], null);
    copyKernel(shape, arr(src), srcOff, srcStrides, arr(dst), dstOff, dstStrides);
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    checkReduce(x, outer, r, inner, out);
    reduceKernel(op, arr(x), outer, r, inner, arr(out));
  }
  sumSquares(x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    checkSumSquares(x, outer, r, inner, out);
    sumSquaresKernel(arr(x), outer, r, inner, arr(out));
  }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void {
    if (!checkGemm('gemm', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc)) return;
    gemmKernel(transA, transB, m, n, k, alpha, arr(a), aOff, lda, arr(b), bOff, ldb, beta, arr(c), cOff, ldc);
  }
  gemmStridedBatched(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, strideA: number,
    b: BackendBuffer, bOff: number, ldb: number, strideB: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number, strideC: number, batch: number): void {
    if (!checkGemm('gemmStridedBatched', transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, batch, strideA, strideB, strideC)) return;
    const A = arr(a), B = arr(b), C = arr(c);
    for (let i = 0; i < batch; i++) {
      gemmKernel(transA, transB, m, n, k, alpha, A, aOff + i * strideA, lda, B, bOff + i * strideB, ldb, beta, C, cOff + i * strideC, ldc);
    }
  }
  tanhGrad(y: BackendBuffer, g: BackendBuffer, out: BackendBuffer, n: number): void {
    checkSameFloat('tanhGrad', n, [y, g, out]);
    tanhGradKernel(arr(y), arr(g), arr(out) as FloatArray, n);
  }
  softmax(x: BackendBuffer, rows: number, cols: number, out: BackendBuffer, log: boolean): void {
    checkRows('softmax', x, rows, cols, rows * cols, out);
    softmaxKernel(arr(x), rows, cols, arr(out) as FloatArray, log);
  }
  crossEntropy(z: BackendBuffer, labels: BackendBuffer, rows: number, cols: number, out: BackendBuffer): void {
    checkRows('crossEntropy', z, rows, cols, rows, out);
    checkLabels(labels, rows, cols, arr(labels));
    crossEntropyKernel(arr(z), arr(labels), rows, cols, arr(out) as FloatArray);
  }
  gather(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('gather', idx, nIdx, rowSize, out, src, arr(idx));
    if (rowSize === 0) return;
    const s = arr(src), ix = arr(idx), o = arr(out);
    for (let i = 0; i < nIdx; i++) {
      const r = ix[i]! * rowSize;
      o.set(s.subarray(r, r + rowSize), i * rowSize);
    }
  }
  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    checkIndexed('scatterAdd', idx, nIdx, rowSize, src, out, arr(idx));
    const s = arr(src), ix = arr(idx), o = arr(out);
    for (let i = 0; i < nIdx; i++) {
      const r = ix[i]! * rowSize, q = i * rowSize;
      for (let j = 0; j < rowSize; j++) o[r + j]! += s[q + j]!;
    }
  }
  im2col(x: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    checkIm2col('im2col', g, x, out);
    im2colKernel(arr(x) as FloatArray, g, arr(out) as FloatArray, false);
  }
  col2im(cols: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void {
    checkIm2col('col2im', g, cols, out);
    im2colKernel(arr(cols) as FloatArray, g, arr(out) as FloatArray, true);
  }
  maxPoolArgmax(x: BackendBuffer, g: Im2colGeometry, argmax: BackendBuffer): void {
    checkMaxPoolArgmax(g, x, argmax);
    maxPoolArgmaxKernel(arr(x) as FloatArray, g, arr(argmax) as Int32Array);
  }
  potrf(n: number, a: BackendBuffer, aOff: number, lda: number): CholeskyResult {
    return dense.potrf(n, arr(a) as FloatArray, aOff, lda);
  }
  trsm(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void {
    dense.trsm('left', uplo, trans, unitDiag, m, n, alpha, arr(a) as FloatArray, aOff, lda, arr(b) as FloatArray, bOff, ldb);
  }
  syev(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number,
    computeVectors: boolean): void {
    dense.syev(n, arr(a) as FloatArray, aOff, lda, arr(w) as FloatArray, wOff, computeVectors);
  }
}
