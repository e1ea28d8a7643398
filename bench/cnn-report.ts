import type { Machine } from './machine.js';

/** bench/cnn.json (bench/cnn.ts) and its RESULTS.md section "W-CNN". */
export interface CnnRow {
  config: string; backend: string; threads: number; quantity: string; ours: string; peer: string;
  /** ‖PyTorch − ours‖ / ‖ours‖; the row is not timed when above the tolerance. */
  relDiff: number;
  failed?: string;
  oursMs?: number; peerMs?: number;
  /** oursMs / peerMs (time: < 1 means ours is faster), and the median of the per-round ratios. */
  ratio?: number; pairedRatio?: number;
  oursCpuShare?: number; peerCpuShare?: number;
  oursGflops?: number; peerGflops?: number;
  oursRoundsMs?: number[]; peerRoundsMs?: number[];
}

export interface CnnFile {
  date: string; command: string; machine: Machine; batch: number; weightDecay: number; tolerance: number;
  rounds: number; jsRounds: number; minMs: number; backends: string[];
  peers: { threads: number; label?: string; blas?: string; functorch?: string | null; reason?: string }[];
  configs: { name: string; c1: number; c2: number; params: number; data: string; forwardFlops: number; gradientFlops: number }[];
  rows: CnnRow[]; notes: string[]; loadBefore: number[]; loadAfter: number[];
  floorRate?: { gflops: number; source: string };
}

const ms = (x: number | undefined): string => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const x2 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const ORDER = ['gradient', 'HVP', 'Gauss-Newton product', 'per-example gradients'];
const BACKENDS = ['native', 'wasm', 'js'];

export function renderCnn(f: CnnFile): string {
  const L: string[] = ['## W-CNN (issue 15): a small CNN, batch 256, every backend beside PyTorch CPU in the same run', ''];
  const m = f.machine;
  L.push(`${f.date.slice(0, 10)}, \`${f.command}\` (bench/cnn.ts). Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Node ${m.node}; ` +
    `load average (1/5/15 min) before ${f.loadBefore.join(' / ')}, after ${f.loadAfter.join(' / ')} — the cores were shared with other processes during the run, so read the ratios (measured interleaved), not the absolute times.`, '');
  for (const k of f.configs) {
    L.push(`- **${k.name}**: [${f.batch}, 1, 28, 28] → Conv2d(1, ${k.c1}, 3, padding 1) → ReLU → MaxPool2d(2) → Conv2d(${k.c1}, ${k.c2}, 3, padding 1) → ReLU → MaxPool2d(2) → ` +
      `Flatten → Linear(${k.c2 * 49}, 10), mean cross-entropy + (λ/2)‖θ‖², λ = ${f.weightDecay}, float32, ${k.params.toLocaleString('en-US')} parameters (a curvature \`Sequential\`); ` +
      `${k.data}. Forward pass as GEMMs ${(k.forwardFlops / 1e6).toFixed(1)} MFLOP, gradient floor 3× = ${(k.gradientFlops / 1e6).toFixed(1)} MFLOP.`);
  }
  for (const p of f.peers) {
    L.push(p.label ? `- PyTorch, ${p.threads} thread(s): ${p.label} (bench/peers/cnn_torch.py under /usr/bin/python3; OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = torch.set_num_threads = ${p.threads}, OMP_WAIT_POLICY=PASSIVE; BLAS \`${p.blas}\`; functorch ${p.functorch ?? 'absent'})`
      : `- PyTorch, ${p.threads} thread(s): **not run** — ${p.reason}`);
  }
  L.push('');
  const how = [...new Map(f.rows.map((r) => [r.quantity, r])).values()].sort((a, b) => ORDER.indexOf(a.quantity) - ORDER.indexOf(b.quantity));
  for (const r of how) L.push(`- ${r.quantity}: ours ${r.ours}; PyTorch ${r.peer}.`);
  L.push('', `Method: θ, x, labels and v identical on both sides (.npy files); per quantity PyTorch's result is checked against ours first (relative 2-norm difference, ` +
    `column "check"; above ${f.tolerance} the row is reported as failed and not timed), both sides warmed up, then ${f.rounds} rounds (js: ${f.jsRounds} rounds of one call), ` +
    `each one sample of ours and one of PyTorch back to back (a sample: calls until ≥ ${f.minMs} ms, time per call), the order alternating round by round; medians over rounds. ` +
    'Ours: native at its one thread; wasm at 1 thread and at 2 (`setWasmThreads(2)`) against PyTorch at 1 and 2 threads; js at 1. ' +
    '"ours / PyTorch" is in **time** (< 1: ours faster); "paired" is the median of the per-round ratios (the least sensitive to load swings). CPU share = CPU time / wall time over the samples.', '');
  if (f.floorRate) L.push(`Gradient floor rate: ${f.floorRate.gflops.toFixed(1)} GFLOP/s — ${f.floorRate.source}. "× floor" = our gradient time / (gradient FLOPs at that rate); the GEMM-shaped FLOPs are tiny (N = C_out ≤ 32), so the ratio measures overheads: gathers, layout copies, pooling, dispatch.`, '');
  L.push('| net | ours | threads | quantity | ours ms | PyTorch ms | ours / PyTorch (time) | paired | CPU share ours / PyTorch | ours GFLOP/s | PyTorch GFLOP/s | ours × floor | check ‖Δ‖/‖ours‖ |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const rows = [...f.rows].sort((a, b) => f.configs.findIndex((k) => k.name === a.config) - f.configs.findIndex((k) => k.name === b.config) ||
    BACKENDS.indexOf(a.backend) - BACKENDS.indexOf(b.backend) || a.threads - b.threads || ORDER.indexOf(a.quantity) - ORDER.indexOf(b.quantity));
  for (const r of rows) {
    const k = f.configs.find((c) => c.name === r.config);
    const floorMs = k && f.floorRate && r.quantity === 'gradient' ? k.gradientFlops / f.floorRate.gflops / 1e6 : undefined;
    const check = Number.isFinite(r.relDiff) ? r.relDiff.toExponential(1) : '—';
    if (r.failed) { L.push(`| ${r.config} | ${r.backend} | ${r.threads} | ${r.quantity} | **FAILED: ${r.failed}** | | | | | | | | ${check} |`); continue; }
    const g = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
    L.push(`| ${r.config} | ${r.backend} | ${r.threads} | ${r.quantity} | ${ms(r.oursMs)} | ${ms(r.peerMs)} | **${x2(r.ratio)}** | ${x2(r.pairedRatio)} | ${r.oursCpuShare?.toFixed(2)} / ${r.peerCpuShare?.toFixed(2)} | ` +
      `${g(r.oursGflops)} | ${g(r.peerGflops)} | ${floorMs && r.oursMs ? x2(r.oursMs / floorMs) : ''} | ${check} |`);
  }
  L.push('');
  for (const n of f.notes) L.push(`- ${n}`);
  if (f.notes.length) L.push('');
  return L.join('\n') + '\n';
}
