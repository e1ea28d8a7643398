import { InputError } from '../errors.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { layerBlocksOf, type Block } from '../operators/blocks.js';
import { hasPerSampleGradients, isEmpiricalFisherOperator } from '../operators/empirical-fisher.js';
import { inverseOperator, type DisposableOperator } from '../operators/inverse.js';
import { isStochasticOperator, type StochasticOperator } from '../operators/stochastic.js';
import type { Tensor } from '../tensor/tensor.js';
import { fitBlockCg } from './block-cg.js';
import { blockState, fitBlockDiagonalWith } from './blocks.js';
import { fitCg } from './cg.js';
import { fitDirect, restoreDirect } from './direct.js';
import { fitLissa, restoreLissa } from './lissa.js';
import { fitArnoldi, restoreLowRank } from './low-rank.js';
import { fitNeumann, restoreNeumann } from './neumann.js';
import { fitNystrom } from './nystrom.js';
import { jacobiPreconditionerFor, nystromPreconditioner, restorePreconditioner, type Preconditioner } from './preconditioners.js';
import { fitDataInf, fitDiagonal, restoreDataInf, restoreDiagonal } from './structured.js';
import type { FittedSolver, SolverState } from './types.js';
import { optionsOf } from './options.js';
import { fitKroneckerSolver, kroneckerPreconditioner, restoreKroneckerSolver, type BlockSolverFactory, type KroneckerSolverOptions } from './kronecker.js';

/**
 * Options any registered solver accepts; each reads the ones it knows. Each option's type,
 * default, meaning and readers are declared once, in SOLVER_OPTIONS (options.ts); SOLVER_INFO and
 * the CLI derive from it. One flat object so the CLI and the influence API can pass flags through.
 */
export interface SolverOptions {
  /**
   * λ added by the solver: it solves (A + λI)·x = b, on top of the shift A already contains
   * (a curvature operator's weight decay + damping; see DAMPING in src/operators/linear-operator.ts).
   */
  damping?: number;
  /** Seeds every random choice (probes, sketches, minibatches). Default 0. */
  seed?: number;
  /** cg, block-cg, neumann: stop when ‖r‖ ≤ max(rtol·‖b‖, atol). (Not LiSSA: see lissaRtol.) */
  rtol?: number;
  atol?: number;
  /** cg/block-cg: iterations; neumann: terms; arnoldi: Krylov basis; lissa: depth when `depth` is not given. */
  maxIter?: number;
  /** cg, block-cg: a preconditioner by name (built from the operator) or a function r ↦ M⁻¹r. */
  preconditioner?: 'jacobi' | 'nystrom' | 'kfac' | 'ekfac' | ((r: Tensor) => Tensor);
  /** cg, block-cg: initial guess. */
  x0?: Tensor;
  /** arnoldi, nystrom: the rank; cg/block-cg: the Nyström preconditioner's rank. Default min(10, n) (preconditioner: min(20, n)). */
  rank?: number;
  /** nystrom (solver and preconditioner): power iterations on the sketch. Default 0. */
  powerIterations?: number;
  /** arnoldi: Lanczos tolerance. */
  tol?: number;
  /** lissa, neumann: σ. */
  scale?: number;
  /** lissa: T. */
  depth?: number;
  /** lissa: R. */
  repeats?: number;
  /** lissa: minibatch size. */
  batchSize?: number;
  /** lissa: hyperparameters from recommendLissa (default when no scale is given). */
  auto?: boolean;
  /** lissa: pyDVL's dampen. */
  dampen?: number;
  /** lissa: early stop on the relative update (default 0: run T steps). */
  lissaRtol?: number;
  /** lissa (auto): bound on the relative sampling error the batch must meet; default 0.1, null = Theorem 1 only. */
  targetError?: number | null;
  /** diagonal, cg/block-cg with preconditioner 'jacobi': Hutchinson probes when the operator has no diagonal. */
  probes?: number;
  /** datainf, kfac, ekfac: per-block λ_l = 0.1 × the block's mean curvature eigenvalue (Kwon et al.; Kronfluence). */
  dampingHeuristic?: boolean;
  /** kfac, ekfac (and their preconditioners): the sampled true Fisher, labels drawn from the model, this many per example. */
  fisherSamples?: number;
  /** kfac, ekfac: the solver for parameters of layers they cannot factor (default: UnsupportedLayerError). */
  kroneckerFallback?: string;
  /** Solve per block of θ: true = one block per layer (the operator's declared `blocks`: curvature operators have them), or explicit blocks. */
  blockDiagonal?: boolean | readonly Block[];
  /** λ_l per block (block-diagonal mode and datainf), replacing `damping`. */
  perBlockDamping?: readonly number[];
  /** arnoldi, nystrom, diagonal, lissa, datainf: compute the true residual (one product per column). */
  computeResidual?: boolean;
  /** Keep residual histories (iterative methods). Default true. */
  history?: boolean;
}

type SolverFactory = (op: LinearOperator, options: SolverOptions) => FittedSolver;

function withPreconditioner(op: LinearOperator, o: SolverOptions, fit: (p: ((r: Tensor) => Tensor) | undefined) => FittedSolver,
  restored?: Preconditioner): FittedSolver {
  let built: Preconditioner | undefined;
  let fn: ((r: Tensor) => Tensor) | undefined;
  const damping = o.damping ?? 0;
  if (restored) {
    fn = built = restored;
  } else if (o.preconditioner === 'jacobi') {
    fn = built = jacobiPreconditionerFor(op, { damping, seed: o.seed ?? 0, ...(o.probes ? { probes: o.probes } : {}) });
  } else if (o.preconditioner === 'nystrom') {
    fn = built = nystromPreconditioner(op, o.rank ?? Math.min(20, op.size), { seed: o.seed ?? 0, damping });
  } else if (o.preconditioner === 'kfac' || o.preconditioner === 'ekfac') {
    fn = built = kroneckerPreconditioner(op, kroneckerPreconditionerOptions(o, o.preconditioner === 'ekfac'));
  } else if (typeof o.preconditioner === 'function') {
    fn = o.preconditioner;
  } else if (o.preconditioner !== undefined) {
    throw new InputError(`preconditioner must be 'jacobi', 'nystrom', 'kfac', 'ekfac' or a function, got '${String(o.preconditioner)}'`);
  }
  const solver = fit(fn);
  // The fitted stage is the preconditioner (CG itself keeps nothing between solves); a function given by the caller cannot be saved.
  if (!built) return fn ? solver : { ...solver, state: () => ({ tensors: {}, info: {} }) };
  const p = built;
  return {
    method: solver.method,
    solve: (b) => {
      const r = solver.solve(b);
      return { ...r, info: { ...(r.info ?? {}), preconditioner: { kind: p.kind, ...p.info } } };
    },
    state: () => {
      const st = p.state();
      return { tensors: Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [`preconditioner.${k}`, t])), info: { preconditioner: st.info } };
    },
    dispose: () => { solver.dispose(); p.dispose(); },
  };
}

function kroneckerPreconditionerOptions(o: SolverOptions, corrected: boolean) {
  return { corrected, damping: o.damping ?? 0, fisherSamples: o.fisherSamples, seed: o.seed };
}

function kroneckerOptions(o: SolverOptions, corrected: boolean): KroneckerSolverOptions {
  if (o.kroneckerFallback !== undefined && (!Object.hasOwn(SOLVERS, o.kroneckerFallback) || o.kroneckerFallback === 'kfac' || o.kroneckerFallback === 'ekfac')) {
    throw new InputError(`kroneckerFallback must be a solver other than kfac/ekfac (${Object.keys(SOLVERS).filter((n) => n !== 'kfac' && n !== 'ekfac').join(', ')}), got '${o.kroneckerFallback}'`);
  }
  return {
    corrected, damping: o.damping ?? 0, perBlockDamping: o.perBlockDamping, dampingHeuristic: o.dampingHeuristic, fisherSamples: o.fisherSamples,
    seed: o.seed, fallback: o.kroneckerFallback, computeResidual: o.computeResidual,
  };
}

/** How kfac/ekfac fit (or restore) their fallback solver on an unfactored block: the named solver with the other options. */
function fallbackFactory(o: SolverOptions): BlockSolverFactory {
  const name = o.kroneckerFallback ?? 'direct';
  const inner: SolverOptions = { ...o, blockDiagonal: false };
  delete inner.perBlockDamping; delete inner.kroneckerFallback; delete inner.dampingHeuristic;
  return (bop, damping, state) => (state ? restoreSolver(name, bop, state, { ...inner, damping }) : fitSolver(name, bop, { ...inner, damping }));
}

function cgOptions(o: SolverOptions, preconditioner: ((r: Tensor) => Tensor) | undefined) {
  return {
    ...(o.rtol !== undefined ? { rtol: o.rtol } : {}), ...(o.atol !== undefined ? { atol: o.atol } : {}),
    ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}), ...(o.x0 ? { x0: o.x0 } : {}),
    ...(preconditioner ? { preconditioner } : {}), damping: o.damping ?? 0, history: o.history ?? true,
  };
}

/** The StochasticOperator LiSSA runs on: `op` itself (curvature operators are), else an InputError saying what to pass. */
export function stochasticOperatorOf(op: LinearOperator): StochasticOperator {
  if (isStochasticOperator(op)) return op;
  throw new InputError(
    "solver 'lissa' needs minibatch products: pass a StochasticOperator (hessianOperator, gaussNewtonOperator, minibatchHessianOperator, finiteSumOperator); for a deterministic operator use 'neumann'");
}

function blocksOf(o: SolverOptions, op: LinearOperator, name: string): readonly Block[] | null {
  if (!o.blockDiagonal) return null;
  if (o.blockDiagonal === true) {
    const blocks = layerBlocksOf(op);
    if (!blocks) throw new InputError(`solver '${name}' with blockDiagonal: true needs an operator that declares its layer blocks (hessianOperator, gaussNewtonOperator, empiricalFisherOperator …), or pass explicit blocks`);
    return blocks;
  }
  return o.blockDiagonal;
}

function fitDataInfFor(op: LinearOperator, o: SolverOptions): FittedSolver {
  let gradients: Tensor;
  let owned = false;
  if (isEmpiricalFisherOperator(op)) {
    gradients = op.gradients();
  } else if (hasPerSampleGradients(op)) {
    gradients = op.perSampleGradients();
    owned = true;
  } else {
    throw new InputError(
      "solver 'datainf' needs per-sample gradients: pass an operator that has them (hessianOperator, gaussNewtonOperator, empiricalFisherOperator)");
  }
  // DataInf inverts (1/N)·Σ gᵢgᵢᵀ + λ: λ = the operator's declared shift + the solver's damping.
  const shift = isShiftedOperatorLike(op) ? op.shift : 0;
  try {
    const blocks = blocksOf(o, op, 'datainf');
    const lambda = shift + (o.damping ?? 0);
    return fitDataInf(gradients, {
      ...(lambda > 0 ? { damping: lambda } : {}),
      ...(blocks ? { blocks } : {}),
      ...(o.perBlockDamping ? { perBlockDamping: o.perBlockDamping } : {}),
      ...(o.dampingHeuristic ? { dampingHeuristic: true } : {}),
      ...(o.computeResidual ? { residualOperator: op, residualDamping: o.damping ?? 0 } : {}),
    });
  } finally {
    if (owned) gradients.dispose();
  }
}

function isShiftedOperatorLike(op: LinearOperator): op is LinearOperator & { shift: number } {
  return typeof (op as { shift?: unknown }).shift === 'number';
}

/**
 * Every solver by name: the CLI's --solver and the influence API take any of these. Each factory
 * gets the operator A and the shared options; it fits once (factors, sketches, eigenpairs,
 * recommended hyperparameters) and returns a FittedSolver for (A + λI)·x = b. Everything a solver
 * needs beyond products — the shift inside A, minibatch products, per-sample gradients, layer
 * blocks — the operator declares itself (src/operators).
 */
export const SOLVERS = {
  direct: (op, o) => fitDirect(op, { damping: o.damping ?? 0 }),
  // The preconditioner sees the declared weight-decay shift (an estimated Jacobi diagonal adds it exactly).
  cg: (op, o) => withPreconditioner(op, o, (p) => fitCg(op, cgOptions(o, p))),
  'block-cg': (op, o) => withPreconditioner(op, o, (p) => fitBlockCg(op, cgOptions(o, p))),
  lissa: (op, o) => fitLissa(stochasticOperatorOf(op), lissaOptions(o)),
  neumann: (op, o) => fitNeumann(op, neumannOptions(o)),
  arnoldi: (op, o) => fitArnoldi(op, {
    damping: o.damping ?? 0, seed: o.seed ?? 0, computeResidual: o.computeResidual ?? false,
    ...(o.rank !== undefined ? { rank: o.rank } : {}), ...(o.tol !== undefined ? { tol: o.tol } : {}),
    ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}),
  }),
  nystrom: (op, o) => fitNystrom(op, {
    damping: o.damping ?? 0, seed: o.seed ?? 0, computeResidual: o.computeResidual ?? false, ...(o.rank !== undefined ? { rank: o.rank } : {}),
    ...(o.powerIterations !== undefined ? { powerIterations: o.powerIterations } : {}),
  }),
  datainf: fitDataInfFor,
  diagonal: (op, o) => fitDiagonal(op, diagonalOptions(o)),
  kfac: (op, o) => fitKroneckerSolver(op, kroneckerOptions(o, false), fallbackFactory(o)),
  ekfac: (op, o) => fitKroneckerSolver(op, kroneckerOptions(o, true), fallbackFactory(o)),
} satisfies Record<string, SolverFactory>;

function lissaOptions(o: SolverOptions) {
  return {
    damping: o.damping ?? 0, seed: o.seed ?? 0, history: o.history ?? true, computeResidual: o.computeResidual ?? false,
    ...(o.scale !== undefined ? { scale: o.scale } : {}),
    ...(o.depth !== undefined || o.maxIter !== undefined ? { depth: o.depth ?? o.maxIter! } : {}),
    ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.auto !== undefined ? { auto: o.auto } : {}),
    ...(o.dampen !== undefined ? { dampen: o.dampen } : {}),
    ...(o.lissaRtol !== undefined ? { rtol: o.lissaRtol } : {}),
    ...(o.targetError !== undefined ? { targetError: o.targetError } : {}),
  };
}

function neumannOptions(o: SolverOptions) {
  return {
    damping: o.damping ?? 0, seed: o.seed ?? 0, history: o.history ?? true,
    ...(o.scale !== undefined ? { scale: o.scale } : {}), ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}),
    ...(o.rtol !== undefined ? { rtol: o.rtol } : {}), ...(o.atol !== undefined ? { atol: o.atol } : {}),
  };
}

function diagonalOptions(o: SolverOptions) {
  return { damping: o.damping ?? 0, seed: o.seed ?? 0, computeResidual: o.computeResidual ?? false, ...(o.probes ? { probes: o.probes } : {}) };
}

export type SolverName = keyof typeof SOLVERS;

/** What each solver needs and reads (derived from SOLVER_OPTIONS), for help texts and reports. */
export const SOLVER_INFO: Record<SolverName, { needs: 'operator' | 'minibatch products' | 'per-sample gradients' | 'layer captures'; options: string[]; description: string }> = {
  direct: { needs: 'operator', options: optionsOf('direct'), description: 'dense Cholesky (eigh when indefinite); n operator products' },
  cg: { needs: 'operator', options: optionsOf('cg'), description: 'conjugate gradients, one right-hand side at a time' },
  'block-cg': { needs: 'operator', options: optionsOf('block-cg'), description: 'breakdown-free block CG (Ji & Li 2017), all right-hand sides at once' },
  lissa: { needs: 'minibatch products', options: optionsOf('lissa'), description: 'stochastic Neumann series (Agarwal et al. 2017), hyperparameters per Theorem 1 of 003' },
  neumann: { needs: 'operator', options: optionsOf('neumann'), description: 'scaled truncated Neumann series with full products' },
  arnoldi: { needs: 'operator', options: optionsOf('arnoldi'), description: 'top-k eigenpairs by Lanczos, low-rank inverse with damped complement' },
  nystrom: { needs: 'operator', options: optionsOf('nystrom'), description: 'randomized Nyström sketch-and-solve (Woodbury)' },
  datainf: { needs: 'per-sample gradients', options: optionsOf('datainf'), description: 'inverse harmonic mean of rank-one terms (Kwon et al. 2023)' },
  diagonal: { needs: 'operator', options: optionsOf('diagonal'), description: 'x = b / (diag(A) + λ), diagonal exact or by Hutchinson' },
  kfac: { needs: 'layer captures', options: optionsOf('kfac'), description: 'Kronecker-factored curvature A ⊗ G per Linear layer (Martens & Grosse 2015), inverted in its eigenbasis' },
  ekfac: { needs: 'layer captures', options: optionsOf('ekfac'), description: 'K-FAC with eigenvalues corrected to the gradients\' second moments in the Kronecker eigenbasis (George et al. 2018)' },
};

/**
 * A solver `name` fitted for `op` (+ damping). With `options.blockDiagonal` it is fitted per block
 * (one per layer, or the blocks given; λ per block from `perBlockDamping`). Unknown names and
 * missing requirements (lissa without minibatch products, datainf without gradients) are InputErrors.
 */
export function fitSolver(name: string, op: LinearOperator, options: SolverOptions = {}): FittedSolver {
  const make = Object.hasOwn(SOLVERS, name) ? (SOLVERS as Record<string, SolverFactory>)[name] : undefined;
  if (!make) throw new InputError(`unknown solver '${name}': expected one of ${Object.keys(SOLVERS).join(', ')}`);
  if (name === 'datainf') return make(op, options);
  if (name === 'kfac' || name === 'ekfac') {
    if (options.blockDiagonal) throw new InputError(`solver '${name}' is block-diagonal by layer already: drop blockDiagonal (per-layer damping: perBlockDamping)`);
    return make(op, options);
  }
  const blocks = blocksOf(options, op, name);
  if (!blocks) return make(op, options);
  return fitBlockDiagonal(name === 'lissa' ? stochasticOperatorOf(op) : op, blocks, name as SolverName, options, options.perBlockDamping);
}

/**
 * (A + λI)⁻¹ as a LinearOperator: solver `name` fitted once for `op` (λ = options.damping), its
 * matvec a solve and its matmat a solve of all columns at once — so H⁻¹ composes with
 * sumOperator, scaledOperator, chainOperator and blockDiagonalOf like any other operator.
 * dispose() frees the fitted solver. Exact to the solver's tolerance (direct: round-off).
 */
export function inverseOf(op: LinearOperator, name: string, options: SolverOptions = {}): DisposableOperator {
  return inverseOperator(op, fitSolver(name, op, options));
}

/**
 * A block-diagonal solver: `solverName` fitted independently on each block of `op`
 * (restrictToBlock), or on the operator a factory builds per block (e.g. a per-layer curvature
 * operator that differentiates only that layer's parameters — cheaper than restricting the full
 * product), block l with damping perBlockDamping[l] (default options.damping). Blocks must
 * partition [0, n) in order; blocksFromModel(model) gives one per layer.
 */
export function fitBlockDiagonal(
  op: LinearOperator | ((block: Block, index: number) => LinearOperator), blocks: readonly Block[], solverName: SolverName,
  options: SolverOptions = {}, perBlockDamping?: readonly number[],
): FittedSolver {
  const make = Object.hasOwn(SOLVERS, solverName) ? (SOLVERS as Record<string, SolverFactory>)[solverName] : undefined;
  if (!make) throw new InputError(`unknown solver '${solverName}': expected one of ${Object.keys(SOLVERS).join(', ')}`);
  if (perBlockDamping && perBlockDamping.length !== blocks.length) {
    throw new InputError(`block-diagonal: perBlockDamping has ${perBlockDamping.length} entries for ${blocks.length} blocks`);
  }
  const inner: SolverOptions = { ...options, blockDiagonal: false };
  delete inner.perBlockDamping;
  if (inner.x0) throw new InputError('block-diagonal: x0 is not supported per block');
  // A rank larger than a block is capped at the block's size (the low-rank methods are then exact on it).
  return fitBlockDiagonalWith(op, blocks, (bop, i) => make(bop, {
    ...inner, damping: perBlockDamping?.[i] ?? options.damping ?? 0, ...(inner.rank !== undefined ? { rank: Math.min(inner.rank, bop.size) } : {}),
  }));
}


type SolverRestorer = (op: LinearOperator, options: SolverOptions, state: SolverState) => FittedSolver;

function preconditionerState(state: SolverState): SolverState | null {
  const info = state.info['preconditioner'];
  if (info === undefined) return null;
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state.tensors)) if (k.startsWith('preconditioner.')) tensors[k.slice('preconditioner.'.length)] = t;
  return { tensors, info: info as Record<string, unknown> };
}

function restoreWithPreconditioner(op: LinearOperator, o: SolverOptions, state: SolverState, fit: (p: ((r: Tensor) => Tensor) | undefined) => FittedSolver): FittedSolver {
  const ps = preconditionerState(state);
  if (ps && typeof o.preconditioner === 'string' && ps.info['kind'] !== o.preconditioner) {
    throw new InputError(`the saved state has a ${String(ps.info['kind'])} preconditioner, the options ask for ${o.preconditioner}`);
  }
  if (!ps && typeof o.preconditioner === 'string') {
    throw new InputError(`the saved state has no ${o.preconditioner} preconditioner`);
  }
  const { preconditioner: _, ...rest } = o;
  const kind = ps?.info['kind'];
  const restored = !ps ? undefined : kind === 'kfac' || kind === 'ekfac'
    ? kroneckerPreconditioner(op, kroneckerPreconditionerOptions(o, kind === 'ekfac'), ps)
    : restorePreconditioner(ps, op.size);
  return withPreconditioner(op, rest, fit, restored);
}

/**
 * How each solver is rebuilt from its saved state (FittedSolver.state()) without refitting: the
 * factor, eigenpairs, sketch, preconditioner, diagonal, gradients or tuned hyperparameters come from
 * the state, everything else from the options (as given to fitSolver). A later fitted stage plugs
 * in here under its solver's name.
 */
export const SOLVER_RESTORERS: Record<SolverName, SolverRestorer> = {
  direct: (op, _o, st) => restoreDirect(op, st),
  cg: (op, o, st) => restoreWithPreconditioner(op, o, st, (p) => fitCg(op, cgOptions(o, p))),
  'block-cg': (op, o, st) => restoreWithPreconditioner(op, o, st, (p) => fitBlockCg(op, cgOptions(o, p))),
  lissa: (op, o, st) => restoreLissa(stochasticOperatorOf(op), lissaOptions(o), st),
  neumann: (op, o, st) => restoreNeumann(op, neumannOptions(o), st),
  arnoldi: (op, _o, st) => restoreLowRank(op, st),
  nystrom: (op, _o, st) => restoreLowRank(op, st),
  datainf: (op, o, st) => restoreDataInf(st, o.computeResidual ? { residualOperator: op, residualDamping: o.damping ?? 0 } : {}),
  diagonal: (op, o, st) => restoreDiagonal(op, diagonalOptions(o), st),
  kfac: (op, o, st) => restoreKroneckerSolver(op, kroneckerOptions(o, false), st, fallbackFactory(o)),
  ekfac: (op, o, st) => restoreKroneckerSolver(op, kroneckerOptions(o, true), st, fallbackFactory(o)),
};

/**
 * The solver `name` rebuilt for `op` from `state` (what fitSolver(name, op, options).state()
 * returned), with the same options: no operator products beyond what solves need. Takes ownership
 * of the state's tensors. A state that does not fit (missing tensors, wrong sizes, another solver's
 * blocks) is an InputError.
 */
export function restoreSolver(name: string, op: LinearOperator, state: SolverState, options: SolverOptions = {}): FittedSolver {
  const restore = Object.hasOwn(SOLVER_RESTORERS, name) ? SOLVER_RESTORERS[name as SolverName] : undefined;
  if (!restore) throw new InputError(`unknown solver '${name}': expected one of ${Object.keys(SOLVERS).join(', ')}`);
  if (name === 'datainf' || name === 'kfac' || name === 'ekfac') return restore(op, options, state);
  const blocks = blocksOf(options, op, name);
  const saved = state.info['blockDiagonal'] as { blocks?: unknown } | undefined;
  if (!blocks) {
    if (saved) throw new InputError(`solver '${name}': the saved state is block-diagonal, the options are not`);
    return restore(op, options, state);
  }
  if (!saved || !Array.isArray(saved.blocks) || JSON.stringify(saved.blocks) !== JSON.stringify(blocks.map((b) => ({ ...b })))) {
    throw new InputError(`solver '${name}': the saved state's blocks ${JSON.stringify(saved?.blocks ?? null)} differ from the operator's ${JSON.stringify(blocks)}`);
  }
  const perBlockDamping = options.perBlockDamping;
  const inner: SolverOptions = { ...options, blockDiagonal: false };
  delete inner.perBlockDamping;
  return fitBlockDiagonalWith(name === 'lissa' ? stochasticOperatorOf(op) : op, blocks, (bop, i) => restore(bop, {
    ...inner, damping: perBlockDamping?.[i] ?? options.damping ?? 0, ...(inner.rank !== undefined ? { rank: Math.min(inner.rank, bop.size) } : {}),
  }, blockState(state, i)));
}
