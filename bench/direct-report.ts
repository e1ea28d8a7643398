import type { Machine } from './machine.js';

/** One run of bench/direct.ts (one backend, one thread count); bench/direct.json keeps the latest of each. */
export interface DirectRun {
  date: string;
  command: string;
  machine: Machine;
  backend: string;
  threads: number;
  /** Parameters (the Hessian's order) and training examples behind each product. */
  n: number;
  examples: number;
  /** Columns per batched product (toDense's block). */
  block: number;
  /** DGEMM n = 1024 float64 at the same thread count, before and after the fit, GFLOP/s. */
  dgemmBefore: number;
  dgemmAfter: number;
  /** Matmul flops of the dense build as run, and of the Cholesky factorisation (n³/3), GFLOP. */
  buildGflop: number;
  choleskyGflop: number;
  /** Wall seconds of fitSolver('direct', H): build, symmetrise, factor. */
  fitSeconds: number;
  /** How the fit factored H (Cholesky, or the eigendecomposition fallback for an indefinite H). */
  factorisation: string;
}
export interface DirectFile { runs: DirectRun[] }

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

export function renderDirect(file: DirectFile): string {
  const L = ['## `direct` on mlp-small (issue 11): the dense Hessian built from batched HVPs and factored', ''];
  L.push('`fitSolver(\'direct\', hessianOperator(objective, θ, train))` on the PyTorch fixture mlp-small (784-16-10 tanh, 12,730 parameters, ' +
    '5,000 Fashion-MNIST images, float64, exact Hessian): H built by `toDense` from batched products of 64 columns (one forward-over-reverse pass ' +
    'per block, its tangent GEMMs carrying the 64 directions), then Cholesky. Floor = (the build\'s matmul flops as run + n³/3 for the Cholesky) / ' +
    'the DGEMM rate (n = 1024, float64, same thread count) measured in the same run, before and after the fit (their mean). Build flops: per block ' +
    'the primal part U₁ + 2U₂ once and the tangent part 2U₁ + 6U₂ per column, Uᵢ = 2·N·dᵢ₋₁·dᵢ (bench/whvp.ts `matmulFlops` for this net).', '');
  L.push('| backend | threads | date | build GFLOP | Cholesky GFLOP | DGEMM GFLOP/s (before / after) | floor s | measured s | measured / floor | factorisation |',
    '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of file.runs) {
    const rate = (r.dgemmBefore + r.dgemmAfter) / 2;
    const floor = (r.buildGflop + r.choleskyGflop) / rate;
    L.push(`| ${r.backend} | ${r.threads} | ${r.date.slice(0, 10)} | ${f(r.buildGflop, 0)} | ${f(r.choleskyGflop, 0)} | ${f(r.dgemmBefore)} / ${f(r.dgemmAfter)} | ${f(floor)} | ${f(r.fitSeconds)} | **${f(r.fitSeconds / floor, 2)}×** | ${r.factorisation} |`);
  }
  for (const r of file.runs) {
    const m = r.machine;
    L.push('', `- ${r.backend}: \`${r.command}\`, ${r.date}; ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average before ${m.loadBefore.join(' / ')}, after ${m.loadAfter?.join(' / ') ?? '?'}.`);
  }
  const best = file.runs.map((r) => r.fitSeconds / ((r.buildGflop + r.choleskyGflop) / ((r.dgemmBefore + r.dgemmAfter) / 2)));
  L.push('', `Target (issue 11): within 1.5× of the floor — ${best.length ? `best ${f(Math.min(...best), 2)}× (**${Math.min(...best) <= 1.5 ? 'met' : 'not met'}**)` : 'not measured'}.`, '');
  return L.join('\n');
}
