/** Randomized and Krylov estimators of spectral quantities of a LinearOperator (DESIGN.md: src/estimators/). */
export { hutchinsonTrace, hutchinsonDiagonal, type HutchinsonOptions, type TraceEstimate, type HutchinsonDiagonalOptions, type HutchinsonDiagonalEstimate } from './hutchinson.js';
export { hutchPlusPlus, type HutchPlusPlusOptions, type HutchPlusPlusEstimate } from './hutch-plus-plus.js';
export { frobeniusNorm, type FrobeniusOptions, type FrobeniusEstimate } from './frobenius-norm.js';
export { topEigenvalues, type TopEigenvaluesOptions, type TopEigenvaluesResult, type EigenvalueMethod } from './eigenvalues.js';
export { subspaceIteration, type SubspaceIterationOptions, type SubspaceIterationResult } from './subspace-iteration.js';
export { gaussianSketchEigenvalues, type GaussianSketchOptions, type GaussianSketchResult } from './gaussian-sketch.js';
export { orthonormalBasis } from './orthonormal-basis.js';
export type { ProbeDistribution } from './random-vectors.js';
export { recommendLissa, type LissaRecommendation, type LissaRecommendOptions } from './lissa-tuning.js';
export { extremeEigenvalues, traceEstimate, diagonalEstimate } from './spectral.js';
