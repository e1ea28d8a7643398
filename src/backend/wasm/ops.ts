/**
 * Operation and dtype codes of the WebAssembly ABI. They are the positions in the lists of
 * wasm/src/curvature.h and must stay in step with it (the header says so too).
 */
import type { BinaryOp, DType, ReduceOp, UnaryOp } from '../types.js';

export const UNARY_CODES: Readonly<Record<UnaryOp, number>> = Object.freeze({
  neg: 0, exp: 1, log: 2, tanh: 3, sigmoid: 4, sqrt: 5, abs: 6, sign: 7, square: 8, reciprocal: 9,
  log1p: 10, expm1: 11, softplus: 12, erf: 13, sin: 14, cos: 15, relu: 16, step: 17, isfinite: 18,
});

export const BINARY_CODES: Readonly<Record<BinaryOp, number>> = Object.freeze({
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, max: 5, min: 6, gt: 7, ge: 8, lt: 9, le: 10, eq: 11, ne: 12,
});

export const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = Object.freeze({ sum: 0, max: 1, min: 2 });

/** cv_cast's element-type codes. */
export const DTYPE_CODES: Readonly<Record<DType, number>> = Object.freeze({ float32: 0, float64: 1, int32: 2 });

/** Bytes per element. */
export const ITEM_SIZE: Readonly<Record<DType, number>> = Object.freeze({ float32: 4, float64: 8, int32: 4 });

/** Largest rank the strided kernels accept (the header's "rank ≤ 8"). */
export const MAX_KERNEL_RANK = 8;
