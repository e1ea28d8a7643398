export type { SolveResult, FittedSolver } from './types.js';
export { direct, fitDirect, type DirectOptions } from './direct.js';
export { cg, fitCg, type CgOptions } from './cg.js';
export { residualNorm } from './residual.js';
export { fitSolver, SOLVERS, type SolverName, type SolverOptions } from './registry.js';
