export { InfluenceModel, type InfluenceOptions, type HessianKind, type SolveStats } from './exact.js';
export { pearson, spearman, ranks } from './correlation.js';
export { leaveOneOut, type RetrainOptions } from './leave-one-out.js';
