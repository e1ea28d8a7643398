export type { SolveResult, FittedSolver } from './types.js';
export { direct, fitDirect, type DirectOptions } from './direct.js';
export { cg, fitCg, type CgOptions } from './cg.js';
export { blockCg, fitBlockCg, orthonormalize, type BlockCgOptions } from './block-cg.js';
export {
  jacobiPreconditioner, jacobiPreconditionerFor, nystromPreconditioner, nystromApproximation,
  type Preconditioner, type NystromApproximation,
} from './preconditioners.js';
export {
  lissa, fitLissa, recommendLissa, minibatchHessianOperator, finiteSumOperator, isStochasticOperator,
  type StochasticOperator, type FiniteSumSpec, type MinibatchHessianOptions, type LissaOptions, type LissaRecommendation,
  type LissaRecommendOptions,
} from './lissa.js';
export { neumann, fitNeumann, type NeumannOptions } from './neumann.js';
export { arnoldiSolve, fitArnoldi, lowRankSolver, type ArnoldiOptions, type LowRankFactors } from './low-rank.js';
export { nystrom, fitNystrom, type NystromOptions } from './nystrom.js';
export {
  diagonalSolve, fitDiagonal, dataInf, fitDataInf, empiricalFisherOperator, perSampleGradientMatrix, isEmpiricalFisherOperator,
  type DiagonalSolverOptions, type DataInfOptions, type EmpiricalFisherOperator, type EmpiricalFisherOptions,
} from './structured.js';
export {
  restrictToBlock, blockDiagonalOperator, blocksFromModel, checkBlocks, fitBlockDiagonalWith, type Block,
} from './blocks.js';
export { isShiftedOperator, splitShift, blockPreconditioner, type ShiftedOperator, type BlockPreconditioner } from './common.js';
export { residualNorm } from './residual.js';
export {
  fitSolver, fitBlockDiagonal, stochasticOperatorFor, declaredShiftOperator, SOLVERS, SOLVER_INFO,
  type SolverName, type SolverOptions, type SolverContext,
} from './registry.js';
