/**
 * The solver flags of `curvature influence` as SolverOptions, and which solver reads which flag:
 * a flag the chosen solver would ignore is an error, so a forgotten `--solver` never silently
 * computes something else than what the flags describe.
 */
import { InputError } from '../errors.js';
import { SOLVERS, type SolverName, type SolverOptions } from '../solvers/registry.js';
import { optionApplies, optionReaders, SOLVER_OPTIONS, type SolverOptionName, type SolverOptionSpec } from '../solvers/options.js';
import { choiceFlag, numberFlag, type Flags } from './flags.js';

/** The solver options the CLI exposes, in --help order (each declared once in SOLVER_OPTIONS). */
const CLI_OPTIONS: readonly SolverOptionName[] = [
  'rtol', 'atol', 'maxIter', 'preconditioner', 'rank', 'powerIterations', 'scale', 'depth', 'repeats', 'batchSize', 'auto', 'seed', 'blockDiagonal',
  'fisherSamples', 'dampingHeuristic', 'kroneckerFallback',
];

const spec = (key: SolverOptionName): SolverOptionSpec => SOLVER_OPTIONS[key];
const flagOf = (key: SolverOptionName): string => spec(key).cli!.flag;
const preconditionerOf = (flags: Flags): string | undefined => (typeof flags['preconditioner'] === 'string' ? flags['preconditioner'] : undefined);

/** Flag → whether the chosen solver reads it, and who does in words (derived from SOLVER_OPTIONS). */
export const SOLVER_FLAG_RULES: Record<string, { rule: (solver: SolverName, flags: Flags) => boolean; appliesTo: string }> = Object.fromEntries(
  CLI_OPTIONS.map((key) => [flagOf(key), { rule: (s: SolverName, f: Flags) => optionApplies(key, s, preconditionerOf(f)), appliesTo: optionReaders(key) }]),
);

/** The solver flags of `curvature influence` for --help: name, metavariable, help text (readers: meaning (default)), choices. */
export function solverFlagHelp(): { name: string; arg?: string; help: string; choices?: readonly string[] }[] {
  const all = Object.keys(SOLVERS).length;
  return CLI_OPTIONS.map((key) => {
    const o = spec(key), cli = o.cli!;
    const readers = o.readBy.length === all ? '' : `${optionReaders(key)}: `;
    const def = cli.default ?? o.default;
    const help = `${readers}${o.meaning}${o.type === 'boolean' ? '' : ` (default: ${def})`}`;
    return { name: cli.flag, help, ...(cli.arg ? { arg: cli.arg } : {}), ...(cli.choices ? { choices: cli.choices } : {}) };
  });
}

export const SOLVER_NAMES = Object.keys(SOLVERS) as SolverName[];

/** The solver from --solver (default direct), after checking every given solver flag applies to it. */
export function solverFlag(flags: Flags): SolverName {
  const solver = choiceFlag(flags, 'solver', SOLVER_NAMES, 'direct');
  for (const [name, { rule, appliesTo }] of Object.entries(SOLVER_FLAG_RULES)) {
    if (flags[name] === undefined) continue;
    if (!rule(solver, flags)) {
      throw new InputError(`--${name} does not apply to --solver ${solver}${flags['solver'] === undefined ? ' (the default)' : ''}: it is read by ${appliesTo}`);
    }
  }
  return solver;
}

/** The solver flags as SolverOptions; absent flags keep each solver's default. */
export function solverOptionsFrom(flags: Flags, parameters: number): SolverOptions {
  const opt = (name: string, key: keyof SolverOptions, o: { integer?: boolean; min?: number; max?: number } = {}): Partial<SolverOptions> =>
    flags[name] !== undefined ? { [key]: numberFlag(flags, name, o) } : {};
  const pre = flags['preconditioner'] !== undefined ? choiceFlag(flags, 'preconditioner', ['jacobi', 'nystrom', 'kfac', 'ekfac'] as const) : undefined;
  const fallback = flags['kronecker-fallback'] !== undefined
    ? choiceFlag(flags, 'kronecker-fallback', SOLVER_NAMES.filter((n) => n !== 'kfac' && n !== 'ekfac')) : undefined;
  return {
    rtol: numberFlag(flags, 'rtol', { min: 0, default: 1e-8 }), atol: numberFlag(flags, 'atol', { min: 0, default: 0 }),
    ...opt('max-iter', 'maxIter', { integer: true, min: 0 }),
    ...opt('rank', 'rank', { integer: true, min: 1, max: parameters }), ...opt('power-iterations', 'powerIterations', { integer: true, min: 0 }),
    ...opt('scale', 'scale', { min: 0 }), ...opt('depth', 'depth', { integer: true, min: 1 }),
    ...opt('repeats', 'repeats', { integer: true, min: 1 }), ...opt('lissa-batch-size', 'batchSize', { integer: true, min: 1 }),
    ...opt('seed', 'seed', { integer: true, min: 0 }),
    ...(pre ? { preconditioner: pre } : {}), ...(flags['auto'] ? { auto: true } : {}),
    ...(flags['block-diagonal'] ? { blockDiagonal: true } : {}),
    ...opt('fisher-samples', 'fisherSamples', { integer: true, min: 1 }),
    ...(flags['damping-heuristic'] ? { dampingHeuristic: true } : {}),
    ...(fallback ? { kroneckerFallback: fallback } : {}),
  };
}

/** Methods whose answer is an approximation by design (no tolerance to converge to). */
export const APPROXIMATE_SOLVERS: readonly SolverName[] = ['arnoldi', 'nystrom', 'datainf', 'diagonal', 'kfac', 'ekfac'];
