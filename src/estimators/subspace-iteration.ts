import { InputError, ShapeError } from '../errors.js';
import { eigh } from '../linalg/dense.js';
import { applyToColumns, type LinearOperator } from '../operators/linear-operator.js';
import { add, concat, matmul, mul, sub, sum, tensor, tidy, transpose } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOperator } from './hutchinson.js';
import { orthonormalBasis } from './orthonormal-basis.js';
import { checkInteger, probeBlock } from './random-vectors.js';

export interface SubspaceIterationOptions {
  /** Oversampling p: the block has k + p columns. Default 10 (Halko et al. §4.2). */
  oversampling?: number;
  /** Power iterations q: the Rayleigh–Ritz space is span(A^{q+1}·Ω). Default 3. */
  powerIterations?: number;
  /**
   * Stop early, before q iterations, once every top-k Ritz pair has ‖A·u − θ·u‖ ≤ tol·|θ|.
   * Default 0: always run q iterations.
   */
  tol?: number;
  seed?: number;
  /** Columns of Ω generated and applied per operator call (Ω is never held whole). Default 16. */
  blockSize?: number;
}

export interface SubspaceIterationResult {
  /** The k largest Ritz values, descending. */
  values: Float64Array;
  /** Ritz vectors [n, k], unit columns, in the order of `values`. */
  vectors: Tensor;
  /**
   * ‖A·uᵢ − θᵢ·uᵢ‖, exact (from the products already computed): some eigenvalue of A lies within
   * rᵢ of θᵢ, and within rᵢ²/gapᵢ when θᵢ is separated by gapᵢ from the rest of the spectrum.
   */
  residuals: number[];
  /** Power iterations performed (≤ q). */
  iterations: number;
  /** Operator products: (k + p)·(iterations + 2). */
  matvecs: number;
  /** With tol > 0: whether the residual test was met. */
  converged?: boolean;
}

/**
 * Randomized subspace iteration with Rayleigh–Ritz (Halko, Martinsson & Tropp 2011, SIAM Review
 * 53(2), Algorithms 4.4 and 5.3; Rutishauser 1970): Y = A·Ω for a Gaussian block Ω of width
 * l = k + p, then q times Q = orth(Y), Y = A·Q, and finally the eigenpairs of QᵀAQ. The random
 * projection Ω is generated block by block from the seed and applied on the fly (003 appendix D's
 * seeded pseudo-random embeddings), so only the n×l product block is held. Accuracy of the j-th
 * value improves like (|λ_{l+1}|/|λ_j|)^{2(q+1)}: for a decaying spectrum a few iterations give the
 * top eigenvalues to a few digits at (k + p)(q + 2) products, in blocks (one `matmat` per block).
 *
 * The iteration amplifies the eigenvalues of largest magnitude, so the returned top-k algebraic
 * Ritz values are those of A when A is positive semi-definite (Gauss–Newton, Fisher) or its
 * largest eigenvalues dominate |λ_min|; for an indefinite Hessian with a large negative part use
 * `lanczos`.
 */
export function subspaceIteration(op: LinearOperator, k: number, options: SubspaceIterationOptions = {}): SubspaceIterationResult {
  const what = 'subspaceIteration';
  checkOperator(what, op);
  const n = op.size;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new ShapeError(`${what}: k must be an integer in [1, n = ${n}], got ${k}`);
  if (!op.symmetric) throw new InputError(`${what}: the operator must be symmetric (it says symmetric: false)`);
  const p = checkInteger(what, 'oversampling', options.oversampling ?? 10, 0);
  const q = checkInteger(what, 'powerIterations', options.powerIterations ?? 3, 0);
  const bs = checkInteger(what, 'blockSize', options.blockSize ?? 16, 1);
  const tol = options.tol ?? 0;
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new InputError(`${what}: tol must be a finite number ≥ 0, got ${tol}`);
  const l = Math.min(n, k + p);
  const rng = new Random(options.seed ?? 0);

  return tidy(() => {
    // Y = A·Ω, Ω drawn and applied in column blocks.
    const parts: Tensor[] = [];
    for (let start = 0; start < l; start += bs) {
      const b = Math.min(bs, l - start);
      parts.push(tidy(() => applyToColumns(op, probeBlock(rng, 'gaussian', n, b, op.dtype).block)));
    }
    let y = parts.length === 1 ? parts[0]! : concat(parts, 1);
    let matvecs = l;
    for (let it = 0; ; it++) {
      const step = tidy(() => {
        const qb = orthonormalBasis(y, { complete: rng });
        const z = applyToColumns(op, qb);
        const bm = matmul(qb, z, { transA: true });
        const { values, vectors } = eigh(mul(add(bm, transpose(bm)), 0.5));
        const theta = Float64Array.from(values.dataSync());
        const w = vectors;
        const r = qb.shape[1]!;
        // Top-k (descending) Ritz pairs and their residuals ZW − QWΘ.
        const order = Array.from({ length: Math.min(k, r) }, (_, i) => r - 1 - i);
        const sel = tensor(selectColumns(w.dataSync(), r, order), [r, order.length], op.dtype);
        const vals = Float64Array.from(order, (i) => theta[i]!);
        const u = matmul(qb, sel);
        const res = sub(matmul(z, sel), mul(u, tensor(Array.from(vals), [1, vals.length], op.dtype)));
        const residuals = Array.from(sum(mul(res, res), 0).dataSync(), Math.sqrt);
        return { z, u, vals, residuals, r };
      });
      matvecs += step.r;
      const done = tol > 0 && step.residuals.every((r, i) => r <= tol * Math.abs(step.vals[i]!));
      if (done || it >= q) {
        if (step.vals.length < k) throw new InputError(`${what}: the sketch spans only ${step.vals.length} < k = ${k} directions`);
        return {
          values: step.vals, vectors: step.u, residuals: step.residuals, iterations: it, matvecs,
          ...(tol > 0 ? { converged: done } : {}),
        };
      }
      y.dispose();
      step.u.dispose();
      y = step.z;
    }
  });
}

function selectColumns(w: ArrayLike<number>, r: number, cols: number[]): Float64Array {
  const out = new Float64Array(r * cols.length);
  for (let i = 0; i < r; i++) cols.forEach((c, j) => { out[i * cols.length + j] = w[i * r + c]!; });
  return out;
}
