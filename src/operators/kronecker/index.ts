export { KroneckerCurvature, type KroneckerFitOptions, type KroneckerLayer, type KroneckerStage, type KroneckerState } from './curvature.js';
export { kroneckerOperator, type KroneckerOperator } from './operator.js';
export { KRONECKER_FORMS, type KroneckerForm } from './activity.js';
export { kroneckerLayoutOf, type KroneckerLayout, type UnfactoredPolicy } from './layout.js';
export { isKroneckerFactored, kroneckerSource, type KroneckerFactored, type KroneckerRequest } from './source.js';
