/**
 * Validation (not a CI test): inverse-Hessian solves on the full PyTorch fixture mlp-small
 * (12,730 parameters, κ ≈ 7e5) on the reference backend.
 *   node dist/scripts/validate/mlp-small.js [--cg N] [--direct]
 * --cg N: CG at rtol 1e-10 for the first N test points (default 2), vs ihvp_grad_test.
 * --direct: dense Hessian from 12,730 HVPs + Cholesky (≈ an hour on one core), all 10 points.
 */
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { toFloat64 } from '../../src/io/array.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const file = readSafetensors(join(root, 'test', 'fixtures', 'mlp-small.safetensors'));
const arr = (k: string) => toFloat64(file.tensors.get(k)!).data;
const P = 12730;
const args = process.argv.slice(2);
const nCg = args.includes('--cg') ? Number(args[args.indexOf('--cg') + 1]) : 2;

const images = (split: 'train' | 'test', n: number) => {
  const d = loadFashionMnist({ split, limit: n });
  return { x: c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [n, 784], 'float64'), y: c.tensor(d.y.data as Int32Array, [n], 'int32') };
};
const model = c.Sequential.mlp([784, 16, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const theta = c.tensor(arr('theta'), [P], 'float64');
const train = images('train', 5000);
const op = c.hessianOperator(objective, theta, train);
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
};
const g = arr('grad_test'), want = arr('ihvp_grad_test');
for (let i = 0; i < nCg; i++) {
  const t0 = performance.now();
  const r = c.cg(op, c.tensor(g.subarray(i * P, (i + 1) * P), [P], 'float64'), { rtol: 1e-10, maxIter: 20000, history: false });
  const e = rel(r.x.dataSync(), want.subarray(i * P, (i + 1) * P));
  console.log(`CG test point ${i}: ${r.iterations} iterations, converged ${r.converged}, rel err vs PyTorch ${e.toExponential(2)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
if (args.includes('--direct')) {
  const t0 = performance.now();
  const s = c.fitDirect(op);
  console.log(`dense Hessian + factorisation: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const r = s.solve(c.transpose(c.tensor(g, [10, P], 'float64')));
  const x = c.transpose(r.x).dataSync();
  console.log(`direct (${r.info?.['factorization']}): rel err vs PyTorch ${rel(x, want).toExponential(2)}`);
}
