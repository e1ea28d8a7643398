import type { GemmRow } from './gemm.js';
import { FLOP_PER_CYCLE, type Machine } from './machine.js';
import type { TorchComparison } from './vs-torch.js';
import type { WhvpRow } from './whvp.js';

/** A W-HVP row of ours or of a peer (peers have no CPU time or flop count). */
export type BenchWhvpRow = Omit<WhvpRow, 'cpuMs' | 'gflop'> & Partial<Pick<WhvpRow, 'cpuMs' | 'gflop'>> & { cpuShare?: number };

/** Everything one `npm run bench` measured: results.json is exactly this object. */
export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  machine: Machine;
  backends: string[];
  peers: { label: string; available: boolean; reason?: string; notes?: string[] }[];
  /** Peer results against ours on the same input (relative 2-norm difference). */
  sanity: { peer: string; quantity: string; size: string; relDiff: number; against: string }[];
  gemm: GemmRow[];
  gemmNotes: string[];
  /** Ours (backend = js / wasm) and the peers (backend = peer label). */
  /** Our rows carry CPU time and matmul flops (bench/whvp.ts); peers' rows do not. */
  whvp: BenchWhvpRow[];
  whvpNotes: string[];
  /** PyTorch (OpenBLAS) in a child process, interleaved with ours at 1 and 2 threads (bench/vs-torch.ts). */
  torch?: TorchComparison;
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const met = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? '**met**' : '**not met**');

export function renderResults(r: BenchResults): string {
  const m = r.machine;
  const L: string[] = [];
  const gemmOf = (impl: string, dtype: string, n: number, threads = 1) =>
    r.gemm.find((g) => g.impl === impl && g.dtype === dtype && g.n === n && g.threads === threads);
  const whvpOf = (backend: string, batch: number, q: string) =>
    r.whvp.find((w) => w.backend === backend && w.batch === batch && w.quantity.startsWith(q))?.medianMs ?? NaN;
  const peersOk = r.peers.filter((p) => p.available);
  const sgemmPeers = [...new Set(r.gemm.filter((g) => !r.backends.includes(g.impl)).map((g) => g.impl))];
  const gemmSizes = [...new Set(r.gemm.map((g) => g.n))].sort((a, b) => a - b);
  const batches = [...new Set(r.whvp.map((w) => w.batch))].sort((a, b) => a - b);

  L.push('# Benchmark results', '');
  L.push(`- date: ${r.date}`);
  L.push(`- command: \`${r.command}\`${r.quick ? ' (quick smoke run: fewer sizes, short samples — not for quoting)' : ''}`);
  L.push(`- machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Node ${m.node}`);
  L.push(`- load average (1/5/15 min) before: ${m.loadBefore.join(' / ')}; after: ${m.loadAfter?.join(' / ') ?? '?'}. ` +
    'This machine is shared (other agents were building and testing on its cores during the run), so every figure ' +
    'is the benchmark.js median of its samples and ratios are taken within this one run.');
  const shares = [...r.gemm.map((g) => g.cpuShare), ...r.whvp.map((w) => w.cpuShare)].filter((x): x is number => Number.isFinite(x));
  if (m.cpuShare !== undefined) {
    L.push(`- CPU share (this process's CPU time / wall time; ≈ 1.0 on an idle core): ${m.cpuShare.toFixed(2)} over the whole run` +
      (shares.length ? `, ${Math.min(...shares).toFixed(2)}–${Math.max(...shares).toFixed(2)} across rows` : '') +
      (m.cpuShare < 0.8 ? '. **Absolute times are inflated by roughly 1/share by the other processes**; GFLOP/s and the targets ' +
        'below are therefore pessimistic, while ratios between rows measured back to back (ours vs peer at the same size) are ' +
        'the meaningful figures. Per-row shares are in results.json.' : '.'));
  }
  L.push(`- backends (ours): ${r.backends.join(', ')}; every figure single-threaded unless a row says otherwise.`);
  L.push('- peers, measured in this same process and run (PyTorch, in a child process of the same run: its own section below):');
  for (const p of r.peers) L.push(p.available ? `  - ${p.label}: ${p.notes?.join('; ')}` : `  - ${p.label}: unavailable: ${p.reason}`);
  L.push('');

  // --- sanity -----------------------------------------------------------------------------------
  L.push('## Same numbers as ours?', '', 'Each peer computed on exactly our inputs (θ, x, labels, v; A, B); relative 2-norm difference from ours:', '');
  L.push('| peer | quantity | size | ‖peer − ours‖/‖ours‖ | ours on |', '|---|---|---|---|---|');
  for (const s of r.sanity) L.push(`| ${s.peer} | ${s.quantity} | ${s.size} | ${s.relDiff.toExponential(1)} | ${s.against} |`);
  if (!r.sanity.length) L.push('| — | no peer available | | | |');
  L.push('', 'float32 everywhere: differences of a few 1e-7 are rounding (different summation orders), not disagreement.', '');

  // --- GEMM -------------------------------------------------------------------------------------
  L.push('## W-GEMM (square C = A·B)', '', 'GFLOP/s = 2n³ / median time. Ours: `c.matmul` (output allocated in backend memory, no read-back); ' +
    'TensorFlow.js: `tf.matMul` (same). The js backend skips n = 1024 (pointlessly slow for the reference oracle).', '');
  const impls: [string, string][] = [];
  for (const b of r.backends) for (const d of ['float32', 'float64']) impls.push([b, d]);
  for (const p of sgemmPeers) impls.push([p, 'float32']);
  L.push(`| implementation | dtype | ${gemmSizes.map((n) => `n=${n}`).join(' | ')} |`, `|---|---|${gemmSizes.map(() => '---|').join('')}`);
  for (const [impl, d] of impls) L.push(`| ${impl} | ${d} | ${gemmSizes.map((n) => f(gemmOf(impl, d, n)?.gflops ?? NaN)).join(' | ')} |`);
  const twoThread = r.gemm.filter((g) => g.threads > 1);
  for (const g of twoThread) L.push(`| ${g.impl}, ${g.threads} threads | ${g.dtype} | ${gemmSizes.map((n) => (n === g.n ? f(g.gflops) : '')).join(' | ')} |`);
  L.push('');
  for (const p of sgemmPeers) {
    L.push(`Ratio ours / ${p} in SGEMM throughput (= its time / ours; > 1: ours faster):`, '');
    L.push(`| backend | ${gemmSizes.map((n) => `n=${n}`).join(' | ')} |`, `|---|${gemmSizes.map(() => '---|').join('')}`);
    for (const b of r.backends) L.push(`| ${b} | ${gemmSizes.map((n) => ratio((gemmOf(b, 'float32', n)?.gflops ?? NaN) / (gemmOf(p, 'float32', n)?.gflops ?? NaN))).join(' | ')} |`);
    L.push('');
  }
  for (const n of r.gemmNotes) L.push(`- ${n}`);
  if (r.gemmNotes.length) L.push('');

  // --- W-HVP ------------------------------------------------------------------------------------
  L.push('## W-HVP (MLP 784-128 tanh-128 tanh-10, mean cross-entropy, float32, 118,282 parameters)', '',
    'Median wall time per call, result read back to a JS typed array. Ours: bench/whvp.ts.', '');
  const quantities = ['gradient', 'HVP (forward-over-reverse)', 'HVP (reverse-over-reverse)', 'Gauss-Newton product'];
  L.push(`| implementation | B | ${quantities.map((q) => `${q} ms`).join(' | ')} | HVP/grad | GN/grad |`, `|---|---|${quantities.map(() => '---|').join('')}---|---|`);
  const whvpImpls = [...new Set(r.whvp.map((w) => w.backend))];
  for (const impl of whvpImpls) {
    for (const B of batches) {
      const t = quantities.map((q) => whvpOf(impl, B, q));
      if (t.every((x) => !Number.isFinite(x))) continue;
      L.push(`| ${impl} | ${B} | ${t.map((x) => f(x)).join(' | ')} | ${ratio(t[1]! / t[0]!)} | ${ratio(t[3]! / t[0]!)} |`);
    }
  }
  L.push('');
  const peerImpls = whvpImpls.filter((i) => !r.backends.includes(i));
  if (peerImpls.length) {
    L.push('Ratio ours / peer in throughput (= peer time / our time; > 1: ours faster), same quantity, same B:', '');
    L.push('| ours | peer | quantity | ' + batches.map((B) => `B=${B}`).join(' | ') + ' |', `|---|---|---|${batches.map(() => '---|').join('')}`);
    for (const b of r.backends) {
      for (const p of peerImpls) {
        for (const q of ['gradient', 'HVP (forward-over-reverse)']) {
          const xs = batches.map((B) => whvpOf(p, B, q) / whvpOf(b, B, q));
          if (xs.every((x) => !Number.isFinite(x))) continue;
          L.push(`| ${b} | ${p} | ${q} | ${xs.map(ratio).join(' | ')} |`);
        }
      }
    }
    L.push('');
  }
  for (const n of r.whvpNotes) L.push(`- ${n}`);
  if (r.whvpNotes.length) L.push('');

  // --- targets ----------------------------------------------------------------------------------
  const tf = sgemmPeers.find((p) => p.startsWith('TensorFlow.js'));
  const big = gemmSizes.filter((n) => n >= 256);
  const s = big.map((n) => gemmOf('wasm', 'float32', n)?.gflops ?? NaN);
  const dgemm = big.map((n) => gemmOf('wasm', 'float64', n)?.gflops ?? NaN);
  const vsTf = tf ? big.map((n) => (gemmOf('wasm', 'float32', n)?.gflops ?? NaN) / (gemmOf(tf, 'float32', n)?.gflops ?? NaN)) : [];
  const known = (xs: number[]): boolean => xs.length > 0 && xs.every(Number.isFinite);
  const g1024 = whvpOf('wasm', 1024, 'gradient'), h1024 = whvpOf('wasm', 1024, 'HVP (forward'), gn1024 = whvpOf('wasm', 1024, 'Gauss');
  const t1 = gemmOf('wasm', 'float32', 1024, 1)?.gflops ?? NaN, t2 = gemmOf('wasm', 'float32', 1024, 2)?.gflops ?? NaN;
  L.push('## Targets (issue 3), wasm backend', '');
  L.push('| target | measured | status |', '|---|---|---|');
  L.push(`| SGEMM n=256..1024 ≥ 1.5× TensorFlow.js wasm | ${vsTf.map(ratio).join(', ') || '—'} | ${met(known(vsTf) ? vsTf.every((x) => x >= 1.5) : null)} |`);
  L.push(`| SGEMM n=256..1024 ≥ 32 GFLOP/s | ${s.map((x) => f(x)).join(', ')} | ${met(known(s) ? s.every((x) => x >= 32) : null)} |`);
  L.push(`| DGEMM n=256..1024 ≥ 16 GFLOP/s | ${dgemm.map((x) => f(x)).join(', ')} | ${met(known(dgemm) ? dgemm.every((x) => x >= 16) : null)} |`);
  L.push(`| gradient ≤ 25 ms at B=1024 | ${f(g1024)} ms | ${met(Number.isFinite(g1024) ? g1024 <= 25 : null)} |`);
  L.push(`| HVP ≤ 1.6× gradient (B=1024) | ${ratio(h1024 / g1024)} | ${met(Number.isFinite(h1024 / g1024) ? h1024 / g1024 <= 1.6 : null)} |`);
  L.push(`| GN ≤ 1.5× gradient (B=1024) | ${ratio(gn1024 / g1024)} | ${met(Number.isFinite(gn1024 / g1024) ? gn1024 / g1024 <= 1.5 : null)} |`);
  L.push(`| 2 threads GEMM n=1024 ≥ 1.7× one thread | ${Number.isFinite(t2) ? ratio(t2 / t1) : 'no thread API in this build'} | ${met(Number.isFinite(t2 / t1) ? t2 / t1 >= 1.7 : null)} |`);
  L.push('');

  // --- floor ------------------------------------------------------------------------------------
  const peak32 = FLOP_PER_CYCLE.float32 * m.ghz, peak64 = FLOP_PER_CYCLE.float64 * m.ghz;
  L.push('## Distance from the WASM SIMD floor', '',
    `WebAssembly SIMD128 has no fused multiply-add, so one core peaks at 2 vector pipes × (4-lane multiply + 4-lane add) = ` +
    `${FLOP_PER_CYCLE.float32} float32 flop/cycle (${FLOP_PER_CYCLE.float64} float64). Clock: ${m.ghz.toFixed(2)} GHz (${m.ghzSource}), so ` +
    `the single-thread peak is ≈ ${f(peak32)} GFLOP/s float32 and ≈ ${f(peak64)} GFLOP/s float64. A turbo clock above the reported one ` +
    'would raise the peak accordingly.', '');
  L.push('"Per CPU-second" divides by the CPU time this process actually got (wall time × its CPU share, results.json): ' +
    'a contention-robust estimate of what an idle core would do, optimistic only in ignoring the cache damage that ' +
    'being descheduled does (and pessimistic in counting GC/compiler threads).', '');
  L.push('| quantity | GFLOP/s (wall) | fraction of peak | GFLOP per CPU-second | fraction of peak |', '|---|---|---|---|---|');
  const line = (what: string, gf: number, share: number | undefined, peak: number): void => {
    const cpu = share && share > 0 ? gf / share : NaN;
    L.push(`| ${what} | ${f(gf)} | ${f((100 * gf) / peak, 0)}% | ${f(cpu)} | ${f((100 * cpu) / peak, 0)}% |`);
  };
  for (const n of big) {
    const a = gemmOf('wasm', 'float32', n), b = gemmOf('wasm', 'float64', n);
    line(`wasm SGEMM n=${n}`, a?.gflops ?? NaN, a?.cpuShare, peak32);
    line(`wasm DGEMM n=${n}`, b?.gflops ?? NaN, b?.cpuShare, peak64);
  }
  for (const B of batches) {
    const row = r.whvp.find((w) => w.backend === 'wasm' && w.batch === B && w.quantity === 'gradient');
    const gf = gradientFlops(B) / ((row?.medianMs ?? NaN) * 1e6);
    line(`wasm gradient B=${B} (${f(gradientFlops(B) / 1e9, 2)} GFLOP of matmuls)`, gf, row?.cpuShare, peak32);
  }
  L.push('');
  if (!peersOk.length) L.push('No peer was available in this run: the ratio tables are empty.', '');

  L.push('Native peers (PyTorch CPU with OpenBLAS) run in a child process of this same run: the next section.', '');
  return L.join('\n');
}

/** Matmul flops of one gradient: forward and weight gradients over all layers, input gradients of layers 2 and 3. */
export function gradientFlops(batch: number): number {
  const weights = 784 * 128 + 128 * 128 + 128 * 10;
  return 2 * batch * (2 * weights + 128 * 128 + 128 * 10);
}
