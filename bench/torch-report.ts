import type { TorchComparison, TorchRow } from './vs-torch.js';

/** The "PyTorch in the same run" section of RESULTS.md, from results.json's `torch` (bench/vs-torch.ts). */
const f = (x: number | undefined, d = 1): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '—');
const x2 = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const met = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? '**met**' : '**not met**');
const ms = (x: number | undefined): string => (x === undefined ? '—' : x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));

const median = (a: number[]): number => (a.length ? [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]! : NaN);

/** Median over rounds of a per-round ratio (samples of one round were taken back to back, under the same load). */
export function pairedRatio(num: number[] | undefined, den: number[] | undefined): number {
  if (!num || !den || num.length !== den.length) return NaN;
  return median(num.map((x, i) => x / den[i]!));
}

function cells(r: TorchRow): string {
  if (r.failed) return `**FAILED: ${r.failed}** | | | | | |`;
  return `${ms(r.oursMs)} | ${ms(r.peerMs)} | **${x2(r.ratio)}** | ${x2(pairedRatio(r.peerRoundsMs, r.oursRoundsMs))} | ${x2(r.oursMs! / r.peerMs!)} | ${f(r.oursCpuShare, 2)} / ${f(r.peerCpuShare, 2)}`;
}

export function renderTorch(t: TorchComparison): string {
  const L: string[] = ['## PyTorch in the same run (W-GEMM and W-HVP, 1 and 2 threads)', ''];
  for (const p of t.peers) {
    L.push(p.label ? `- ${p.threads} thread(s): ${p.label} (bench/peers/torch_server.py under /usr/bin/python3, OPENBLAS_NUM_THREADS = torch.set_num_threads = ${p.threads}` +
      `${p.ompWaitPolicy ? `, OMP_WAIT_POLICY=${p.ompWaitPolicy}` : ''}); BLAS: \`${p.blas}\`` +
      (p.blas?.includes('openblas') ? '' : ' (not OpenBLAS: Debian\'s reference BLAS is ≈ 20× slower; apt-get install libopenblas0-pthread)')
      : `- ${p.threads} thread(s): **PyTorch peer not run** — ${p.reason}`);
  }
  if (!t.peers.length) L.push('- PyTorch peer not run in this run.');
  L.push(`- load average (1/5/15 min) before this section: ${t.loadBefore.join(' / ')}; after: ${t.loadAfter.join(' / ')}.`, '');
  if (!t.rows.length) return L.join('\n') + '\n';
  L.push('Method: one long-lived Python process per thread count (all alive at once), driven over stdin/stdout JSON lines; each problem is set up on ' +
    'every side on the same inputs (.npy files: A and B; θ, x, labels, v), PyTorch\'s result is checked against ours first ' +
    `(relative 2-norm difference; a row above ${t.rows.find((r) => r.dtype === 'float32')?.tolerance ?? 1e-3} in float32 is reported as failed and not timed), ` +
    `all are warmed up, then ${t.rounds} rounds; a round takes one sample of ours and of PyTorch at 1 thread, then at 2 threads (the order of both ` +
    `alternates round by round), a sample being calls until ≥ ${t.minMs} ms have passed, time per call. So the 1- and 2-thread rows and ours and PyTorch ` +
    'see the same machine load. The figures are the medians over the rounds; PyTorch times itself (time.perf_counter), so the pipe is not in its time. ' +
    'OMP_WAIT_POLICY=PASSIVE keeps torch\'s OpenMP workers from spinning beside OpenBLAS\'s threads (spinning, 2-thread autograd ran 10–60× slower than 1 thread here), ' +
    'and after each multi-threaded PyTorch sample the bench waits 300 ms for OpenBLAS\'s workers to stop busy-waiting (≈ 0.1 s by default) before ours runs. ' +
    'Ours: `setWasmThreads(2)` (default split threshold, as a user runs it) for 2 threads; for 1 thread the same pool with nothing posted to it ' +
    '(minFlops above every problem, as bench/threads-gemm.ts does), so that the workers are not restarted between samples. "CPU share" = CPU time / wall time of each process over ' +
    'its samples (≈ the thread count on idle cores; less when other processes take the cores).', '');
  L.push('Ratio columns: **ours / PyTorch in throughput** (= PyTorch\'s median time / ours; > 1: ours faster), the same ratio paired by round ' +
    '(median over rounds of PyTorch\'s time / ours in that round: the two samples of a round ran back to back, so this one is the least sensitive to load swings), ' +
    'and ours / PyTorch in time (≤ 1: ours no slower).', '');

  const gemm = t.rows.filter((r) => r.workload === 'W-GEMM');
  if (gemm.length) {
    L.push('### W-GEMM (square C = A·B; ours `c.matmul`, product left in backend memory; PyTorch `torch.mm`)', '');
    L.push('| ours | dtype | n | threads | ours ms | PyTorch ms | ours / PyTorch (throughput) | paired by round | ours / PyTorch (time) | CPU share ours / PyTorch | ours GFLOP/s | PyTorch GFLOP/s | check ‖Δ‖/‖ours‖ |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of sorted(gemm)) L.push(`| ${r.backend} | ${r.dtype} | ${r.size.slice(2)} | ${r.threads} | ${cells(r)} | ${f(r.oursGflops)} | ${f(r.peerGflops)} | ${r.relDiff.toExponential(1)} |`);
    L.push('');
  }
  const whvp = t.rows.filter((r) => r.workload === 'W-HVP');
  if (whvp.length) {
    L.push('### W-HVP (MLP 784-128 tanh-128 tanh-10, mean cross-entropy, float32; results read back to host arrays)', '');
    const how = [...new Map(whvp.map((r) => [r.quantity, r])).values()];
    for (const r of how) L.push(`- ${r.quantity}: ours ${r.ours}; PyTorch ${r.peer}.`);
    L.push('');
    L.push('| ours | quantity | B | threads | ours ms | PyTorch ms | ours / PyTorch (throughput) | paired by round | ours / PyTorch (time) | CPU share ours / PyTorch | check ‖Δ‖/‖ours‖ |',
      '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of sorted(whvp)) L.push(`| ${r.backend} | ${r.quantity} | ${r.size.slice(2)} | ${r.threads} | ${cells(r)} | ${r.relDiff.toExponential(1)} |`);
    L.push('');
  }
  const slower = t.rows.filter((r) => r.threads > 1 && r.peerMs !== undefined).filter((r) => {
    const one = t.rows.find((q) => q.threads === 1 && q.backend === r.backend && q.quantity === r.quantity && q.size === r.size && q.dtype === r.dtype);
    return one?.peerMs !== undefined && r.peerMs! > one.peerMs;
  });
  if (slower.length) {
    L.push(`PyTorch with ${slower[0]!.threads} threads was slower than with one on: ${slower.map((r) => `${r.quantity} ${r.size}${r.workload === 'W-GEMM' ? ` ${r.dtype}` : ''}`).join(', ')}. ` +
      'When other processes hold the cores (load average above the core count), a descheduled worker thread stalls every parallel kernel ' +
      '(ours too): read the 2-thread rows as this machine\'s state during the run, not as either library\'s scaling on idle cores.', '');
  }
  for (const n of t.notes) L.push(`- ${n}`);
  if (t.notes.length) L.push('');
  L.push(...targets(t.rows));
  return L.join('\n') + '\n';
}

const num = (r: TorchRow): number => Number(r.size.slice(2));
function sorted(rows: TorchRow[]): TorchRow[] {
  const order = ['gradient', 'HVP', 'Gauss-Newton product'];
  return [...rows].sort((a, b) => a.backend.localeCompare(b.backend) || a.dtype.localeCompare(b.dtype) ||
    order.indexOf(a.quantity) - order.indexOf(b.quantity) || num(a) - num(b) || a.threads - b.threads);
}

/** Issue 13's acceptance rows, per backend of ours. */
function targets(rows: TorchRow[]): string[] {
  const L = ['### Issue 13 targets against PyTorch (from the rows above)', '', '| ours | target | measured | status |', '|---|---|---|---|'];
  const ok = (r: TorchRow | undefined): r is TorchRow => !!r && !r.failed && r.ratio !== undefined;
  for (const b of [...new Set(rows.map((r) => r.backend))]) {
    const of = (q: string, size: string, threads: number) => rows.find((r) => r.backend === b && r.quantity === q && r.size === size && r.threads === threads);
    for (const q of ['SGEMM', 'DGEMM']) {
      const big = [...new Set(rows.filter((r) => r.quantity === q && num(r) >= 256).map((r) => r.size))];
      const one = big.map((s) => of(q, s, 1)).filter(ok), two = big.map((s) => [of(q, s, 1), of(q, s, 2)] as const).filter(([a, c]) => ok(a) && ok(c));
      L.push(`| ${b} | ${q} n ≥ 256, 1 thread ≥ 0.9× OpenBLAS throughput | ${one.map((r) => `${r.size} ${x2(r.ratio)}`).join(', ') || '—'} | ${met(one.length ? one.every((r) => r.ratio! >= 0.9) : null)} |`);
      const sp = two.map(([a, c]) => [a!.size, pairedRatio(a!.oursRoundsMs, c!.oursRoundsMs)] as const);
      L.push(`| ${b} | ${q} n ≥ 256, 2 threads ≥ 1.8× one thread (ours; median of the per-round speedups) | ${sp.map(([s, x]) => `${s} ${x2(x)}`).join(', ') || '—'} | ${met(sp.length ? sp.every(([, x]) => x >= 1.8) : null)} |`);
    }
    for (const q of ['gradient', 'HVP', 'Gauss-Newton product']) {
      const r = of(q, 'B=1024', 1);
      L.push(`| ${b} | W-HVP ${q} B = 1024, 1 thread: time ≤ PyTorch's (ours / PyTorch time ≤ 1.0) | ${ok(r) ? x2(r.oursMs! / r.peerMs!) : '—'} | ${met(ok(r) ? r.oursMs! <= r.peerMs! : null)} |`);
    }
  }
  L.push('');
  return L;
}
