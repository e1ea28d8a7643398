export { cholesky, solveTriangular, choleskySolve, eigh, eigvalsh } from './dense.js';
