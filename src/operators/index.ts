export { type LinearOperator, applyToColumns, checkVector, toDense } from './linear-operator.js';
export { denseOperator, shifted, sumOperator, diagonalOperator } from './family.js';
export { hessianOperator, gaussNewtonOperator, type CurvatureOptions } from './curvature.js';
