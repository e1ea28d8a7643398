import type { Machine } from './machine.js';

/** One backend's run of bench/matmat.ts at one batch size; bench/matmat.json holds the latest of each. */
export interface MatmatRun {
  date: string;
  command: string;
  machine: Machine;
  backend: string;
  batch: number;
  seconds: number;
  gemm: { label: string; gflops: number }[];
  rows: { k: number; wallMs: number; cpuMs: number; gflop: number; gflops: number; gemmGflops: number; pctWall: number; pctCpu: number; samples: number }[];
}
export interface MatmatFile { runs: MatmatRun[] }

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

export function renderMatmat(file: MatmatFile): string {
  const L = ['## Batched HVP (curvature `matmat`, issue 11 item 3) on W-HVP', ''];
  for (const r of file.runs) {
    const m = r.machine;
    L.push(`- ${r.backend}, B = ${r.batch}: \`${r.command}\`, ${r.date}; ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average before ${m.loadBefore.join(' / ')}, after ${m.loadAfter?.join(' / ') ?? '?'}; ` +
      `GEMM rates in that run: ${r.gemm.map((g) => `${g.label} ${f(g.gflops)} GFLOP/s`).join(', ')}.`);
  }
  L.push('', 'Each row times `hessianOperator(objective, θ, {x, y}, { batchSize }).matmat(V)` with V of k columns (k = 1: one `matvec`), after one warm-up call, ' +
    'timed up to a one-element read of the result (which waits for it on any backend; the [P, k] block stays on the backend, as in the block solvers), ' +
    'interleaved round by round with the reference GEMM (the HVP\'s own first-layer shape, B×784·784×128, float32) so that both see the same load; ' +
    'medians per HVP. Matmul flops per HVP as run: of the 3U₁ + 8U₂ + 8U₃ of one forward-over-reverse HVP (bench/whvp.ts `matmulFlops`), the primal ' +
    'part U₁ + 2U₂ + 2U₃ is shared by the k directions (counted once per k HVPs), the tangent part 2U₁ + 6U₂ + 6U₃ is per direction. ' +
    'CPU time (process CPU per call) is steadier than wall time on a shared machine.', '');
  L.push('| backend | B | k | wall ms per HVP | CPU ms per HVP | matmul GFLOP per HVP (run) | GFLOP/s (wall) | GEMM GFLOP/s (wall, interleaved) | % of GEMM rate (wall) | % (CPU time) | samples |',
    '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of file.runs) for (const x of r.rows) {
    L.push(`| ${r.backend} | ${r.batch} | ${x.k} | ${f(x.wallMs, 2)} | ${f(x.cpuMs, 2)} | ${f(x.gflop, 4)} | ${f(x.gflops)} | ${f(x.gemmGflops)} | ${f(x.pctWall, 0)} % | ${f(x.pctCpu, 0)} % | ${x.samples} |`);
  }
  L.push('', 'Target (issue 11): a k = 32 batched HVP at ≥ 70 % of the backend\'s GEMM rate on its matmul flops:');
  for (const r of file.runs) {
    const k32 = r.rows.find((x) => x.k === 32);
    L.push(`- ${r.backend}, B = ${r.batch}: ` + (k32 ? `${f(k32.pctWall, 0)} % on wall time (**${k32.pctWall >= 70 ? 'met' : 'not met'}**), ${f(k32.pctCpu, 0)} % on CPU time (**${k32.pctCpu >= 70 ? 'met' : 'not met'}**).` : 'k = 32 not measured.'));
  }
  L.push('');
  return L.join('\n');
}
