import type { Backend, BackendBuffer, BinaryOp, CholeskyResult, DType, ReduceOp, TypedArray, UnaryOp } from '../types.js';
import { binaryKernel, copyKernel, reduceKernel, unaryKernel, whereKernel } from './elementwise.js';
import { gemmKernel } from './gemm.js';
import { tanhGradKernel } from './activation-grad.js';
import { checkLabels, checkRows, checkSameFloat } from './rows.js';
import { crossEntropyKernel, softmaxKernel } from './softmax.js';
import * as dense from './linalg.js';
import { allocTyped, arr, type JsBuffer } from './storage.js';
import type { FloatArray } from '../types.js';

/**
 * The reference backend: every kernel in plain TypeScript, exact in float64 (the oracle the
 * other backends are tested against). Buffers are typed arrays owned by the JS garbage collector.
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
  fill(buf: BackendBuffer, value: number): void {
    arr(buf).fill(value);
  }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void {
    const s = arr(src), d = arr(dst);
    if (dst.dtype === 'int32') for (let i = 0; i < n; i++) d[i] = Math.trunc(s[i]!);
    else for (let i = 0; i < n; i++) d[i] = s[i]!;
  }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void {
    unaryKernel(op, arr(x), arr(out), n);
  }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    binaryKernel(op, shape, arr(a), aStrides, arr(b), bStrides, arr(out));
  }
  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void {
    whereKernel(shape, arr(cond), cStrides, arr(a), aStrides, arr(b), bStrides, arr(out));
  }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void {
    copyKernel(shape, arr(src), srcOff, srcStrides, arr(dst), dstOff, dstStrides);
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    reduceKernel(op, arr(x), outer, r, inner, arr(out));
  }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void {
    gemmKernel(transA, transB, m, n, k, alpha, arr(a), aOff, lda, arr(b), bOff, ldb, beta, arr(c), cOff, ldc);
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
    const s = arr(src), ix = arr(idx), o = arr(out);
    for (let i = 0; i < nIdx; i++) {
      const r = ix[i]! * rowSize;
      o.set(s.subarray(r, r + rowSize), i * rowSize);
    }
  }
  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    const s = arr(src), ix = arr(idx), o = arr(out);
    for (let i = 0; i < nIdx; i++) {
      const r = ix[i]! * rowSize, q = i * rowSize;
      for (let j = 0; j < rowSize; j++) o[r + j]! += s[q + j]!;
    }
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
