import { InputError } from '../errors.js';
import { concat, matmul, mul, neg, sum, tidy, transpose } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { empiricalFisherOperator, isEmpiricalFisherOperator } from '../solvers/structured.js';
import { fitSolver, type SolverName, type SolverOptions } from '../solvers/registry.js';
import type { FittedSolver, SolveResult } from '../solvers/types.js';

export type HessianKind = 'exact' | 'gauss-newton' | 'empirical-fisher';

export interface InfluenceOptions {
  hessian?: HessianKind;
  solver?: SolverName;
  solverOptions?: SolverOptions;
  /** λ in (H + λI). */
  damping?: number;
  /** Examples per batch for HVPs and per-sample gradients. */
  batchSize?: number;
}

/** Statistics of the solves behind a score matrix. */
export interface SolveStats {
  solves: number;
  iterations: number[];
  residualNorms: number[];
  converged: boolean;
  info: Record<string, unknown>[];
}

/**
 * Influence functions (Koh & Liang 2017; the reference tutorial 002_7d5b2182e0d2bf0b.txt):
 *   I_up,params(z)         = −H⁻¹·∇θℓ(z)
 *   I_up,loss(z, z_test)   = −∇θℓ(z_test)ᵀ·H⁻¹·∇θℓ(z)
 *   self-influence(z)      =  ∇θℓ(z)ᵀ·H⁻¹·∇θℓ(z)
 * with H the Hessian (or Gauss–Newton Hessian) of the training objective J plus damping. Scores use
 * the s_test trick: one solve s = H⁻¹·∇ℓ(z_test) per test point, then one dot product per training
 * point. Removing z from N training points changes the test loss by ≈ −I_up,loss(z, z_test)/N.
 */
export class InfluenceModel {
  readonly operator: LinearOperator;
  readonly solver: FittedSolver;
  readonly batchSize: number;

  private constructor(readonly objective: Objective, readonly theta: Tensor, readonly train: Dataset, options: InfluenceOptions) {
    this.batchSize = options.batchSize ?? 1024;
    const curvature = { batchSize: options.batchSize ?? 4096, damping: options.damping ?? 0 };
    const kind = options.hessian ?? 'exact';
    if (kind !== 'exact' && kind !== 'gauss-newton' && kind !== 'empirical-fisher') {
      throw new InputError(`hessian must be 'exact', 'gauss-newton' or 'empirical-fisher', got '${String(kind)}'`);
    }
    if (kind === 'empirical-fisher' && options.solver === 'lissa') {
      throw new InputError("solver 'lissa' samples minibatch Hessian or Gauss-Newton products; with hessian 'empirical-fisher' use another solver");
    }
    this.operator = kind === 'exact'
      ? hessianOperator(objective, theta, train, curvature)
      : kind === 'gauss-newton'
        ? gaussNewtonOperator(objective, theta, train, curvature)
        : empiricalFisherOperator(objective, theta, train, { damping: curvature.damping, batchSize: this.batchSize });
    // The context lets solvers that need more than products (LiSSA: minibatch HVPs; DataInf:
    // per-example gradients) and those that keep the damping outside a sketch see the problem.
    this.solver = fitSolver(options.solver ?? 'direct', this.operator, options.solverOptions ?? {}, {
      objective, theta, data: train, ...(kind === 'empirical-fisher' ? {} : { hessian: kind }), damping: curvature.damping, batchSize: curvature.batchSize,
    });
  }

  /** Fits the curvature and its solver (a Cholesky factorisation for `direct`). */
  static fit(objective: Objective, theta: Tensor, train: Dataset, options: InfluenceOptions = {}): InfluenceModel {
    return new InfluenceModel(objective, theta, train, options);
  }

  /** Per-example loss gradients [n, P] (no weight decay), batch by batch. */
  gradients(data: Dataset): Tensor {
    this.objective.validate(data);
    return tidy(() => {
      const n = data.x.shape[0]!;
      const parts: Tensor[] = [];
      for (let start = 0; start < n; start += this.batchSize) {
        parts.push(this.objective.perSampleGradients(this.theta, batchOf(data, start, this.batchSize)));
      }
      return concat(parts, 0);
    });
  }

  /** H⁻¹·G for the rows of G [m, P]: returns [m, P] and the solve statistics. */
  inverseHvp(g: Tensor): { x: Tensor; stats: SolveStats } {
    const r: SolveResult = this.solver.solve(transpose(g));
    const stats: SolveStats = {
      solves: g.shape[0]!, iterations: [r.iterations], residualNorms: [r.residualNorm], converged: r.converged, info: [r.info ?? {}],
    };
    const x = tidy(() => transpose(r.x));
    r.x.dispose();
    return { x, stats };
  }

  /** s_test = H⁻¹·∇ℓ(z_test) for each test point, [nTest, P]. */
  sTest(test: Dataset): { s: Tensor; stats: SolveStats } {
    const g = this.gradients(test);
    const out = this.inverseHvp(g);
    g.dispose();
    return { s: out.x, stats: out.stats };
  }

  /**
   * I_up,loss(z_j, z_test,i) as an [nTest, nTrain] matrix, training gradients streamed in chunks.
   * `onChunk` receives each block of columns as it is computed (for incremental writing).
   */
  influence(test: Dataset, train: Dataset = this.train, onChunk?: (start: number, block: Tensor) => void): { scores: Tensor; stats: SolveStats } {
    const { s, stats } = this.sTest(test);
    try {
      const n = train.x.shape[0]!;
      const scores = tidy(() => {
        const blocks: Tensor[] = [];
        for (let start = 0; start < n; start += this.batchSize) {
          const block = tidy(() => neg(matmul(s, this.gradients(batchOf(train, start, this.batchSize)), { transB: true })));
          onChunk?.(start, block);
          blocks.push(block);
        }
        return concat(blocks, 1);
      });
      return { scores, stats };
    } finally {
      s.dispose();
    }
  }

  /** ∇ℓ(z)ᵀ·H⁻¹·∇ℓ(z) for each training point (one solve per point). */
  selfInfluence(data: Dataset = this.train): { scores: Tensor; stats: SolveStats } {
    const n = data.x.shape[0]!;
    const all: SolveStats = { solves: 0, iterations: [], residualNorms: [], converged: true, info: [] };
    const scores = tidy(() => {
      const parts: Tensor[] = [];
      for (let start = 0; start < n; start += this.batchSize) {
        parts.push(tidy(() => {
          const g = this.gradients(batchOf(data, start, this.batchSize));
          const { x, stats } = this.inverseHvp(g);
          all.solves += stats.solves; all.iterations.push(...stats.iterations); all.residualNorms.push(...stats.residualNorms);
          all.converged &&= stats.converged; all.info.push(...stats.info);
          return sum(mul(g, x), 1);
        }));
      }
      return concat(parts, 0);
    });
    return { scores, stats: all };
  }

  /** I_up,params(z) = −H⁻¹·∇ℓ(z) for each point, [n, P] (the parameter change per unit upweighting). */
  parameterInfluence(data: Dataset): Tensor {
    return tidy(() => {
      const { x } = this.inverseHvp(this.gradients(data));
      return neg(x);
    });
  }

  dispose(): void {
    this.solver.dispose();
    if (isEmpiricalFisherOperator(this.operator)) this.operator.dispose();
  }
}

