/**
 * Validation (not a CI test): every iHVP solver on the PyTorch fixture mlp-small — the accuracy
 * table of issue 4 (README "Accuracy"), the W-IHVP workload (bench/wihvp-problem.ts). Then the
 * spectral estimators against the fixture: Lanczos top-5 vs eigenvalues_desc, Hutchinson trace vs
 * hessian_trace (in standard errors).
 *
 *   node dist/scripts/validate/solvers-mlp-small.js [--only label,label] [--backend wasm|js]
 *        [--damping λ] [--points 10] [--json out.json]
 *
 * Labels: those of solverCases() (direct, cg, cg+jacobi, …) and `estimators`. Rows print as
 * markdown as they finish.
 */
import { writeFileSync } from 'node:fs';
import * as c from '../../src/index.js';
import { formatWihvpRow, solverCases, WIHVP_HEADER, WihvpProblem, type WihvpRow } from '../../bench/wihvp-problem.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
c.setBackend(flag('--backend') ?? 'wasm');
const only = flag('--only')?.split(',');
const problem = new WihvpProblem(Number(flag('--points') ?? 10), Number(flag('--damping') ?? 0));
console.log(`backend ${c.getBackend().name}, ${new Date().toISOString()}; reference: ${problem.reference}`);
console.log(WIHVP_HEADER);
const rows: WihvpRow[] = [];
for (const sc of solverCases(problem.model)) {
  if (only ? !only.includes(sc.label) : sc.label === 'neumann' && problem.damping === 0) continue;
  const row = problem.run(sc);
  rows.push(row);
  console.log(formatWihvpRow(row));
}

if (only ? only.includes('estimators') : problem.damping === 0) {
  const t0 = performance.now();
  const top = c.topEigenvalues(problem.op, 5, { method: 'lanczos', seed: 0 });
  const want = problem.eigenvaluesDesc;
  const eigErr = Math.max(...Array.from(top.values, (v, i) => Math.abs(v - want[i]!) / want[i]!));
  console.log(`Lanczos top-5: ${Array.from(top.values, (v) => v.toFixed(6)).join(', ')} vs ${Array.from(want.subarray(0, 5), (v) => v.toFixed(6)).join(', ')}; max rel err ${eigErr.toExponential(2)} (${top.matvecs} products, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const t1 = performance.now();
  const tr = c.hutchinsonTrace(problem.op, { samples: 100, seed: 0 });
  const z = (tr.estimate - problem.meta['hessian_trace']!) / tr.standardError;
  console.log(`Hutchinson trace (100 Rademacher probes): ${tr.estimate.toFixed(3)} ± ${tr.standardError.toFixed(3)} vs ${problem.meta['hessian_trace']!.toFixed(3)}: ${z.toFixed(2)} SE (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
}

const out = flag('--json');
if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), reference: problem.reference, rows }, null, 2) + '\n');
