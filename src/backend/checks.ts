/**
 * Argument checks shared by every backend (js, wasm, and the native/GPU ones to come): dimensions,
 * leading dimensions and memory extents of GEMM operands, strided elementwise operands, index and
 * label ranges, dtypes of the fused kernels. A backend calls them before it touches memory, so all
 * backends reject the same calls with the same typed errors and messages.
 */
import { DTypeError, InputError, ShapeError } from '../errors.js';
import type { BackendBuffer, TypedArray } from './types.js';

/** Throws ShapeError unless `v` is a non-negative integer (a dimension, count or offset). */
export function checkDim(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
}

export function requireFloat(fn: string, b: BackendBuffer): void {
  if (b.dtype === 'int32') throw new DTypeError(`${fn}: needs float32 or float64, got int32`);
}

/** A LAPACK-style matrix operand: ld ≥ max(1, cols) and rows×cols at `off` inside the buffer. */
export function checkMatrix(fn: string, name: string, buf: BackendBuffer, off: number, rows: number, cols: number, ld: number): void {
  checkDim(fn, `offset of ${name}`, off);
  if (!Number.isInteger(ld) || ld < Math.max(1, cols)) {
    throw new ShapeError(`${fn}: leading dimension of ${name} must be an integer ≥ max(1, ${cols}), got ${ld}`);
  }
  if (rows > 0 && cols > 0) {
    const end = off + (rows - 1) * ld + cols;
    if (end > buf.size) {
      throw new ShapeError(`${fn}: ${name} (${rows}×${cols}, ld ${ld}, offset ${off}) needs ${end} elements, buffer has ${buf.size}`);
    }
  }
}

/** GEMM operands: only the memory extent is checked (the reference GEMM accepts any ld ≥ 0). */
export function checkSpan(fn: string, name: string, buf: BackendBuffer, off: number, rows: number, cols: number, ld: number): void {
  checkDim(fn, `offset of ${name}`, off);
  checkDim(fn, `leading dimension of ${name}`, ld);
  if (rows > 0 && cols > 0) {
    const end = off + (rows - 1) * ld + cols;
    if (end > buf.size) {
      throw new ShapeError(`${fn}: ${name} (${rows}×${cols}, ld ${ld}, offset ${off}) needs ${end} elements, buffer has ${buf.size}`);
    }
  }
}

/**
 * All checks of gemm(transA, transB, m, n, k, …) and of its strided batched form (batch matrices
 * at offsets off + i·stride); returns false when there is nothing to compute (m, n or batch 0).
 * Operands must be float32/float64 of one dtype. Overlapping C blocks are the caller's error
 * (not detected: interleaved layouts with strideC < m·ldc are legitimate).
 */
export function checkGemm(fn: string, transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number,
  c: BackendBuffer, cOff: number, ldc: number, batch = 1, strideA = 0, strideB = 0, strideC = 0): boolean {
  for (const [name, v] of [['m', m], ['n', n], ['k', k], ['batch', batch], ['strideA', strideA], ['strideB', strideB], ['strideC', strideC]] as const) {
    checkDim(fn, name, v);
  }
  if (c.dtype === 'int32' || a.dtype !== c.dtype || b.dtype !== c.dtype) {
    throw new DTypeError(`${fn}: needs float32 or float64 operands of one dtype, got ${a.dtype}, ${b.dtype} → ${c.dtype}`);
  }
  if (m === 0 || n === 0 || batch === 0) return false;
  const last = batch - 1;
  checkSpan(fn, 'A', a, aOff + last * strideA, transA ? k : m, transA ? m : k, lda);
  checkSpan(fn, 'B', b, bOff + last * strideB, transB ? n : k, transB ? k : n, ldb);
  checkSpan(fn, 'C', c, cOff + last * strideC, m, n, ldc);
  checkDim(fn, 'offset of A', aOff);
  checkDim(fn, 'offset of B', bOff);
  checkDim(fn, 'offset of C', cOff);
  return true;
}

/** syrk's arguments, as gemm(trans, !trans, n, n, k, A, A, C) checks them; false when C is empty. */
export function checkSyrk(trans: boolean, n: number, k: number, a: BackendBuffer, aOff: number, lda: number,
  c: BackendBuffer, cOff: number, ldc: number): boolean {
  return checkGemm('syrk', trans, !trans, n, n, k, a, aOff, lda, a, aOff, lda, c, cOff, ldc);
}

/**
 * gemmSumSquares(transB, batch, m, n, k, A, aOff, strideA, B, bOff, ldb, out, outOff, bias, biasOff):
 * batch m×k row-major entries of A strideA apart, B k×n (n×k when transB, ld ldb), out m×n
 * contiguous at outOff, bias null or n values at biasOff, float operands of one dtype; false when
 * out is empty (m or n 0).
 */
export function checkGemmSumSquares(transB: boolean, batch: number, m: number, n: number, k: number, a: BackendBuffer,
  aOff: number, strideA: number, b: BackendBuffer, bOff: number, ldb: number, out: BackendBuffer, outOff: number,
  bias: BackendBuffer | null = null, biasOff = 0): boolean {
  const fn = 'gemmSumSquares';
  for (const [name, v] of [['batch', batch], ['m', m], ['n', n], ['k', k], ['strideA', strideA]] as const) checkDim(fn, name, v);
  if (out.dtype === 'int32' || a.dtype !== out.dtype || b.dtype !== out.dtype || (bias && bias.dtype !== out.dtype)) {
    throw new DTypeError(`${fn}: needs float32 or float64 operands of one dtype, got ${a.dtype}, ${b.dtype}${bias ? `, bias ${bias.dtype}` : ''} → ${out.dtype}`);
  }
  checkSpan(fn, 'out', out, outOff, m, n, n);
  if (bias) checkSpan(fn, 'bias', bias, biasOff, 1, n, n);
  checkDim(fn, 'offset of A', aOff);
  checkDim(fn, 'offset of B', bOff);
  if (m === 0 || n === 0) return false;
  if (batch > 0) {
    checkSpan(fn, 'A', a, aOff + (batch - 1) * strideA, m, k, k);
    checkSpan(fn, 'B', b, bOff, transB ? n : k, transB ? k : n, ldb);
  }
  return true;
}

/**
 * gemmScaled's arguments: gemm's (checkGemm) and S, whose last element read is at sOff +
 * ⌊(m − 1) / inner⌋·outerStride + (min(m, inner) − 1)·innerStride + n − 1 (inner ≥ 1, strides ≥ 0),
 * of the operands' dtype; false when C is empty.
 */
export function checkGemmScaled(transA: boolean, transB: boolean, m: number, n: number, k: number, a: BackendBuffer, aOff: number,
  lda: number, b: BackendBuffer, bOff: number, ldb: number, c: BackendBuffer, cOff: number, ldc: number,
  s: BackendBuffer, sOff: number, inner: number, outerStride: number, innerStride: number): boolean {
  const fn = 'gemmScaled';
  if (!checkGemm(fn, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc)) return false;
  if (s.dtype !== c.dtype) throw new DTypeError(`${fn}: the scale must share the operands' dtype (${c.dtype}), got ${s.dtype}`);
  checkDim(fn, 'offset of S', sOff);
  checkDim(fn, 'outer stride of S', outerStride);
  checkDim(fn, 'inner stride of S', innerStride);
  if (!Number.isSafeInteger(inner) || inner < 1) throw new ShapeError(`${fn}: inner must be an integer ≥ 1, got ${inner}`);
  const end = sOff + Math.floor((m - 1) / inner) * outerStride + (Math.min(m, inner) - 1) * innerStride + n;
  if (end > s.size) throw new ShapeError(`${fn}: S (rows [${Math.ceil(m / inner)}, ${inner}] strides ${outerStride}, ${innerStride}, ${n} columns, offset ${sOff}) needs ${end} elements, buffer has ${s.size}`);
  return true;
}

/** n elements in each buffer. */
export function checkCount(fn: string, n: number, bufs: readonly BackendBuffer[]): void {
  checkDim(fn, 'n', n);
  for (const b of bufs) if (n > b.size) throw new ShapeError(`${fn}: n = ${n} exceeds a buffer of ${b.size} elements`);
}

/** The smallest and largest element offsets (relative to the base) touched over `shape`. */
export function extent(shape: readonly number[], strides: readonly number[]): { lo: number; hi: number } {
  let lo = 0, hi = 0;
  for (let d = 0; d < shape.length; d++) {
    const span = (shape[d]! - 1) * strides[d]!;
    if (span < 0) lo += span;
    else hi += span;
  }
  return { lo, hi };
}

/**
 * Strided elementwise calls: a valid shape, one stride per axis for each operand, each operand's
 * extent inside its buffer, and (when given) a contiguous output that holds the shape.
 */
export function checkStrided(fn: string, shape: readonly number[],
  operands: readonly (readonly [BackendBuffer, number, readonly number[]])[], out: BackendBuffer | null): void {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${fn}: bad shape [${shape.join(', ')}]`);
    size *= d;
  }
  if (out && size > out.size) throw new ShapeError(`${fn}: shape [${shape.join(', ')}] needs ${size} output elements, buffer has ${out.size}`);
  for (const [b, off, strides] of operands) {
    if (strides.length !== shape.length) throw new ShapeError(`${fn}: ${strides.length} strides for a rank-${shape.length} shape`);
    if (size === 0) continue;
    const { lo, hi } = extent(shape, strides);
    if (!Number.isInteger(off) || off + lo < 0 || off + hi >= b.size || !strides.every(Number.isInteger)) {
      throw new ShapeError(`${fn}: shape [${shape.join(', ')}] with strides [${strides.join(', ')}] at offset ${off} reaches elements ${off + lo}..${off + hi} of a buffer of ${b.size}`);
    }
  }
}

/** reduce(op, x, outer, r, inner, out): x holds outer·r·inner elements, out outer·inner. */
export function checkReduce(x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
  for (const [name, v] of [['outer', outer], ['r', r], ['inner', inner]] as const) checkDim('reduce', name, v);
  if (outer * r * inner > x.size) {
    throw new ShapeError(`reduce: x viewed as [${outer}, ${r}, ${inner}] needs ${outer * r * inner} elements, buffer has ${x.size}`);
  }
  if (outer * inner > out.size) throw new ShapeError(`reduce: out needs ${outer * inner} elements, buffer has ${out.size}`);
}

/** sumSquares's arguments: reduce's extents, float operands of one dtype. */
export function checkSumSquares(x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
  checkReduce(x, outer, r, inner, out);
  checkSameFloat('sumSquares', 0, [x, out]);
}

/**
 * gather/scatterAdd: int32 indices, `packed` holding nIdx rows of rowSize, and — when `values`
 * (a host view of the indices; a device backend checks in its kernel instead) is given — every
 * index in [0, rows of `table`). Out-of-range indices are an InputError naming the first one.
 */
export function checkIndexed(fn: string, idx: BackendBuffer, nIdx: number, rowSize: number,
  packed: BackendBuffer, table: BackendBuffer, values?: ArrayLike<number>): void {
  if (idx.dtype !== 'int32') throw new DTypeError(`${fn}: indices must be int32, got ${idx.dtype}`);
  checkDim(fn, 'nIdx', nIdx);
  checkDim(fn, 'rowSize', rowSize);
  if (nIdx > idx.size) throw new ShapeError(`${fn}: nIdx = ${nIdx} exceeds the ${idx.size} indices`);
  if (nIdx * rowSize > packed.size) {
    throw new ShapeError(`${fn}: ${nIdx} rows of ${rowSize} need ${nIdx * rowSize} elements, buffer has ${packed.size}`);
  }
  if (packed.dtype !== table.dtype) {
    const [src, out] = fn === 'gather' ? [table, packed] : [packed, table];
    throw new DTypeError(`${fn}: source is ${src.dtype} but output is ${out.dtype}`);
  }
  if (nIdx === 0 || rowSize === 0 || !values) return;
  checkIndexValues(fn, values, nIdx, Math.floor(table.size / rowSize));
}

/** Every one of the first n values in [0, limit), else an InputError naming the first bad one. */
export function checkIndexValues(fn: string, values: ArrayLike<number>, n: number, limit: number): void {
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < limit)) throw new InputError(`${fn}: index ${v} at position ${i} is outside [0, ${limit})`);
  }
}

/**
 * Checks of the fused kernels (softmax, cross-entropy, tanhGrad) of every backend: float
 * operands of one dtype, x holding rows×cols and out holding `outSize` elements.
 */
export function checkRows(what: string, x: BackendBuffer, rows: number, cols: number, outSize: number, out: BackendBuffer): void {
  for (const [name, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${what}: ${name} must be a non-negative integer, got ${v}`);
  }
  if (x.dtype === 'int32' || out.dtype !== x.dtype) {
    throw new DTypeError(`${what}: needs float32 or float64 input and output of one dtype, got ${x.dtype} → ${out.dtype}`);
  }
  if (rows * cols > x.size) throw new ShapeError(`${what}: ${rows}×${cols} needs ${rows * cols} input elements, buffer has ${x.size}`);
  if (outSize > out.size) throw new ShapeError(`${what}: needs ${outSize} output elements, buffer has ${out.size}`);
}

/** Checks of softmaxJvp (Backend.softmaxJvp): float operands of one dtype and their sizes. */
export function checkSoftmaxJvp(y: BackendBuffer, t: BackendBuffer, outer: number, k: number, inner: number, cols: number, out: BackendBuffer): void {
  for (const [name, v] of [['outer', outer], ['k', k], ['inner', inner], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`softmaxJvp: ${name} must be a non-negative integer, got ${v}`);
  }
  if (y.dtype === 'int32' || t.dtype !== y.dtype || out.dtype !== y.dtype) {
    throw new DTypeError(`softmaxJvp: needs float32 or float64 operands of one dtype, got ${y.dtype}, ${t.dtype} → ${out.dtype}`);
  }
  const rows = outer * inner * cols, all = rows * k;
  if (rows > y.size) throw new ShapeError(`softmaxJvp: y needs ${rows} elements, buffer has ${y.size}`);
  if (all > t.size) throw new ShapeError(`softmaxJvp: t needs ${all} elements, buffer has ${t.size}`);
  if (all > out.size) throw new ShapeError(`softmaxJvp: out needs ${all} elements, buffer has ${out.size}`);
}

/** Labels: int32, at least `rows` of them, each of `values` (a view of the labels) in [0, cols). */
export function checkLabels(labels: BackendBuffer, rows: number, cols: number, values?: TypedArray): void {
  if (labels.dtype !== 'int32') throw new DTypeError(`crossEntropy: labels must be int32, got ${labels.dtype}`);
  if (rows > labels.size) throw new ShapeError(`crossEntropy: ${rows} rows but ${labels.size} labels`);
  if (!values) return;
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < cols)) throw new InputError(`crossEntropy: label ${v} at row ${i} is outside [0, ${cols})`);
  }
}

/** n elements in each buffer, all float32 or all float64. */
export function checkSameFloat(what: string, n: number, bufs: BackendBuffer[]): void {
  if (!Number.isInteger(n) || n < 0) throw new ShapeError(`${what}: n must be a non-negative integer, got ${n}`);
  const dt = bufs[0]!.dtype;
  for (const b of bufs) {
    if (b.dtype === 'int32' || b.dtype !== dt) throw new DTypeError(`${what}: needs float32 or float64 operands of one dtype, got ${bufs.map((x) => x.dtype).join(', ')}`);
    if (n > b.size) throw new ShapeError(`${what}: n = ${n} exceeds a buffer of ${b.size} elements`);
  }
}

/** mulAdd's arguments: four strided float operands and a contiguous output, all of one dtype. */
export function checkMulAdd(shape: readonly number[], operands: readonly (readonly [BackendBuffer, readonly number[]])[], out: BackendBuffer): void {
  checkStrided('mulAdd', shape, operands.map(([b, st]) => [b, 0, st] as const), out);
  checkSameFloat('mulAdd', 0, [...operands.map(([b]) => b), out]);
}

/** potrf's arguments: a float n×n matrix at aOff with leading dimension lda. */
export function checkPotrf(n: number, a: BackendBuffer, aOff: number, lda: number): void {
  requireFloat('potrf', a);
  checkDim('potrf', 'n', n);
  checkMatrix('potrf', 'A', a, aOff, n, n, lda);
}

/** trsm's arguments: a float m×m triangle A and an m×n right-hand side B of A's dtype. */
export function checkTrsm(m: number, n: number, a: BackendBuffer, aOff: number, lda: number, b: BackendBuffer, bOff: number, ldb: number): void {
  requireFloat('trsm', a);
  if (b.dtype !== a.dtype) throw new DTypeError(`trsm: A is ${a.dtype} but B is ${b.dtype}`);
  checkDim('trsm', 'm', m);
  checkDim('trsm', 'n', n);
  checkMatrix('trsm', 'A', a, aOff, m, m, lda);
  checkMatrix('trsm', 'B', b, bOff, m, n, ldb);
}

/** syev's arguments: a float n×n matrix A and n eigenvalue slots w of A's dtype. */
export function checkSyev(n: number, a: BackendBuffer, aOff: number, lda: number, w: BackendBuffer, wOff: number): void {
  requireFloat('syev', a);
  if (w.dtype !== a.dtype) throw new DTypeError(`syev: A is ${a.dtype} but w is ${w.dtype}`);
  checkDim('syev', 'n', n);
  checkMatrix('syev', 'A', a, aOff, n, n, lda);
  checkMatrix('syev', 'w', w, wOff, 1, n, Math.max(1, n));
}

/**
 * The InputError of an eigensolver kernel that found a non-finite entry: it names the first one in
 * the lower triangle of the n×n matrix at `off` (what the reference backend reports).
 */
export function nonFiniteEntryError(v: ArrayLike<number>, off: number, n: number, lda: number): InputError {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const x = v[off + i * lda + j]!;
      if (!Number.isFinite(x)) return new InputError(`syev: entry (${i}, ${j}) of the matrix is ${x}; expected a finite number`);
    }
  }
  return new InputError('syev: the matrix has a non-finite entry in its lower triangle; expected finite numbers');
}
