export {
  type LinearOperator, type ShiftedOperator, applyToColumns, checkVector, toDense, isShiftedOperator, splitShift, psdOf,
} from './linear-operator.js';
export { denseOperator, shifted, sumOperator, diagonalOperator, scaledOperator, chainOperator } from './family.js';
export { hessianOperator, gaussNewtonOperator, type CurvatureOperator, type CurvatureOptions, type CurvatureKind } from './curvature.js';
export {
  minibatchHessianOperator, finiteSumOperator, isStochasticOperator, sampleIndices,
  type StochasticOperator, type FiniteSumSpec, type MinibatchHessianOptions,
} from './stochastic.js';
export {
  empiricalFisherOperator, perSampleGradientMatrix, isEmpiricalFisherOperator, hasPerSampleGradients,
  type EmpiricalFisherOperator, type EmpiricalFisherOptions, type PerSampleGradientSource,
} from './empirical-fisher.js';
export {
  restrictToBlock, blockDiagonalOperator, blockDiagonalOf, blocksFromModel, checkBlocks, layerBlocksOf,
  type Block, type LayerBlocks,
} from './blocks.js';
export { gaussNewtonFiniteDifferenceOperator, type GaussNewtonFdOptions } from './gauss-newton-fd.js';
export { inverseOperator, type SolveFunction, type DisposableOperator } from './inverse.js';
export {
  KroneckerCurvature, kroneckerOperator, kroneckerLayoutOf, KRONECKER_FORMS,
  type KroneckerFitOptions, type KroneckerLayer, type KroneckerStage, type KroneckerState, type KroneckerOperator,
  isKroneckerFactored, type KroneckerFactored, type KroneckerRequest,
  type KroneckerForm, type KroneckerLayout, type UnfactoredPolicy,
} from './kronecker/index.js';
