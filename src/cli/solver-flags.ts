/**
 * The solver flags of `curvature influence` as SolverOptions, and which solver reads which flag:
 * a flag the chosen solver would ignore is an error, so a forgotten `--solver` never silently
 * computes something else than what the flags describe.
 */
import { InputError } from '../errors.js';
import { SOLVERS, type SolverName, type SolverOptions } from '../solvers/registry.js';
import { choiceFlag, numberFlag, type Flags } from './flags.js';

type Rule = readonly SolverName[] | ((solver: SolverName, flags: Flags) => boolean);

const withNystromPreconditioner = (s: SolverName, f: Flags): boolean => (s === 'nystrom' || ((s === 'cg' || s === 'block-cg') && f['preconditioner'] === 'nystrom'));

/** Flag → the solvers that read it (all others reject it). */
export const SOLVER_FLAG_RULES: Record<string, { rule: Rule; appliesTo: string }> = {
  rtol: { rule: ['cg', 'block-cg', 'neumann'], appliesTo: 'cg, block-cg, neumann' },
  atol: { rule: ['cg', 'block-cg', 'neumann'], appliesTo: 'cg, block-cg, neumann' },
  'max-iter': { rule: ['cg', 'block-cg', 'neumann', 'arnoldi', 'lissa'], appliesTo: 'cg, block-cg, neumann, arnoldi, lissa' },
  preconditioner: { rule: ['cg', 'block-cg'], appliesTo: 'cg, block-cg' },
  rank: { rule: (s, f) => s === 'arnoldi' || withNystromPreconditioner(s, f), appliesTo: 'arnoldi, nystrom, and cg/block-cg with --preconditioner nystrom' },
  'power-iterations': { rule: withNystromPreconditioner, appliesTo: 'nystrom, and cg/block-cg with --preconditioner nystrom' },
  scale: { rule: ['lissa', 'neumann'], appliesTo: 'lissa, neumann' },
  depth: { rule: ['lissa'], appliesTo: 'lissa' },
  repeats: { rule: ['lissa'], appliesTo: 'lissa' },
  'lissa-batch-size': { rule: ['lissa'], appliesTo: 'lissa' },
  auto: { rule: ['lissa'], appliesTo: 'lissa' },
  seed: {
    rule: (s, f) => ['lissa', 'neumann', 'arnoldi', 'nystrom', 'diagonal'].includes(s) || ((s === 'cg' || s === 'block-cg') && f['preconditioner'] !== undefined),
    appliesTo: 'lissa, neumann, arnoldi, nystrom, diagonal, and cg/block-cg with a preconditioner',
  },
};

export const SOLVER_NAMES = Object.keys(SOLVERS) as SolverName[];

/** The solver from --solver (default direct), after checking every given solver flag applies to it. */
export function solverFlag(flags: Flags): SolverName {
  const solver = choiceFlag(flags, 'solver', SOLVER_NAMES, 'direct');
  for (const [name, { rule, appliesTo }] of Object.entries(SOLVER_FLAG_RULES)) {
    if (flags[name] === undefined) continue;
    const applies = typeof rule === 'function' ? rule(solver, flags) : rule.includes(solver);
    if (!applies) {
      throw new InputError(`--${name} does not apply to --solver ${solver}${flags['solver'] === undefined ? ' (the default)' : ''}: it is read by ${appliesTo}`);
    }
  }
  return solver;
}

/** The solver flags as SolverOptions; absent flags keep each solver's default. */
export function solverOptionsFrom(flags: Flags, parameters: number): SolverOptions {
  const opt = (name: string, key: keyof SolverOptions, o: { integer?: boolean; min?: number; max?: number } = {}): Partial<SolverOptions> =>
    flags[name] !== undefined ? { [key]: numberFlag(flags, name, o) } : {};
  const pre = flags['preconditioner'] !== undefined ? choiceFlag(flags, 'preconditioner', ['jacobi', 'nystrom'] as const) : undefined;
  return {
    rtol: numberFlag(flags, 'rtol', { min: 0, default: 1e-8 }), atol: numberFlag(flags, 'atol', { min: 0, default: 0 }),
    ...opt('max-iter', 'maxIter', { integer: true, min: 0 }),
    ...opt('rank', 'rank', { integer: true, min: 1, max: parameters }), ...opt('power-iterations', 'powerIterations', { integer: true, min: 0 }),
    ...opt('scale', 'scale', { min: 0 }), ...opt('depth', 'depth', { integer: true, min: 1 }),
    ...opt('repeats', 'repeats', { integer: true, min: 1 }), ...opt('lissa-batch-size', 'batchSize', { integer: true, min: 1 }),
    ...opt('seed', 'seed', { integer: true, min: 0 }),
    ...(pre ? { preconditioner: pre } : {}), ...(flags['auto'] ? { auto: true } : {}),
    ...(flags['block-diagonal'] ? { blockDiagonal: true } : {}),
  };
}

/** Methods whose answer is an approximation by design (no tolerance to converge to). */
export const APPROXIMATE_SOLVERS: readonly SolverName[] = ['arnoldi', 'nystrom', 'datainf', 'diagonal'];
