import { InputError } from '../errors.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { fitCg, type CgOptions } from './cg.js';
import { fitDirect, type DirectOptions } from './direct.js';
import type { FittedSolver } from './types.js';

/** Options any registered solver accepts (each reads the ones it knows). */
export type SolverOptions = CgOptions & DirectOptions;

/** Every solver by name: the CLI's --solver and the influence API take any of these. */
export const SOLVERS = {
  direct: (op: LinearOperator, o: SolverOptions) => fitDirect(op, o),
  cg: (op: LinearOperator, o: SolverOptions) => fitCg(op, o),
} as const;

export type SolverName = keyof typeof SOLVERS;

export function fitSolver(name: string, op: LinearOperator, options: SolverOptions = {}): FittedSolver {
  const make = (SOLVERS as Record<string, (op: LinearOperator, o: SolverOptions) => FittedSolver>)[name];
  if (!make) throw new InputError(`unknown solver '${name}': expected one of ${Object.keys(SOLVERS).join(', ')}`);
  return make(op, options);
}
