export type { SolveResult, FittedSolver, SolverState } from './types.js';
export { direct, fitDirect, type DirectOptions } from './direct.js';
export { cg, fitCg, type CgOptions } from './cg.js';
export { blockCg, fitBlockCg, orthonormalize, type BlockCgOptions } from './block-cg.js';
export {
  jacobiPreconditioner, jacobiPreconditionerFor, nystromPreconditioner, nystromApproximation,
  type Preconditioner, type NystromApproximation,
} from './preconditioners.js';
export { lissa, fitLissa, type LissaOptions } from './lissa.js';
export { neumann, fitNeumann, type NeumannOptions } from './neumann.js';
export { arnoldiSolve, fitArnoldi, lowRankSolver, type ArnoldiOptions, type LowRankFactors } from './low-rank.js';
export { nystrom, fitNystrom, type NystromOptions } from './nystrom.js';
export {
  diagonalSolve, fitDiagonal, dataInf, fitDataInf, type DiagonalSolverOptions, type DataInfOptions,
} from './structured.js';
export { fitBlockDiagonalWith, blockState } from './blocks.js';
export { blockPreconditioner, type BlockPreconditioner } from './common.js';
export { residualNorm } from './residual.js';
export {
  fitSolver, fitBlockDiagonal, inverseOf, restoreSolver, stochasticOperatorOf, SOLVERS, SOLVER_INFO, SOLVER_RESTORERS,
  type SolverName, type SolverOptions,
} from './registry.js';
export { SOLVER_OPTIONS, optionApplies, optionReaders, optionsOf, type SolverOptionSpec, type SolverOptionName } from './options.js';
