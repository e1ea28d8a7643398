import { InputError, ShapeError } from '../errors.js';
import { concat, keep, mul, neg, sum, tidy, transpose } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type ChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { empiricalFisherOperator, isEmpiricalFisherOperator } from '../operators/empirical-fisher.js';
import { fitSolver, restoreSolver, type SolverName, type SolverOptions } from '../solvers/registry.js';
import type { FittedSolver, SolverState, SolveResult } from '../solvers/types.js';
import { loadFit, saveFit, type FitManifest } from './fit-store.js';
import { checkQueryRank, exactQueries, lowRankQueries, type QueryRankStats, type QueryScorer } from './query-rank.js';

export type HessianKind = 'exact' | 'gauss-newton' | 'empirical-fisher';

export interface InfluenceOptions {
  hessian?: HessianKind;
  solver?: SolverName;
  solverOptions?: SolverOptions;
  /** λ in (H + λI). */
  damping?: number;
  /** Examples per batch for HVPs and per-sample gradients. */
  batchSize?: number;
  /** Called after every curvature-operator product, during the fit and the solves (progress reporting). */
  onProduct?: () => void;
  /**
   * Scoring only: approximate each query (s_test row) per Linear layer by its best rank-r matrix
   * before scoring training points (Kronfluence's query rank; query-rank.ts). The error it makes
   * is reported in the scores' stats.queryRank. Absent: exact scores.
   */
  queryRank?: number;
}

/** Statistics of the solves behind a score matrix. */
export interface SolveStats {
  solves: number;
  iterations: number[];
  residualNorms: number[];
  converged: boolean;
  info: Record<string, unknown>[];
  /** Set when the queries were approximated (InfluenceOptions.queryRank): rank and relative errors. */
  queryRank?: QueryRankStats;
}

/**
 * Influence functions (Koh & Liang 2017; the reference tutorial 002_7d5b2182e0d2bf0b.txt):
 *   I_up,params(z)         = −H⁻¹·∇θℓ(z)
 *   I_up,loss(z, z_test)   = −∇θℓ(z_test)ᵀ·H⁻¹·∇θℓ(z)
 *   self-influence(z)      =  ∇θℓ(z)ᵀ·H⁻¹·∇θℓ(z)
 * with H the Hessian (or Gauss–Newton Hessian) of the training objective J plus damping. Scores use
 * the s_test trick: one solve s = H⁻¹·∇ℓ(z_test) per test point, then one dot product per training
 * point. Removing z from N training points changes the test loss by ≈ −I_up,loss(z, z_test)/N.
 *
 * The training data may be a ChunkSource (src/nn/chunk-source.ts): fitting then streams it, one
 * chunk in memory at a time, through every operator product (direct, cg, block-cg, neumann,
 * arnoldi, nystrom, diagonal), LiSSA draws its minibatches within chunks (minibatchHessianOperator),
 * and datainf gathers the N×P per-sample gradients chunk by chunk (that matrix is in memory by
 * the method's design). The source must be synchronous and re-iterable (each pass a fresh
 * iterator): an AsyncIterable cannot back a matvec. npyChunkSource reads .npy row ranges from disk.
 */
export class InfluenceModel {
  readonly operator: LinearOperator;
  readonly solver: FittedSolver;
  readonly batchSize: number;

  readonly train: Dataset | CheckedChunks;

  private constructor(readonly objective: Objective, readonly theta: Tensor, train: TrainingData, readonly options: InfluenceOptions, state?: SolverState) {
    this.batchSize = options.batchSize ?? 1024;
    // One validation pass over a chunk source, shared by every operator built on it.
    this.train = isChunkSource(train) ? CheckedChunks.of(train, objective, 'training data') : train;
    train = this.train;
    const curvature = { batchSize: options.batchSize ?? 4096, damping: options.damping ?? 0, ...(options.onProduct ? { onProduct: options.onProduct } : {}) };
    if (options.queryRank !== undefined) checkQueryRank(options.queryRank);
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
    // The operator declares all a solver needs beyond products (its shift, LiSSA's minibatch
    // products, DataInf's per-sample gradients, the layer blocks): the solver sees only it.
    try {
      this.solver = state
        ? restoreSolver(options.solver ?? 'direct', this.operator, state, options.solverOptions ?? {})
        : fitSolver(options.solver ?? 'direct', this.operator, options.solverOptions ?? {});
    } catch (err) {
      // A failed fit (not positive definite, bad solver options) frees what it built so far.
      if (isEmpiricalFisherOperator(this.operator)) this.operator.dispose();
      throw err;
    }
  }

  /** Fits the curvature and its solver (a Cholesky factorisation for `direct`); `train` in memory or a ChunkSource. */
  static fit(objective: Objective, theta: Tensor, train: TrainingData, options: InfluenceOptions = {}): InfluenceModel {
    return new InfluenceModel(objective, theta, train, options);
  }

  /**
   * The model with its solver rebuilt from a saved state (FittedSolver.state()) instead of fitted:
   * the low-level step behind InfluenceModel.load. Takes ownership of the state's tensors.
   */
  static restore(objective: Objective, theta: Tensor, train: TrainingData, options: InfluenceOptions, state: SolverState): InfluenceModel {
    return new InfluenceModel(objective, theta, train, options, state);
  }

  /**
   * Saves the fit (the solver's fitted stage as dir/solver.safetensors, dir/manifest.json pinning θ,
   * the architecture, loss, weight decay, N, hessian, damping, solver and options) so that
   * InfluenceModel.load can score in another process without refitting. All or nothing: written to
   * a temporary directory, then renamed into place. Returns the manifest.
   */
  save(dir: string): FitManifest {
    return saveFit(this, dir);
  }

  /**
   * A fit saved by save(dir), for the same objective, θ and training data (checked against the
   * manifest: a mismatch is a FitMismatchError naming the field). `options` given must agree with the
   * manifest (hessian, solver, damping, solver options); absent ones are taken from it. `onProduct`
   * and `batchSize` may be given freely. Nothing is refitted.
   */
  static load(dir: string, objective: Objective, theta: Tensor, train: TrainingData, options: InfluenceOptions = {}): InfluenceModel {
    return loadFit(dir, objective, theta, train, options);
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

  /**
   * A scorer of training data against preconditioned queries s [m, P] (e.g. s_test): score(data)
   * gives [n, m] = ∇θℓ(z_j)·s_t, one capture per batch of batchSize and no [n, P] gradient matrix
   * (Objective.gradientScores); with options.queryRank, s is first approximated per Linear layer
   * (query-rank.ts) and the scorer's stats say how well. Does not own s; dispose() frees its factors.
   */
  queryScorer(s: Tensor): QueryScorer {
    return this.options.queryRank !== undefined
      ? lowRankQueries(this.objective, this.theta, s, this.options.queryRank, this.batchSize)
      : exactQueries(this.objective, this.theta, s, this.batchSize);
  }

  /**
   * H⁻¹·G for the rows of G [m, P]: returns [m, P] and the solve statistics. A single gradient [P]
   * gives a vector [P]. The caller owns the result; nothing else stays allocated (no scope needed).
   */
  inverseHvp(g: Tensor): { x: Tensor; stats: SolveStats } {
    const P = this.theta.size;
    if ((g.rank !== 1 && g.rank !== 2) || g.shape[g.rank - 1] !== P) {
      throw new ShapeError(`inverseHvp: expected gradients [m, ${P}] or one gradient [${P}], got [${g.shape.join(', ')}]`);
    }
    const vector = g.rank === 1;
    // The solver takes right-hand sides as columns: [P] or [P, m]. The transposed copy is ours to
    // free whether the solve succeeds or throws (a vector is passed as it is: it is the caller's).
    const b = vector ? g : transpose(g);
    let r: SolveResult | undefined;
    try {
      r = this.solver.solve(b);
    } finally {
      if (b !== g && r?.x !== b) b.dispose();
    }
    const stats: SolveStats = {
      solves: vector ? 1 : g.shape[0]!, iterations: [r.iterations], residualNorms: [r.residualNorm], converged: r.converged, info: [r.info ?? {}],
    };
    if (vector) return { x: r.x, stats };
    const solved = r.x;
    const x = tidy(() => transpose(solved));
    if (x !== solved) solved.dispose();
    return { x, stats };
  }

  /** s_test = H⁻¹·∇ℓ(z_test) for each test point, [nTest, P]. */
  sTest(test: Dataset): { s: Tensor; stats: SolveStats } {
    const g = this.gradients(test);
    try {
      const out = this.inverseHvp(g);
      return { s: out.x, stats: out.stats };
    } finally {
      g.dispose();
    }
  }

  /**
   * I_up,loss(z_j, z_test,i) as an [nTest, nTrain] matrix, training data streamed in batches, each
   * scored against s_test from one capture (queryScorer: no per-example gradient matrix).
   * `onChunk` receives each block of columns as it is computed (for incremental writing). `train`
   * may be a ChunkSource (read chunk by chunk; the [nTest, nTrain] result is in memory).
   */
  influence(test: Dataset, train: TrainingData = this.train, onChunk?: (start: number, block: Tensor) => void): { scores: Tensor; stats: SolveStats } {
    const { s, stats } = this.sTest(test);
    let scorer: QueryScorer | null = null;
    try {
      scorer = this.queryScorer(s);
      if (scorer.stats) stats.queryRank = scorer.stats;
      const score = scorer.score;
      const blocks: Tensor[] = [];
      const scoreBatch = (start: number, b: Dataset): void => {
        // [m, n] = −s·Gᵀ, scored from one capture of the batch (never G itself).
        const block = keep(tidy(() => neg(transpose(score(b)))));
        onChunk?.(start, block);
        blocks.push(block);
      };
      try {
        this.forEachBatch(train, scoreBatch);
        // concat of one block may return that block itself: hand it over instead of freeing it.
        return { scores: blocks.length === 1 ? blocks.pop()! : tidy(() => concat(blocks, 1)), stats };
      } finally {
        for (const b of blocks) b.dispose();
      }
    } finally {
      scorer?.dispose();
      s.dispose();
    }
  }

  /** f(start, batch) over batches of at most batchSize rows of in-memory data or of each chunk of a source. */
  private forEachBatch(data: TrainingData, f: (start: number, batch: Dataset) => void): void {
    const visit = (d: Dataset, offset: number): void => {
      const n = d.x.shape[0]!;
      for (let start = 0; start < n; start += this.batchSize) tidy(() => f(offset + start, batchOf(d, start, this.batchSize)));
    };
    if (!isChunkSource(data)) { visit(data, 0); return; }
    const chunks = data === this.train ? data as CheckedChunks : CheckedChunks.of(data as ChunkSource, this.objective, 'training data');
    chunks.forEach((chunk, _index, start) => visit(chunk, start));
  }

  /** ∇ℓ(z)ᵀ·H⁻¹·∇ℓ(z) for each training point (one solve per point); `data` in memory or a ChunkSource. */
  selfInfluence(data: TrainingData = this.train): { scores: Tensor; stats: SolveStats } {
    const all: SolveStats = { solves: 0, iterations: [], residualNorms: [], converged: true, info: [] };
    const parts: Tensor[] = [];
    try {
      this.forEachBatch(data, (_start, b) => {
        parts.push(keep(tidy(() => {
          const g = this.gradients(b);
          const { x, stats } = this.inverseHvp(g);
          all.solves += stats.solves; all.iterations.push(...stats.iterations); all.residualNorms.push(...stats.residualNorms);
          all.converged &&= stats.converged; all.info.push(...stats.info);
          return sum(mul(g, x), 1);
        })));
      });
      return { scores: parts.length === 1 ? parts.pop()! : tidy(() => concat(parts, 0)), stats: all };
    } finally {
      for (const p of parts) p.dispose();
    }
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

