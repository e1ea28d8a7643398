import type { Tensor } from '../tensor/tensor.js';

/** What every iHVP solver returns. */
export interface SolveResult {
  /** The solution: [n] for a vector right-hand side, [n, k] for k columns. */
  x: Tensor;
  method: string;
  iterations: number;
  /** ‖b − A·x‖₂ (per column, the largest). */
  residualNorm: number;
  converged: boolean;
  /** Residual norms per iteration (iterative methods). */
  history?: number[];
  /** Method-specific facts (factorisation used, eigenvalue bounds, …). */
  info?: Record<string, unknown>;
}

/** A solver factored once for an operator, then applied to many right-hand sides (s_test trick). */
export interface FittedSolver {
  readonly method: string;
  solve(b: Tensor): SolveResult;
  dispose(): void;
  /**
   * The fitted stage as named tensors (still owned by the solver: read, don't dispose) and JSON-able
   * facts, for saving a fit (src/influence/fit-store.ts); restoreSolver (registry.ts) rebuilds the
   * solver from it without refitting. Absent when the solver holds something that cannot be saved.
   */
  state?(): SolverState;
}

/** A fitted solver's saveable state: what restoreSolver needs, beyond the operator and the options. */
export interface SolverState {
  tensors: Record<string, Tensor>;
  info: Record<string, unknown>;
}
