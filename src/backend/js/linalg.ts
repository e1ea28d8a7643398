/**
 * Dense linear-algebra kernels of the reference (plain TypeScript) backend: BLAS/LAPACK-like
 * functions over flat row-major Float32Array/Float64Array buffers with element offsets and leading
 * dimensions. They know nothing about tensors. One job per file under ./linalg/.
 */
export type { FloatArray, PotrfResult, Side, Uplo } from './linalg/types.js';
export { POTRF_OK } from './linalg/types.js';
export { potrf } from './linalg/potrf.js';
export { trsm } from './linalg/trsm.js';
export { cholSolve, cholLogdet, inverseSpd } from './linalg/spd.js';
export { syev } from './linalg/syev.js';
export { tridiagonalize } from './linalg/tridiagonalize.js';
export { tridiagonalQl } from './linalg/tridiagonalQl.js';
