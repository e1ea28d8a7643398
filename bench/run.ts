import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import { GEMM_SIZES, gemmSanity, runGemm } from './gemm.js';
import { describeMachine } from './machine.js';
import { cpuShare, measure, reason, relDiff } from './measure.js';
import { mlpData, oursReference } from './mlp-data.js';
import { loadJaxjs } from './peers/jaxjs.js';
import { loadTfjs } from './peers/tfjs.js';
import type { Peer, TimedCase } from './peers/types.js';
import type { BenchResults, BenchWhvpRow } from './report.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';
import { runVsTorch } from './vs-torch.js';
import { runWhvp } from './whvp.js';

/**
 * `npm run bench`: W-GEMM and W-HVP (../shared/WORKLOADS.md) on every backend that loads and on
 * the peers — TensorFlow.js (wasm backend) and jax-js (wasm device) — in this same process, on the
 * same inputs; then PyTorch CPU (Debian's python3-torch with OpenBLAS) in a child process, interleaved
 * with ours at 1 and 2 threads (bench/vs-torch.ts). Writes bench/results.json and renders
 * bench/RESULTS.md whole from it and the other scripts' JSON files (bench/results-md.ts).
 *
 *   npm run bench               full run (several minutes)
 *   npm run bench -- --quick    smoke run (~1 minute: small sizes, B = 256, short samples); writes
 *                               its report to a temporary folder (printed), not over bench/RESULTS.md
 *   npm run bench -- --render   re-renders bench/RESULTS.md from the JSON files, measuring nothing
 *   npm run bench -- --no-torch skips the PyTorch peer (RESULTS.md says so)
 */
if (process.argv.includes('--render')) {
  console.log(`wrote ${writeResultsMd(BENCH_DIR)} from the JSON files beside it`);
  process.exit(0);
}
const quick = process.argv.includes('--quick');
const batches = quick ? [256] : [256, 1024, 4096];
const gemmSizes = quick ? [64, 256] : GEMM_SIZES;
const maxTime = quick ? 0.3 : 3;
const sanityBatch = 256;

const machine = describeMachine();
const runStart = { cpu: process.cpuUsage(), wall: performance.now() };
const date = new Date().toISOString();
const backends = c.listBackends().map((b) => b.name).filter((n) => {
  try { c.setBackend(n); return true; } catch (err) { console.log(`backend ${n} unavailable: ${reason(err)}`); return false; }
});
const refBackend = backends.includes('wasm') ? 'wasm' : backends[0]!;

// --- peers: load (never throws), then check they compute our numbers --------------------------------
const loads = [await loadTfjs(), await loadJaxjs()];
const peers: Peer[] = [];
const results: BenchResults = {
  date, command: `npm run bench${quick ? ' -- --quick' : ''}`, quick, machine, backends,
  peers: [], sanity: [], gemm: [], gemmNotes: [], whvp: [], whvpNotes: [],
};
for (const l of loads) {
  if (l.ok) { peers.push(l.peer); results.peers.push({ label: l.peer.label, available: true, notes: l.peer.notes }); }
  else { results.peers.push({ label: l.label, available: false, reason: l.reason }); console.log(`peer ${l.label} unavailable: ${l.reason}`); }
}

c.setBackend(refBackend);
const data = new Map<number, ReturnType<typeof mlpData>>();
const dataFor = (B: number) => { if (!data.has(B)) data.set(B, mlpData(B)); return data.get(B)!; };
const ref = oursReference(sanityBatch);
const sanity = (peer: Peer, quantity: string, size: string, make: () => TimedCase, ours: ArrayLike<number>): void => {
  try {
    const k = make();
    try { results.sanity.push({ peer: peer.label, quantity, size, relDiff: relDiff(k.result(), ours), against: refBackend }); } finally { k.dispose(); }
  } catch (err) {
    results.whvpNotes.push(`${peer.label} ${quantity} failed on the sanity input: ${reason(err)}`);
  }
};
for (const p of peers) {
  if (p.sgemm) {
    c.setBackend(refBackend);
    try { results.sanity.push({ peer: p.label, quantity: 'SGEMM', size: 'n=128', relDiff: gemmSanity(p, 128), against: refBackend }); } catch (err) {
      results.gemmNotes.push(`${p.label} SGEMM failed on the sanity input: ${reason(err)}`);
    }
  }
  if (p.gradient) sanity(p, 'gradient', `B=${sanityBatch}`, () => p.gradient!(dataFor(sanityBatch)), ref.gradient);
  if (p.hvp) sanity(p, 'HVP (forward-over-reverse)', `B=${sanityBatch}`, () => p.hvp!(dataFor(sanityBatch)), ref.hvp);
}
for (const s of results.sanity) console.log(`sanity: ${s.peer} ${s.quantity} ${s.size}: ‖peer − ours‖/‖ours‖ = ${s.relDiff.toExponential(2)}`);

// --- W-GEMM --------------------------------------------------------------------------------------------
// The in-process tables are single-threaded (their header says so): the native addon's pool would
// otherwise use every core. The PyTorch section below sets 1 and 2 threads itself.
if (backends.includes('native')) c.setNativeThreads(1);
const gemm = runGemm(backends, peers, gemmSizes, maxTime);
results.gemm = gemm.rows;
results.gemmNotes.push(...gemm.notes);

// --- W-HVP: ours (bench/whvp.ts), then the peers on the same problem, batch by batch (interleaved,
// so that a change in the machine's load biases the ratios at one B as little as possible) --------
// The js reference backend skips B = 4096 (seconds per call: pointlessly slow for the oracle).
const JS_MAX_BATCH = 1024;
const whvp: BenchWhvpRow[] = [];
for (const B of batches) {
  for (const b of backends) {
    if (b === 'js' && B > JS_MAX_BATCH) continue;
    // runWhvp (bench/whvp.ts) times its four quantities; the CPU share is taken over all four.
    const { value, share } = cpuShare(() => runWhvp(b, [B], maxTime));
    whvp.push(...value.map((r) => ({ ...r, cpuShare: share })));
  }
  for (const p of peers) {
    for (const [quantity, make] of [['gradient', p.gradient], ['HVP (forward-over-reverse)', p.hvp]] as const) {
      if (!make) continue;
      let k: TimedCase | undefined;
      try {
        k = make.call(p, dataFor(B));
        const m = measure(k.run, maxTime);
        whvp.push({ backend: p.label, batch: B, quantity, medianMs: m.medianMs, samples: m.samples, rme: m.rme, cpuShare: m.cpuShare });
        console.log(`  [${p.label}] B=${B} ${quantity}: ${m.medianMs.toFixed(1)} ms (±${m.rme.toFixed(1)}%, ${m.samples} samples)`);
      } catch (err) {
        results.whvpNotes.push(`${p.label} ${quantity} at B=${B} failed: ${reason(err)}`);
      } finally {
        k?.dispose();
      }
    }
  }
}
if (backends.includes('js') && batches.some((B) => B > JS_MAX_BATCH)) {
  results.whvpNotes.push(`The js reference backend was not run at B > ${JS_MAX_BATCH} (seconds per call: pointlessly slow for the oracle).`);
}
for (const p of results.peers) if (p.available && !peers.find((q) => q.label === p.label)?.hvp) {
  results.whvpNotes.push(`${p.label} has no forward-mode autodiff: no HVP row.`);
}
results.whvp = whvp;
// The CPU share of the in-process part (the PyTorch part below has its own, per row).
const used = process.cpuUsage(runStart.cpu);
machine.cpuShare = +((used.user + used.system) / 1000 / (performance.now() - runStart.wall)).toFixed(3);

// --- PyTorch (child process), interleaved with ours, 1 and 2 threads ---------------------------------
if (process.argv.includes('--no-torch')) {
  results.torch = { peers: [{ threads: 1, reason: 'disabled by --no-torch' }], rows: [], notes: [], rounds: 0, minMs: 0, loadBefore: loadavg(), loadAfter: loadavg() };
} else {
  results.torch = await runVsTorch({ backends, threads: [1, 2], gemmSizes, batches, rounds: quick ? 3 : 7, minMs: quick ? 30 : 150 });
}

machine.loadAfter = loadavg().map((x) => +x.toFixed(2));

const outDir = quick ? mkdtempSync(join(tmpdir(), 'curvature-bench-')) : BENCH_DIR;
writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
writeResultsMd(outDir);
console.log(`wrote ${join(outDir, 'RESULTS.md')} and ${join(outDir, 'results.json')}`);
process.exit(0); // the wasm thread pool keeps the process alive otherwise
