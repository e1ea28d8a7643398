/**
 * Validation (not a CI test): every iHVP solver on the PyTorch fixture mlp-small (12,730 parameters,
 * exact Hessian, κ ≈ 7e5), the W-IHVP workload of ../shared/WORKLOADS.md and the acceptance table
 * of issue 4. For each solver: H⁻¹·grad_test[i] for the 10 test points, its relative error against
 * the fixture's dense-Cholesky ihvp_grad_test, Pearson/Spearman of the resulting influence matrix
 * (10 test × 100 train) against influence_test_train, iterations and wall time. Then the spectral
 * estimators (Lanczos top-5, Hutchinson trace) against eigenvalues_desc and hessian_trace.
 *
 *   node dist/scripts/validate/solvers-mlp-small.js [--only name,name] [--backend wasm|js] [--json out.json] [--damping λ]
 *
 * --damping λ: every solver solves (H + λI)·x = g instead, against a reference computed here by CG
 * at rtol 1e-12 on H + λI (pyDVL's protocol: correlation with its direct solver at the same
 * regularisation). Undamped (default), the reference is the fixture's dense Cholesky solve.
 *
 * Rows are printed as markdown as they finish (and collected into --json).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../../src/index.js';
import { toFloat64 } from '../../src/io/array.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { blocksFromModel } from '../../src/solvers/blocks.js';
import type { SolverName, SolverOptions } from '../../src/solvers/registry.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
c.setBackend(flag('--backend') ?? 'wasm');
const only = flag('--only')?.split(',');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const file = readSafetensors(join(root, 'test', 'fixtures', 'mlp-small.safetensors'));
const arr = (k: string): Float64Array => toFloat64(file.tensors.get(k)!).data;
const meta = JSON.parse(file.metadata['json'] ?? '{}') as Record<string, number>;
const P = 12730, nTest = 10, nTrainScored = 100;

const images = (split: 'train' | 'test', n: number): c.Dataset => {
  const d = loadFashionMnist({ split, limit: n });
  return { x: c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [n, 784], 'float64'), y: c.tensor(d.y.data as Int32Array, [n], 'int32') };
};
const model = c.Sequential.mlp([784, 16, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const theta = c.tensor(arr('theta'), [P], 'float64');
const train = images('train', 5000);
const op = c.hessianOperator(objective, theta, train, { batchSize: 5000 });
const context = { objective, theta, data: train, hessian: 'exact' as const, damping: 0, batchSize: 5000 };

const damping = Number(flag('--damping') ?? 0);
const gTest = arr('grad_test');
const gTrain = c.tidy(() => objective.perSampleGradients(theta, c.batchOf(train, 0, nTrainScored)).dataSync()) as Float64Array;
const B = c.transpose(c.tensor(gTest, [nTest, P], 'float64')); // [P, 10]

/** −x_iᵀ g_j for the 10 solutions x_i (rows of x) and the first 100 training gradients: I_up,loss. */
function influenceOf(x: Float64Array): Float64Array {
  const influence = new Float64Array(nTest * nTrainScored);
  for (let i = 0; i < nTest; i++) {
    for (let j = 0; j < nTrainScored; j++) {
      let s = 0;
      for (let k = 0; k < P; k++) s += x[i * P + k]! * gTrain[j * P + k]!;
      influence[i * nTrainScored + j] = -s;
    }
  }
  return influence;
}

let wantX = arr('ihvp_grad_test'), wantInfluence = arr('influence_test_train');
if (damping > 0) {
  const t0 = performance.now();
  const r = c.cg(op, B, { damping, rtol: 1e-12, maxIter: 50000, history: false });
  wantX = c.tidy(() => c.transpose(r.x).dataSync()) as Float64Array;
  wantInfluence = influenceOf(wantX);
  console.log(`reference: CG on H + ${damping}·I at rtol 1e-12, ${r.iterations} iterations, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

function relErr(a: Float64Array, b: Float64Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
}

export interface Row {
  solver: string; options: string; relErrMedian: number; relErrMax: number; pearson: number; spearman: number;
  iterations: string; fitSeconds: number; solveSeconds: number; converged: boolean; note?: string;
}
const rows: Row[] = [];

function run(label: string, name: SolverName, solverOptions: SolverOptions, note?: string): void {
  if (only && !only.includes(label)) return;
  const options = damping > 0 && name !== 'datainf' ? { ...solverOptions, damping } : solverOptions;
  const t0 = performance.now();
  const solver = c.fitSolver(name, op, options, context);
  const t1 = performance.now();
  const r = solver.solve(B);
  const t2 = performance.now();
  const x = c.tidy(() => c.transpose(r.x).dataSync()) as Float64Array; // [10, P]
  r.x.dispose();
  solver.dispose();
  const errs = Array.from({ length: nTest }, (_, i) => relErr(x.subarray(i * P, (i + 1) * P), wantX.subarray(i * P, (i + 1) * P))).sort((a, b) => a - b);
  const influence = influenceOf(x);
  const info = r.info ?? {};
  const perColumn = info['perColumn'] as { iterations: number }[] | undefined;
  const iters = perColumn ? `${Math.min(...perColumn.map((p) => p.iterations))}–${Math.max(...perColumn.map((p) => p.iterations))}` : String(r.iterations);
  const row: Row = {
    solver: label, options: JSON.stringify(options), relErrMedian: (errs[4]! + errs[5]!) / 2, relErrMax: errs[nTest - 1]!,
    pearson: c.pearson(influence, wantInfluence), spearman: c.spearman(influence, wantInfluence), iterations: iters,
    fitSeconds: (t1 - t0) / 1000, solveSeconds: (t2 - t1) / 1000, converged: r.converged, ...(note ? { note } : {}),
  };
  rows.push(row);
  console.log(`| ${row.solver} | ${row.relErrMedian.toExponential(1)} | ${row.relErrMax.toExponential(1)} | ${row.pearson.toFixed(4)} | ${row.spearman.toFixed(4)} | ${row.iterations} | ${row.fitSeconds.toFixed(1)} | ${row.solveSeconds.toFixed(1)} | ${row.converged} | ${note ?? ''} |`);
}

console.log(`backend ${c.getBackend().name}, ${new Date().toISOString()}, damping ${damping}`);
console.log('| solver | rel err (median) | rel err (max) | Pearson | Spearman | iterations | fit s | solve s | converged | note |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const cg = { rtol: 1e-9, maxIter: 20000, history: false };
run('cg', 'cg', cg);
run('cg+jacobi', 'cg', { ...cg, preconditioner: 'jacobi', probes: 200 });
run('cg+nystrom', 'cg', { ...cg, preconditioner: 'nystrom', rank: 100 });
run('block-cg', 'block-cg', cg);
run('block-cg+nystrom', 'block-cg', { ...cg, preconditioner: 'nystrom', rank: 100 });
run('lissa-auto', 'lissa', { auto: true, seed: 0, history: false }, 'recommendLissa: η, T, batch from Theorem 1 (no tuning)');
run('arnoldi-50', 'arnoldi', { rank: 50, seed: 0 });
run('nystrom-50', 'nystrom', { rank: 50, seed: 0 });
run('arnoldi-30', 'arnoldi', { rank: 30, seed: 0 });
run('nystrom-30', 'nystrom', { rank: 30, seed: 0 });
run('datainf', 'datainf', { damping: damping > 0 ? damping : 1e-3 }, `per-layer, λ = ${damping > 0 ? damping : 1e-3} on top of the weight decay`);
run('diagonal', 'diagonal', { probes: 200, seed: 0 });
run('cg-block-diagonal', 'cg', { ...cg, blockDiagonal: blocksFromModel(model) }, 'per-layer blocks');
run('neumann', 'neumann', { maxIter: 2000, history: false }, '2,000 terms; converges only for λᵢ ≫ λ_max/2000');
run('direct', 'direct', {});

if ((!only && damping === 0) || only?.includes('estimators')) {
  const t0 = performance.now();
  const top = c.topEigenvalues(op, 5, { method: 'lanczos', seed: 0 });
  const want = arr('eigenvalues_desc');
  const eigErr = Math.max(...Array.from(top.values, (v, i) => Math.abs(v - want[i]!) / want[i]!));
  console.log(`Lanczos top-5: ${Array.from(top.values, (v) => v.toFixed(6)).join(', ')} vs ${Array.from(want.subarray(0, 5), (v) => v.toFixed(6)).join(', ')}; max rel err ${eigErr.toExponential(2)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const t1 = performance.now();
  const tr = c.hutchinsonTrace(op, { samples: 100, seed: 0 });
  const z = (tr.estimate - meta['hessian_trace']!) / tr.standardError;
  console.log(`Hutchinson trace (100 Rademacher probes): ${tr.estimate.toFixed(3)} ± ${tr.standardError.toFixed(3)} vs ${meta['hessian_trace']!.toFixed(3)}: ${z.toFixed(2)} SE (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
}

const out = flag('--json');
if (out) writeFileSync(out, JSON.stringify({ backend: c.getBackend().name, date: new Date().toISOString(), rows }, null, 2) + '\n');
