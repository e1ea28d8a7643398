import type { SolverName, SolverOptions } from './registry.js';

/**
 * Every solver option, declared once: its name (a SolverOptions key), type, default, meaning (one
 * meaning per name), and which solvers read it. SOLVER_INFO's per-solver option lists, the CLI's
 * flag applicability (src/cli/solver-flags.ts) and its --help texts (src/cli/program.ts) all derive
 * from this table.
 */
export interface SolverOptionSpec {
  readonly type: string;
  /** The library default, in words. */
  readonly default: string;
  /** What it means, the same for every solver that reads it. */
  readonly meaning: string;
  /** The solvers that always read it. */
  readonly readBy: readonly SolverName[];
  /** Solvers that read it only with a preconditioner (`any`, the Nyström one, or a Kronecker one: kfac/ekfac). */
  readonly withPreconditioner?: { readonly solvers: readonly SolverName[]; readonly kind: 'any' | 'nystrom' | 'kronecker' };
  /** The `curvature influence` flag that sets it, with its metavariable and CLI default when it differs. */
  readonly cli?: { readonly flag: string; readonly arg?: string; readonly default?: string; readonly choices?: readonly string[] };
}

const CG: readonly SolverName[] = ['cg', 'block-cg'];
const KRONECKER: readonly SolverName[] = ['kfac', 'ekfac'];
const EVERY: readonly SolverName[] = ['direct', 'cg', 'block-cg', 'lissa', 'neumann', 'arnoldi', 'nystrom', 'datainf', 'diagonal', 'kfac', 'ekfac'];

export const SOLVER_OPTIONS = {
  damping: {
    type: 'number ≥ 0', default: '0', readBy: EVERY,
    meaning: 'λ added by the solver: it solves (A + λI)·x = b, on top of the shift A contains (weight decay + the operator\'s damping)',
  },
  seed: {
    type: 'integer ≥ 0', default: '0', readBy: ['lissa', 'neumann', 'arnoldi', 'nystrom', 'diagonal', 'kfac', 'ekfac'], withPreconditioner: { solvers: CG, kind: 'any' },
    meaning: 'seed of every random choice (probes, sketches, minibatches, start vectors, sampled Fisher labels)', cli: { flag: 'seed', arg: 'N' },
  },
  rtol: {
    type: 'number ≥ 0', default: '1e-6', readBy: ['cg', 'block-cg', 'neumann'],
    meaning: 'relative residual tolerance: stop when ‖r‖ ≤ max(rtol·‖b‖, atol)', cli: { flag: 'rtol', arg: 'x', default: '1e-8' },
  },
  atol: {
    type: 'number ≥ 0', default: '0', readBy: ['cg', 'block-cg', 'neumann'],
    meaning: 'absolute residual tolerance: stop when ‖r‖ ≤ max(rtol·‖b‖, atol)', cli: { flag: 'atol', arg: 'x' },
  },
  maxIter: {
    type: 'integer ≥ 0', default: '10·n (cg, block-cg), 1000 (neumann)', readBy: ['cg', 'block-cg', 'neumann', 'arnoldi', 'lissa'],
    meaning: 'iteration budget: the most iterations (cg, block-cg), series terms (neumann), Lanczos products (arnoldi) or recursion depth when `depth` is not given (lissa)',
    cli: { flag: 'max-iter', arg: 'N' },
  },
  preconditioner: {
    type: "'jacobi' | 'nystrom' | 'kfac' | 'ekfac' | function", default: 'none', readBy: CG,
    meaning: 'preconditioner: jacobi, nystrom, kfac or ekfac, built from the operator (the library also takes a function r ↦ M⁻¹r)',
    cli: { flag: 'preconditioner', arg: 'name', choices: ['jacobi', 'nystrom', 'kfac', 'ekfac'] },
  },
  x0: { type: 'Tensor', default: 'zeros', readBy: CG, meaning: 'initial guess' },
  rank: {
    type: 'integer ≥ 1', default: 'min(10, n); preconditioner min(20, n)', readBy: ['arnoldi', 'nystrom'], withPreconditioner: { solvers: CG, kind: 'nystrom' },
    meaning: 'rank of the low-rank approximation (the solver\'s, or the Nyström preconditioner\'s; ≤ parameters)', cli: { flag: 'rank', arg: 'R' },
  },
  powerIterations: {
    type: 'integer ≥ 0', default: '0', readBy: ['nystrom'], withPreconditioner: { solvers: CG, kind: 'nystrom' },
    meaning: 'power iterations on the Nyström sketch', cli: { flag: 'power-iterations', arg: 'Q' },
  },
  tol: { type: 'number > 0', default: '√u of the dtype', readBy: ['arnoldi'], meaning: 'Lanczos tolerance on the Ritz residuals' },
  scale: {
    type: 'number > 0', default: 'lissa: recommended; neumann: 1.1·λ_max estimate', readBy: ['lissa', 'neumann'],
    meaning: 'the scale σ of the series (it uses A/σ)', cli: { flag: 'scale', arg: 'σ' },
  },
  depth: { type: 'integer ≥ 1', default: 'recommended, else 1000', readBy: ['lissa'], meaning: 'recursion depth T', cli: { flag: 'depth', arg: 'T' } },
  repeats: { type: 'integer ≥ 1', default: '1', readBy: ['lissa'], meaning: 'independent runs averaged', cli: { flag: 'repeats', arg: 'R' } },
  batchSize: {
    type: 'integer ≥ 1', default: 'recommended, else min(N, 32)', readBy: ['lissa'], meaning: 'minibatch size of the sampled products',
    cli: { flag: 'lissa-batch-size', arg: 'B' },
  },
  auto: {
    type: 'boolean', default: 'true when no scale is given', readBy: ['lissa'],
    meaning: 'η, batch size and depth T = 2/(λη) from the spectrum ("Revisiting iHVP", Theorem 1; see the README\'s references)',
    cli: { flag: 'auto' },
  },
  dampen: { type: 'number in [0, 1)', default: '0', readBy: ['lissa'], meaning: 'pyDVL\'s dampen d: x ← b + (1 − d)·x − A·x/σ' },
  lissaRtol: { type: 'number ≥ 0', default: '0 (run T steps)', readBy: ['lissa'], meaning: 'early stop on the relative update ‖xₜ₊₁ − xₜ‖ ≤ rtol·‖xₜ₊₁‖' },
  targetError: {
    type: 'number > 0 | null', default: '0.1', readBy: ['lissa'],
    meaning: 'with auto: bound on the relative sampling error the batch size must meet (null: Theorem 1 only)',
  },
  probes: {
    type: 'integer ≥ 2', default: '100', readBy: ['diagonal'], withPreconditioner: { solvers: CG, kind: 'any' },
    meaning: 'Hutchinson probes for diag(A) when the operator has no closed-form diagonal (diagonal solver, Jacobi preconditioner)',
  },
  dampingHeuristic: {
    type: 'boolean', default: 'false', readBy: ['datainf', 'kfac', 'ekfac'],
    meaning: 'per-block λ_l = 0.1 × the block\'s mean curvature eigenvalue, replacing damping (datainf: 0.1·mean‖g_l‖²/d_l, Kwon et al.; kfac/ekfac: of the Kronecker eigenvalues, Kronfluence\'s default)',
    cli: { flag: 'damping-heuristic' },
  },
  fisherSamples: {
    type: 'integer ≥ 1', default: 'none: the exact expectation (Gauss–Newton form)', readBy: KRONECKER, withPreconditioner: { solvers: CG, kind: 'kronecker' },
    meaning: 'K-FAC factors from the sampled true Fisher: labels drawn from the model, this many per example (seeded)', cli: { flag: 'fisher-samples', arg: 'k' },
  },
  kroneckerFallback: {
    type: 'solver name', default: 'none: UnsupportedLayerError', readBy: KRONECKER,
    meaning: 'the solver for the parameters of layers K-FAC cannot factor, on the operator\'s diagonal block', cli: { flag: 'kronecker-fallback', arg: 'solver' },
  },
  blockDiagonal: {
    type: 'boolean | Block[]', default: 'false', readBy: ['direct', 'cg', 'block-cg', 'lissa', 'neumann', 'arnoldi', 'nystrom', 'datainf', 'diagonal'],
    meaning: 'solve per layer: the block-diagonal part of the curvature (true: the operator\'s layer blocks; the library also takes explicit blocks)', cli: { flag: 'block-diagonal' },
  },
  perBlockDamping: {
    type: 'number[]', default: 'damping for every block', readBy: EVERY,
    meaning: 'λ_l per block (block-diagonal mode, datainf, and kfac/ekfac\'s layer blocks), replacing damping',
  },
  computeResidual: {
    type: 'boolean', default: 'false', readBy: ['lissa', 'arnoldi', 'nystrom', 'datainf', 'diagonal', 'kfac', 'ekfac'],
    meaning: 'compute the true residual ‖b − (A + λI)·x‖ (one product per column)',
  },
  history: { type: 'boolean', default: 'true', readBy: ['cg', 'block-cg', 'lissa', 'neumann'], meaning: 'keep residual histories' },
} satisfies Record<keyof SolverOptions, SolverOptionSpec>;

export type SolverOptionName = keyof typeof SOLVER_OPTIONS;

/** Whether solver `s` reads option `name`, given the preconditioner chosen (if any). */
export function optionApplies(name: SolverOptionName, s: SolverName, preconditioner?: string): boolean {
  const spec: SolverOptionSpec = SOLVER_OPTIONS[name];
  if (spec.readBy.includes(s)) return true;
  const w = spec.withPreconditioner;
  return !!w && w.solvers.includes(s) && preconditioner !== undefined && kindMatches(w.kind, preconditioner);
}

function kindMatches(kind: 'any' | 'nystrom' | 'kronecker', preconditioner: string): boolean {
  return kind === 'any' || preconditioner === kind || (kind === 'kronecker' && (preconditioner === 'kfac' || preconditioner === 'ekfac'));
}

/** Who reads an option, in words: "arnoldi, nystrom, and cg/block-cg with --preconditioner nystrom". */
export function optionReaders(name: SolverOptionName, preconditionerFlag = '--preconditioner'): string {
  const spec: SolverOptionSpec = SOLVER_OPTIONS[name];
  const w = spec.withPreconditioner;
  const always = spec.readBy.join(', ');
  if (!w) return always;
  const cond = `${w.solvers.join('/')} with ${w.kind === 'any' ? 'a preconditioner' : w.kind === 'kronecker' ? `${preconditionerFlag} kfac|ekfac` : `${preconditionerFlag} ${w.kind}`}`;
  return always ? `${always}, and ${cond}` : cond;
}

/** The options solver `s` can read (always or with a preconditioner), in table order. */
export function optionsOf(s: SolverName): SolverOptionName[] {
  return (Object.keys(SOLVER_OPTIONS) as SolverOptionName[]).filter((k) => {
    const spec: SolverOptionSpec = SOLVER_OPTIONS[k];
    return spec.readBy.includes(s) || (spec.withPreconditioner?.solvers.includes(s) ?? false);
  });
}
