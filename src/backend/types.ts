/**
 * The Backend interface: allocation plus flat, BLAS/LAPACK-like kernels over buffer handles
 * (DESIGN.md, "The interfaces that hold it together"). A kernel never knows about tensors:
 * shapes arrive as plain numbers and strides, buffers as opaque handles owned by the backend.
 */

export type DType = 'float32' | 'float64' | 'int32';
export type FloatDType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

/** An opaque buffer handle. Only the backend that allocated it may read its storage. */
export interface BackendBuffer {
  readonly dtype: DType;
  readonly size: number;
}

/** Elementwise unary kernels. `step` is x > 0 ? 1 : 0; `sign` is -1/0/1. */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'sqrt' | 'abs' | 'sign' | 'square' | 'reciprocal'
  | 'log1p' | 'expm1' | 'softplus' | 'erf' | 'sin' | 'cos' | 'relu' | 'step' | 'isfinite';

/** Elementwise binary kernels; comparisons return 1/0 in the operands' dtype. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export type ReduceOp = 'sum' | 'max' | 'min';

/** Result of a Cholesky factorisation: `pivot` is the first failing pivot, `value` its value. */
export type CholeskyResult = { ok: true } | { ok: false; pivot: number; value: number };

/** Names of the Backend kernels (the keys a backend's supports() is asked about). */
export type KernelName =
  | 'fill' | 'cast' | 'unary' | 'binary' | 'where' | 'copy' | 'reduce' | 'gemm' | 'gemmStridedBatched'
  | 'gather' | 'scatterAdd' | 'im2col' | 'col2im' | 'maxPoolArgmax' | 'potrf' | 'trsm' | 'syev' | 'tanhGrad' | 'softmax' | 'softmaxJvp' | 'crossEntropy'
  | 'mulAdd' | 'syrk' | 'sumSquares' | 'gemmSumSquares' | 'gemmScaled';

/**
 * The geometry of a 2-d convolution's patches for im2col / col2im: an image x [n, c, h, w] and its
 * patch matrix cols [n, outH·outW, c·kh·kw] (rows channel-major: c, then kernel row, then column),
 * cols[b, oh·outW + ow, (ch·kh + i)·kw + j] = x[b, ch, oh·strideH + i·dilationH − padH,
 * ow·strideW + j·dilationW − padW], 0 outside the image (zero padding). outH, outW are PyTorch's
 * floor((h + 2·padH − dilationH·(kh − 1) − 1) / strideH) + 1 (resp. w), both ≥ 1.
 */
export interface Im2colGeometry {
  readonly n: number; readonly c: number; readonly h: number; readonly w: number;
  readonly kh: number; readonly kw: number;
  readonly strideH: number; readonly strideW: number;
  readonly padH: number; readonly padW: number;
  readonly dilationH: number; readonly dilationW: number;
  readonly outH: number; readonly outW: number;
}

/**
 * Every buffer argument is followed by an element offset where the kernel may read a sub-block.
 * Strides are in elements; a stride of 0 broadcasts. Outputs of elementwise kernels are contiguous.
 *
 * Required: allocation (alloc/free/write/read/fill), cast, the elementwise kernels (unary, binary,
 * where, copy, reduce) and gemm — enough for a new backend (native, GPU) to run every op. Every
 * other kernel is optional: the tensor layer's dispatcher (src/tensor/kernels.ts) runs the backend's
 * kernel when present and else either composes it from required kernels (gemmStridedBatched: a
 * loop of gemm; tanhGrad, softmax, crossEntropy: elementwise chains) or copies the operands to the
 * js reference backend and back (gather, scatterAdd, potrf, trsm, syev), counted per backend in
 * ./fallback.ts and reported once per kernel with CURVATURE_DEBUG=1. Argument checks all backends
 * share are in ./checks.ts.
 */
export interface Backend {
  readonly name: string;

  alloc(dtype: DType, size: number): BackendBuffer;
  free(buf: BackendBuffer): void;
  /** Copies `data` into the buffer starting at element `offset`. */
  write(buf: BackendBuffer, data: ArrayLike<number>, offset?: number): void;
  /** A fresh typed-array copy of the buffer (never a view of backend memory). */
  read(buf: BackendBuffer): TypedArray;
  /**
   * The same copy without blocking the thread (a GPU backend resolves it when the device-to-host
   * transfer completes). Optional: the tensor layer resolves read() at once without it.
   */
  readAsync?(buf: BackendBuffer): Promise<TypedArray>;
  /**
   * Whether the backend runs `kernel` natively on buffers of these dtypes (in argument order;
   * `op` for unary/binary/reduce). Optional: absent means every dtype the interface allows. When
   * false, the tensor layer runs the reference kernel on copies instead (./fallback.ts counts it),
   * and the backend's own method may throw DTypeError for that call.
   */
  supports?(kernel: KernelName, dtypes: readonly DType[], op?: string): boolean;
  fill(buf: BackendBuffer, value: number): void;
  /** Elementwise dtype conversion of `n` elements. */
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void;

  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void;
  /** out[idx] = a[idx·aStrides] op b[idx·bStrides] over `shape` (out contiguous). */
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aStrides: readonly number[],
    b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void;
  /**
   * out = a·b + c·d elementwise (float32 or float64, one dtype), each operand broadcast by its
   * strides over `shape` (out contiguous), rounded as the two products and then their sum would be
   * by binary mul, mul and add — which is what the tensor layer runs without it. Optional: one pass
   * where those take three (the batched tangent rules of tanh' and softmax use it).
   */
  mulAdd?(shape: readonly number[], a: BackendBuffer, aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[],
    c: BackendBuffer, cStrides: readonly number[], d: BackendBuffer, dStrides: readonly number[], out: BackendBuffer): void;
  /** out = cond ≠ 0 ? a : b, broadcast by strides over `shape` (out contiguous). */
  where(shape: readonly number[], cond: BackendBuffer, cStrides: readonly number[], a: BackendBuffer,
    aStrides: readonly number[], b: BackendBuffer, bStrides: readonly number[], out: BackendBuffer): void;
  /** Strided copy: dst[dstOff + idx·dstStrides] = src[srcOff + idx·srcStrides] over `shape`. */
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcStrides: readonly number[],
    dst: BackendBuffer, dstOff: number, dstStrides: readonly number[]): void;
  /** x viewed as [outer, r, inner]: out[o, i] = op over k of x[o, k, i]. */
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void;
  /**
   * x viewed as [outer, r, inner] (float32 or float64, out of the same dtype): out[o, i] = Σ_k
   * x[o, k, i]², each square rounded to the dtype and the sum taken in float64 in k order — exactly
   * what unary square then reduce sum give, which the tensor layer runs without it. Optional: one
   * pass over x where those take two and a temporary (EK-FAC's corrections sum the squares of K
   * gradient columns).
   */
  sumSquares?(x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void;

  /**
   * out (m×n, contiguous at outOff) = Σ_e (A_e·op(B) + 1·biasᵀ)² over e < batch, A_e the m×k
   * row-major matrix at aOff + e·strideA, B shared (k×n, or n×k when transB, ld ldb), bias n values
   * at biasOff (or null: none): each product as gemmStridedBatched (alpha 1, beta 0, B at stride 0)
   * computes it, the bias added and the sum squared, each rounded to the dtype, summed in float64
   * in entry order — exactly gemmStridedBatched, a broadcast add and sumSquares over the batch,
   * which the tensor layer runs without it. Optional: it keeps the batch of products out of memory
   * (EK-FAC's corrections: Σₖ (δₖ·Q_G)² for K gradient columns, (a·Q_A + q)² for the inputs).
   */
  gemmSumSquares?(transB: boolean, batch: number, m: number, n: number, k: number, a: BackendBuffer, aOff: number,
    strideA: number, b: BackendBuffer, bOff: number, ldb: number, out: BackendBuffer, outOff: number,
    bias?: BackendBuffer | null, biasOff?: number): void;

  /**
   * C (m×n, ld ldc) = (op(A)·op(B)) ⊙ S: each element of the product, as gemm computes it (alpha 1,
   * beta 0), multiplied by S[r, j] = s[sOff + ⌊r / inner⌋·outerStride + (r mod inner)·innerStride + j]
   * and rounded — exactly gemm then a broadcast binary mul, which the tensor layer runs without it.
   * C's rows seen as [outer, inner] with a stride of 0 repeating S's rows ([k, m] rows against an
   * [m, n] S: inner m, strides 0 and n; [m, k] rows: inner k, strides n and 0). Optional: one pass
   * where those take two (the adjoint of an activation through the GEMM that forms its cotangent).
   */
  gemmScaled?(transA: boolean, transB: boolean, m: number, n: number, k: number, a: BackendBuffer, aOff: number, lda: number,
    b: BackendBuffer, bOff: number, ldb: number, c: BackendBuffer, cOff: number, ldc: number,
    s: BackendBuffer, sOff: number, inner: number, outerStride: number, innerStride: number): void;

  /** C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when trans. */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number): void;
  /**
   * `batch` GEMMs in one call: C_i = alpha·op(A_i)·op(B_i) + beta·C_i with X_i at xOff + i·strideX
   * (a stride of 0 reuses one matrix for the whole batch; C blocks must not overlap). Optional:
   * without it the tensor layer loops over gemm.
   */
  gemmStridedBatched?(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, strideA: number,
    b: BackendBuffer, bOff: number, ldb: number, strideB: number,
    beta: number, c: BackendBuffer, cOff: number, ldc: number, strideC: number, batch: number): void;

  /**
   * The symmetric product C = alpha·op(A)·op(A)ᵀ (n×n, both triangles written, C's old values
   * not read): op(A) = Aᵀ for A k×n when `trans` (C = alpha·AᵀA), else A n×k (C = alpha·AAᵀ).
   * Every element must equal what gemm(trans, !trans, n, n, k, alpha, A, A, 0, C) gives on the same
   * backend, bit for bit (compute one triangle, mirror it). Optional: without it the tensor
   * layer runs that gemm (twice the work).
   */
  syrk?(trans: boolean, n: number, k: number, alpha: number, a: BackendBuffer, aOff: number, lda: number,
    c: BackendBuffer, cOff: number, ldc: number): void;

  /**
   * out[i, :] = src[idx[i], :] for rows of length `rowSize`. The kernel checks the indices (an
   * index outside [0, src rows) is an InputError; the tensor layer does not read them to the host).
   * Optional (reference fallback).
   */
  gather?(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void;
  /** out[idx[i], :] += src[i, :] (out must be pre-filled; indices checked like gather's). Optional. */
  scatterAdd?(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void;

  /**
   * im2col: out [n, outH·outW, c·kh·kw] ← the patches of x [n, c, h, w] (see Im2colGeometry), both
   * float32 or both float64, whole buffers from element 0. Optional: without it the tensor layer
   * composes it from copy (one strided copy per kernel offset into a zero-filled out).
   */
  im2col?(x: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void;
  /**
   * col2im, the adjoint of im2col: out [n, c, h, w] ← the sum of every patch entry of
   * cols [n, outH·outW, c·kh·kw] into the pixel it was read from (out is overwritten; padding
   * entries are dropped). Optional: composed from copy and binary add otherwise.
   */
  col2im?(cols: BackendBuffer, g: Im2colGeometry, out: BackendBuffer): void;

  /**
   * Max-pooling's argmax: for every window of x [n, c, h, w] (the patches of Im2colGeometry,
   * padding taps skipped, i.e. −∞), argmax [n, c, outH, outW] (int32) ← the flat index into x of the
   * window's largest value: the first in the window's row-major order among equal ones, a NaN
   * winning over numbers (PyTorch's MaxPool2d indices, made global). Every window must hold an
   * in-image tap (the caller checks). x float32/float64. Optional (reference fallback).
   */
  maxPoolArgmax?(x: BackendBuffer, g: Im2colGeometry, argmax: BackendBuffer): void;

  /** In-place lower Cholesky of the n×n matrix at aOff (lower triangle read, upper zeroed). Optional. */
  potrf?(n: number, a: BackendBuffer, aOff: number, lda: number): CholeskyResult;
  /** Solves op(A)·X = alpha·B in place, A m×m triangular, B m×n. Optional. */
  trsm?(uplo: 'lower' | 'upper', trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void;
  /**
   * out[i] = g[i]·(1 − y[i]²) for i < n, all of one float dtype: tanh's derivative through its
   * output y applied to g, in one pass. Optional: without it the tensor layer composes it.
   */
  tanhGrad?(y: BackendBuffer, g: BackendBuffer, out: BackendBuffer, n: number): void;
  /**
   * Row-wise softmax (log = false) or log-softmax (log = true) of the rows×cols row-major x into
   * out, in one pass per row. Optional: without it the tensor layer composes max/exp/sum/log.
   */
  softmax?(x: BackendBuffer, rows: number, cols: number, out: BackendBuffer, log: boolean): void;
  /**
   * out[r] = −log softmax(z[r, :])[labels[r]] for int32 labels in [0, cols) (checked by the
   * backend). Optional, like softmax.
   */
  crossEntropy?(z: BackendBuffer, labels: BackendBuffer, rows: number, cols: number, out: BackendBuffer): void;
  /**
   * The softmax's tangents for k directions at once: t and out are [outer, k, inner, cols] row-major,
   * y (the softmax output) is [outer, inner, cols], shared by the k directions; per row of t,
   * out = y⊙t − y·⟨y, t⟩ with the values of mul, sum and mulAdd composed: each y·t rounded to the
   * dtype, ⟨y, t⟩ their sum in double from 0 in column order rounded once, then
   * round(round(y·t) + round(y·(−⟨y, t⟩))). One pass over the tangents instead of three. Optional:
   * without it the tensor layer composes those ops.
   */
  softmaxJvp?(y: BackendBuffer, t: BackendBuffer, outer: number, k: number, inner: number, cols: number, out: BackendBuffer): void;
  /** Symmetric eigendecomposition: ascending eigenvalues into w, eigenvectors as columns of a. Optional. */
  syev?(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number,
    computeVectors: boolean): void;
}
