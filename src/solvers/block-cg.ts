import type { CgOptions } from './cg.js';
import type { FloatDType } from '../backend/types.js';
import { InputError, NotPositiveDefiniteError } from '../errors.js';
import { add, keep, matmul, mul, reshape, sub, tensor, tidy, zerosLike } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import {
  applyPreconditioner, checkNonNegative, checkTolerances, columnNorms, dampedApply, epsilonOf, requireSymmetric,
  restoreShape, rhsBlock, selectColumns, spreadColumns,
} from './common.js';
import { matmulHost, symmetricEigen, symmetrize } from './small-dense.js';
import type { FittedSolver, SolveResult } from './types.js';

/**
 * CG's options, read per column: rtol/atol per column, maxIter counts block iterations, x0 has the
 * shape of b, and a preconditioner marked `acceptsBlocks` (those of preconditioners.ts) is called
 * on [n, a] blocks, any other column by column. History keeps the largest column residual.
 */
export interface BlockCgOptions extends CgOptions {
  /** Directions of the search block whose relative singular value (after scaling the columns to
   *  unit norm) falls below this are dropped as linearly dependent. Default √(1e3·ε): 4.7e-7 in
   *  float64, 1.1e-2 in float32 (the Gram matrix squares the condition number). */
  dropTolerance?: number;
}

/**
 * Rank-revealing orthonormalization of the columns of S [n, m] (SVQB: Stathopoulos & Wu 2002,
 * "A block orthogonalization procedure with constant synchronization requirements"): scale the
 * columns to unit norm, eigendecompose the Gram matrix SᵀS = V·Θ·Vᵀ, keep the directions with
 * √θ > drop·√θ_max and return S·V·Θ^(-1/2), then repeat once for orthogonality to working
 * precision. Returns null when nothing is left (S numerically zero).
 */
export function orthonormalize(s: Tensor, drop: number): Tensor | null {
  return tidy(() => {
    const dtype = s.dtype as FloatDType;
    const norms = columnNorms(s);
    let maxNorm = 0;
    for (const v of norms) maxNorm = Math.max(maxNorm, v);
    const keepCols: number[] = [];
    norms.forEach((v, j) => { if (v > 0 && Number.isFinite(v) && v > 1e-300 && v > maxNorm * 1e-150) keepCols.push(j); });
    if (keepCols.length === 0 || !(maxNorm > 0)) return null;
    let q = selectColumns(s, keepCols);
    const scale = tensor(Float64Array.from(keepCols, (j) => 1 / norms[j]!), [1, keepCols.length], dtype);
    q = mul(q, scale);
    for (let pass = 0; pass < 2; pass++) {
      const m = q.shape[1]!;
      const g = symmetrize(Float64Array.from(matmul(q, q, { transA: true }).dataSync()), m);
      const { values, vectors } = symmetricEigen(g, m);
      const thetaMax = values[m - 1]!;
      if (!(thetaMax > 0)) return null;
      const kept: number[] = [];
      for (let i = m - 1; i >= 0; i--) if (values[i]! > (drop * drop) * thetaMax && values[i]! > 0) kept.push(i);
      if (kept.length === 0) return null;
      const w = new Float64Array(m * kept.length);
      kept.forEach((col, j) => {
        const f = 1 / Math.sqrt(values[col]!);
        for (let i = 0; i < m; i++) w[i * kept.length + j] = vectors[i * m + col]! * f;
      });
      q = matmul(q, tensor(w, [m, kept.length], dtype));
    }
    return q;
  });
}

/**
 * Breakdown-free block conjugate gradients (Ji & Li 2017, "A breakdown-free block conjugate
 * gradient method", BIT Numer. Math. 57, Alg. 3 with preconditioning) for (A + λI)·X = B with
 * many right-hand sides at once:
 *
 *   R₀ = B − A·X₀,  Z₀ = M·R₀,  P₀ = orth(Z₀)
 *   Qᵢ = A·Pᵢ,  αᵢ = (PᵢᵀQᵢ)⁻¹·PᵢᵀRᵢ,  Xᵢ₊₁ = Xᵢ + Pᵢαᵢ,  Rᵢ₊₁ = Rᵢ − Qᵢαᵢ
 *   Zᵢ₊₁ = M·Rᵢ₊₁,  βᵢ = −(PᵢᵀQᵢ)⁻¹·QᵢᵀZᵢ₊₁,  Pᵢ₊₁ = orth(Zᵢ₊₁ + Pᵢβᵢ)
 *
 * `orth` is rank revealing (see `orthonormalize`), so a block whose columns become linearly
 * dependent — duplicate right-hand sides, or residuals that span less than k directions — just
 * shrinks instead of making PᵀAP singular (the breakdown of O'Leary's original block CG).
 * Converged columns are frozen and leave the block (their X and R stay fixed); the other columns
 * keep the Galerkin property, since their residuals stay orthogonal to every earlier search block.
 * Since P has orthonormal columns, the eigenvalues of PᵀAP are Rayleigh quotients of A: one ≤ 0
 * means A is not positive definite, reported as NotPositiveDefiniteError (value = that quotient).
 */
export function blockCg(op: LinearOperator, b: Tensor, options: BlockCgOptions = {}): SolveResult {
  const { rtol, atol, maxIter, damping, drop } = checkOptions(op, options);
  const bb = rhsBlock(op, b, 'block-cg');
  const n = op.size, k = bb.shape[1]!;
  const dtype = op.dtype;
  const apply = dampedApply(op, damping);
  const precond = options.preconditioner;
  if (options.x0 && (options.x0.shape.length !== b.shape.length || options.x0.shape.some((d, i) => d !== b.shape[i]))) {
    throw new InputError(`block-cg: x0 has shape [${options.x0.shape.join(', ')}], b has [${b.shape.join(', ')}]`);
  }
  return tidy(() => {
    const bNorms = columnNorms(bb);
    const tol = Float64Array.from(bNorms, (v) => Math.max(rtol * v, atol));
    let x = options.x0 ? add(restoreBlock(options.x0, n), 0) : zerosLike(bb);
    let r = options.x0 ? sub(bb, apply(x)) : add(bb, 0);
    let rNorms = columnNorms(r);
    const iterationsOf = new Int32Array(k).fill(-1);
    const active = (): number[] => {
      const a: number[] = [];
      for (let j = 0; j < k; j++) {
        if (rNorms[j]! <= tol[j]!) { if (iterationsOf[j] === -1) iterationsOf[j] = iteration; } else a.push(j);
      }
      return a;
    };
    let iteration = 0;
    const history = [Math.max(...rNorms)];
    let act = active();
    let p: Tensor | null = null;
    let products = 0;
    if (act.length > 0) {
      if (!rNorms.every(Number.isFinite)) throw new InputError('block-cg: the initial residual contains NaN or Inf');
      p = orthonormalize(applyPreconditioner(precond ?? ((v) => v), selectColumns(r, act)), drop);
    }
    while (act.length > 0 && p && iteration < maxIter) {
      const step = tidy(() => {
        const rr = p!.shape[1]!;
        const q = apply(p!);
        products += rr;
        const ptq = symmetrize(Float64Array.from(matmul(p!, q, { transA: true }).dataSync()), rr);
        const { values, vectors } = symmetricEigen(ptq, rr);
        if (!(values[0]! > 0) || !values.every(Number.isFinite)) {
          if (!values.every(Number.isFinite)) throw new InputError(`block-cg: the operator produced NaN or Inf at iteration ${iteration}`);
          throw new NotPositiveDefiniteError(
            `block-cg: non-positive curvature: PᵀAP has eigenvalue ${values[0]} (a Rayleigh quotient of A) at iteration ${iteration}: the operator is not positive definite; add damping or use a solver for indefinite systems`,
            iteration, values[0]!);
        }
        // (PᵀAP)⁻¹ = V·diag(1/θ)·Vᵀ on the host.
        const inv = new Float64Array(rr * rr);
        for (let i = 0; i < rr; i++) {
          for (let j = 0; j < rr; j++) {
            let s = 0;
            for (let l = 0; l < rr; l++) s += vectors[i * rr + l]! * vectors[j * rr + l]! / values[l]!;
            inv[i * rr + j] = s;
          }
        }
        const ra = selectColumns(r, act);
        const ptr = Float64Array.from(matmul(p!, ra, { transA: true }).dataSync());
        const alpha = spreadColumns(matmulHost(inv, ptr, rr, rr, act.length), rr, act, k, dtype);
        const x1 = add(x, matmul(p!, alpha));
        const r1 = sub(r, matmul(q, alpha));
        const norms = columnNorms(r1);
        return { x1, r1, q, inv, norms };
      });
      iteration++;
      x.dispose(); r.dispose();
      x = step.x1; r = step.r1; rNorms = step.norms;
      if (!rNorms.every(Number.isFinite)) throw new InputError(`block-cg: residual became NaN/Inf at iteration ${iteration}; check the operator and b`);
      if (options.history !== false) history.push(Math.max(...rNorms));
      act = active();
      if (act.length === 0 || iteration >= maxIter) { step.q.dispose(); break; }
      const next = tidy(() => {
        const z = applyPreconditioner(precond ?? ((v) => v), selectColumns(r, act));
        const rr = p!.shape[1]!;
        const qtz = Float64Array.from(matmul(step.q, z, { transA: true }).dataSync());
        const beta = matmulHost(step.inv, qtz, rr, rr, act.length).map((v) => -v);
        return orthonormalize(add(z, matmul(p!, tensor(beta, [rr, act.length], dtype))), drop);
      });
      step.q.dispose();
      p.dispose();
      p = next ? keep(next) : null;
    }
    p?.dispose();
    const converged = act.length === 0;
    const residualNorm = Math.max(...rNorms);
    return {
      x: restoreShape(x, b), method: 'block-cg', iterations: iteration, residualNorm, converged,
      ...(options.history !== false ? { history } : {}),
      info: {
        operatorProducts: products,
        perColumn: Array.from({ length: k }, (_, j) => ({
          iterations: iterationsOf[j] === -1 ? iteration : iterationsOf[j]!, residualNorm: rNorms[j]!, converged: rNorms[j]! <= tol[j]!,
        })),
        tolerance: Array.from(tol),
        ...(p === null && !converged ? { stagnated: 'the search block became numerically zero' } : {}),
      },
    };
  });
}

function restoreBlock(x0: Tensor, n: number): Tensor {
  return x0.rank === 1 ? reshape(x0, [n, 1]) : x0;
}

function checkOptions(op: LinearOperator, options: BlockCgOptions): { rtol: number; atol: number; maxIter: number; damping: number; drop: number } {
  requireSymmetric(op, 'block-cg');
  const rtol = options.rtol ?? 1e-6, atol = options.atol ?? 0;
  checkTolerances('block-cg', rtol, atol);
  const maxIter = options.maxIter ?? 10 * op.size;
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new InputError(`block-cg: maxIter must be a non-negative integer, got ${options.maxIter}`);
  const damping = options.damping ?? 0;
  if (!Number.isFinite(damping)) throw new InputError(`block-cg: damping must be finite, got ${damping}`);
  const drop = options.dropTolerance ?? Math.sqrt(1e3 * epsilonOf(op.dtype));
  checkNonNegative('block-cg', 'dropTolerance', drop);
  return { rtol, atol, maxIter, damping, drop };
}

/** Block CG as a fitted solver (nothing to factor; options fixed once). */
export function fitBlockCg(op: LinearOperator, options: BlockCgOptions = {}): FittedSolver {
  checkOptions(op, options);
  return { method: 'block-cg', solve: (b) => blockCg(op, b, options), dispose: () => {} };
}
