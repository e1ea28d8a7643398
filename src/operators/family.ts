import type { FloatDType } from '../backend/types.js';
import { DTypeError, ShapeError } from '../errors.js';
import { add, matmul, mul, reshape, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyToColumns, checkVector, type LinearOperator } from './linear-operator.js';

/** The operator of an explicit square matrix. */
export function denseOperator(a: Tensor, options: { symmetric?: boolean; psd?: boolean | 'unknown' } = {}): LinearOperator {
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) throw new ShapeError(`denseOperator: expected a square matrix, got [${a.shape.join(', ')}]`);
  if (a.dtype === 'int32') throw new DTypeError('denseOperator: expected a float matrix, got int32');
  const op: LinearOperator = {
    size: a.shape[0]!,
    dtype: a.dtype,
    symmetric: options.symmetric ?? true,
    psd: options.psd ?? 'unknown',
    matvec: (v) => { checkVector(op, v); return matmul(a, v); },
    matmat: (v) => matmul(a, v),
    trace: () => {
      const d = a.dataSync(), n = a.shape[0]!;
      let t = 0;
      for (let i = 0; i < n; i++) t += d[i * n + i]!;
      return t;
    },
  };
  return op;
}

/**
 * α·A + β·I — damping (β = λ) and scaling in one: the most common composition. It declares psd
 * when A is psd, α ≥ 0 and β ≥ 0 (it does not declare a shift: `shifted(H, λ)` of a curvature
 * operator H is H + λI for every solver, with H's own shift inside).
 */
export function shifted(a: LinearOperator, beta: number, alpha = 1): LinearOperator {
  if (beta === 0 && alpha === 1) return a;
  const combine = (av: Tensor, v: Tensor): Tensor => tidy(() => add(alpha === 1 ? av : mul(av, alpha), beta === 0 ? 0 : mul(v, beta)));
  const op: LinearOperator = {
    size: a.size,
    dtype: a.dtype,
    symmetric: a.symmetric,
    psd: a.psd === true && alpha >= 0 && beta >= 0 ? true : 'unknown',
    matvec: (v) => combine(a.matvec(v), v),
    matmat: (v) => combine(applyToColumns(a, v), v),
  };
  if (a.trace) op.trace = () => alpha * a.trace!() + beta * a.size;
  return op;
}

/** Σᵢ Aᵢ. */
export function sumOperator(parts: readonly LinearOperator[]): LinearOperator {
  if (parts.length === 0) throw new ShapeError('sumOperator: needs at least one operator');
  const { size, dtype } = parts[0]!;
  for (const p of parts) {
    if (p.size !== size || p.dtype !== dtype) throw new ShapeError(`sumOperator: operators of size/dtype ${p.size}/${p.dtype} and ${size}/${dtype}`);
  }
  const op: LinearOperator = {
    size, dtype,
    symmetric: parts.every((p) => p.symmetric),
    psd: parts.every((p) => p.psd === true) ? true : 'unknown',
    matvec: (v) => tidy(() => parts.map((p) => p.matvec(v)).reduce((x, y) => add(x, y))),
    matmat: (v) => tidy(() => parts.map((p) => applyToColumns(p, v)).reduce((x, y) => add(x, y))),
  };
  if (parts.every((p) => p.trace)) op.trace = () => parts.reduce((t, p) => t + p.trace!(), 0);
  return op;
}

/** A diagonal operator diag(d). */
export function diagonalOperator(d: Tensor): LinearOperator {
  if (d.rank !== 1) throw new ShapeError(`diagonalOperator: expected a vector, got [${d.shape.join(', ')}]`);
  if (d.dtype === 'int32') throw new DTypeError('diagonalOperator: expected a float vector, got int32');
  return {
    size: d.shape[0]!,
    dtype: d.dtype as FloatDType,
    symmetric: true,
    matvec: (v) => mul(d, v),
    matmat: (v) => mul(reshape(d, [-1, 1]), v),
    trace: () => Array.from(d.dataSync()).reduce((a, b) => a + b, 0),
    diagonal: () => d,
  };
}

/** α·A (a scaled operator; shifted(a, 0, α)). */
export function scaledOperator(a: LinearOperator, alpha: number): LinearOperator {
  return shifted(a, 0, alpha);
}

/**
 * The product A₁·A₂·…·A_k (applied right to left: v ↦ A₁(A₂(…A_k v))). Symmetric only when it
 * has one factor, or when declared by the caller (e.g. B·A⁻¹·B for symmetric A and B is not
 * detected): pass `symmetric`.
 */
export function chainOperator(parts: readonly LinearOperator[], options: { symmetric?: boolean; psd?: boolean | 'unknown' } = {}): LinearOperator {
  if (parts.length === 0) throw new ShapeError('chainOperator: needs at least one operator');
  const { size, dtype } = parts[0]!;
  for (const p of parts) {
    if (p.size !== size || p.dtype !== dtype) throw new ShapeError(`chainOperator: operators of size/dtype ${p.size}/${p.dtype} and ${size}/${dtype}`);
  }
  const apply = (v: Tensor, block: boolean): Tensor => tidy(() => {
    let x = v;
    for (let i = parts.length - 1; i >= 0; i--) x = block ? applyToColumns(parts[i]!, x) : parts[i]!.matvec(x);
    return x;
  });
  const op: LinearOperator = {
    size, dtype,
    symmetric: options.symmetric ?? (parts.length === 1 && parts[0]!.symmetric),
    psd: options.psd ?? (parts.length === 1 ? parts[0]!.psd ?? 'unknown' : 'unknown'),
    matvec: (v) => { checkVector(op, v); return apply(v, false); },
    matmat: (v) => { checkVector(op, v, 'matmat'); return apply(v, true); },
  };
  return op;
}
