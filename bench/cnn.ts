import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import { CnnPeer } from './cnn-peer.js';
import { cnnArrays, cnnProblem, forwardFlops, WEIGHT_DECAY, type CnnArrays, type CnnConfig } from './cnn-problem.js';
import type { CnnFile, CnnRow } from './cnn-report.js';
import { describeMachine, FLOP_PER_CYCLE } from './machine.js';
import { reason, relDiff } from './measure.js';
import { readNpy, writeNpy } from './npy.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';

/**
 * `npm run bench:cnn`: W-CNN (issue 15) — gradient, HVP, Gauss–Newton product and per-example
 * gradients of a small CNN at batch 256 (bench/cnn-problem.ts) on every backend that loads (native,
 * wasm, js) beside PyTorch CPU (Debian's python3-torch, bench/peers/cnn_torch.py) in the same run,
 * interleaved: per quantity, PyTorch's result is checked against ours first (relative 2-norm
 * difference; above 1e-3 the row is reported as failed and not timed), both sides are warmed up, then
 * `rounds` rounds, each one sample (calls until minMs have passed) of ours and of PyTorch back to
 * back, the order alternating round by round; medians over the rounds. PyTorch runs at 1 and 2
 * threads (a process each, both alive); ours: native and js at one thread (native has no thread
 * setting: one thread), wasm at 1 and 2 (setWasmThreads(2), with nothing posted to the pool for 1).
 * Writes bench/cnn.json and re-renders bench/RESULTS.md (section W-CNN).
 *
 *   npm run bench:cnn                     both nets (issue 15's 4/8 channels, WORKLOADS' 16/32)
 *   npm run bench:cnn -- --quick          short samples, issue 15's net only; writes to a temp folder
 *   npm run bench:cnn -- --backends native,wasm   --configs issue15
 */
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const quick = process.argv.includes('--quick');
const BATCH = 256;
const TOLERANCE = 1e-3;
const CONFIGS: CnnConfig[] = [{ name: 'issue15', c1: 4, c2: 8 }, { name: 'W-CNN', c1: 16, c2: 32 }];
const configs = CONFIGS.filter((k) => (arg('--configs') ?? (quick ? 'issue15' : 'issue15,W-CNN')).split(',').includes(k.name));
const wanted = arg('--backends')?.split(',');
const rounds = quick ? 3 : 7, jsRounds = 3, minMs = quick ? 40 : 150;

const machine = describeMachine();
const date = new Date().toISOString();
const ORDER = ['native', 'wasm', 'js'];
const backends = c.listBackends().map((b) => b.name).sort((a, b) => (ORDER.indexOf(a) + 99) % 99 - (ORDER.indexOf(b) + 99) % 99).filter((n) => (!wanted || wanted.includes(n)) && (() => {
  try { c.setBackend(n); return true; } catch (err) { console.log(`backend ${n} unavailable: ${reason(err)}`); return false; }
})());

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
function sample(fn: () => void, ms: number): { wall: number; cpu: number } {
  let calls = 0;
  const c0 = process.cpuUsage(), t0 = performance.now();
  let t = t0;
  do { fn(); calls++; t = performance.now(); } while (t - t0 < ms);
  const u = process.cpuUsage(c0);
  return { wall: (t - t0) / calls, cpu: (u.user + u.system) / 1000 / calls };
}
const settle = (t: number): Promise<void> => (t > 1 ? new Promise((r) => setTimeout(r, 300)) : Promise.resolve());
function setThreads(backend: string, t: number): void {
  if (backend === 'wasm') c.setWasmThreads(2, t === 1 ? { minFlops: Number.MAX_VALUE } : {});
}

interface Q { name: string; ours: string; peer: string; peerQuantity: string; fn: () => c.Tensor }

const peers: CnnPeer[] = [];
const file: CnnFile = {
  date, command: `npm run bench:cnn${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}`, machine,
  batch: BATCH, weightDecay: WEIGHT_DECAY, tolerance: TOLERANCE, rounds, jsRounds, minMs, backends, peers: [], configs: [], rows: [], notes: [],
  loadBefore: loadavg().map((x) => +x.toFixed(2)), loadAfter: [],
};
for (const t of [1, 2]) {
  try { const p = await CnnPeer.start(t); peers.push(p); file.peers.push({ threads: t, label: p.label, blas: p.blas, functorch: p.functorch }); } catch (err) {
    file.peers.push({ threads: t, reason: reason(err) }); console.log(`PyTorch peer (${t} threads) unavailable: ${reason(err)}`);
  }
}
const dir = mkdtempSync(join(tmpdir(), 'curvature-cnn-'));

async function setupPeers(a: CnnArrays, key: string): Promise<void> {
  const f = (n: string) => join(dir, `${key}-${n}.npy`);
  writeNpy(f('theta'), a.theta); writeNpy(f('v'), a.v); writeNpy(f('x'), a.x, [a.batch, 1, 28, 28]); writeNpy(f('y'), a.y);
  for (const p of peers) await p.request('cnn', { key, c1: a.cfg.c1, c2: a.cfg.c2, theta: f('theta'), x: f('x'), y: f('y'), v: f('v'), wd: WEIGHT_DECAY });
}

try {
  for (const cfg of configs) {
    const a = cnnArrays(cfg, BATCH);
    const key = `cnn-${cfg.name}`;
    const flops = forwardFlops(cfg.c1, cfg.c2, BATCH);
    file.configs.push({ ...cfg, params: a.numParams, data: a.source, forwardFlops: flops.total, gradientFlops: 3 * flops.total });
    console.log(`${cfg.name}: c1=${cfg.c1} c2=${cfg.c2}, ${a.numParams} parameters; ${a.source}; forward ${(flops.total / 1e6).toFixed(1)} MFLOP`);
    await setupPeers(a, key);
    for (const backend of backends) {
      c.setBackend(backend);
      const p = cnnProblem(a);
      const obj = (t: c.Tensor) => p.objective.value(t, p.data);
      const qs: Q[] = [
        { name: 'gradient', ours: '`c.grad` of the objective', peer: '`torch.autograd.grad`', peerQuantity: 'gradient', fn: () => c.grad(obj, p.theta) },
        { name: 'HVP', ours: '`c.hvp` (forward-over-reverse)', peer: 'double backward (reverse-over-reverse; forward-over-reverse via functorch.jvp(grad) is not implemented for nll_loss_backward / _log_softmax_backward_data in torch 1.13)', peerQuantity: 'hvp', fn: () => c.hvp(obj, p.theta, p.v) },
        { name: 'Gauss-Newton product', ours: '`c.gnvp` + λv', peer: 'double-backward trick (J v from the vjp of a dummy cotangent, Jᵀ H_z J v) + λv', peerQuantity: 'gn',
          fn: () => c.add(c.gnvp((t) => p.model.apply(t, p.data.x), (z) => c.crossEntropy(z, p.data.y), p.theta, p.v), c.mul(p.v, WEIGHT_DECAY)) },
        { name: 'per-example gradients', ours: '`Objective.perSampleGradients` (one capture: forward + backward, per-layer rules)', peer: '`functorch.vmap(functorch.grad(loss of one example))` (functorch 1.13; torch.func arrived in 2.0)', peerQuantity: 'per_example',
          fn: () => p.objective.perSampleGradients(p.theta, p.data) },
      ];
      for (const q of qs) {
        const run = () => c.tidy(() => { q.fn().dataSync(); });
        let ours: Float64Array;
        try { ours = c.tidy(() => Float64Array.from(q.fn().dataSync())); } catch (err) {
          file.notes.push(`${cfg.name} ${q.name} on ${backend} failed: ${reason(err)}`); console.error(`*** ${cfg.name} ${q.name} ${backend}: ${reason(err)}`); continue;
        }
        const threads = backend === 'wasm' ? [1, 2] : [1];
        interface Lane { t: number; peer: CnnPeer; row: CnnRow; ours: number[]; oursCpu: number; theirs: number[]; theirsCpu: number }
        const lanes: Lane[] = [];
        for (const t of threads) {
          const peer = peers.find((x) => x.threads === t);
          const row: CnnRow = { config: cfg.name, backend, threads: t, quantity: q.name, ours: q.ours, peer: q.peer, relDiff: NaN };
          file.rows.push(row);
          if (!peer) { row.failed = 'no PyTorch peer at this thread count'; continue; }
          try {
            const out = join(dir, `${key}-${q.peerQuantity}-${t}.npy`);
            await peer.request('save', { key, quantity: q.peerQuantity, out });
            row.relDiff = relDiff(readNpy(out), ours);
          } catch (err) { row.failed = `PyTorch: ${reason(err)}`; continue; }
          if (!(row.relDiff <= TOLERANCE)) {
            row.failed = `‖PyTorch − ours‖/‖ours‖ = ${row.relDiff.toExponential(2)} > ${TOLERANCE}`;
            console.error(`*** ${cfg.name} ${q.name} ${backend} ${t}t FAILED its check: ${row.failed}`);
            continue;
          }
          lanes.push({ t, peer, row, ours: [], oursCpu: 0, theirs: [], theirsCpu: 0 });
        }
        const ms = backend === 'js' ? 0 : minMs, R = backend === 'js' ? jsRounds : rounds;
        const runOurs = (l: Lane) => { setThreads(backend, l.t); const s = sample(run, ms); l.ours.push(s.wall); l.oursCpu += s.cpu / s.wall; };
        const runPeer = async (l: Lane) => { const s = await l.peer.time(key, q.peerQuantity, minMs); l.theirs.push(s.wall * 1000); l.theirsCpu += s.cpu / s.wall; await settle(l.t); };
        for (const l of lanes) { setThreads(backend, l.t); sample(run, ms); await l.peer.time(key, q.peerQuantity, minMs); await settle(l.t); }
        for (let r = 0; r < R; r++) {
          for (const l of r % 2 === 0 ? lanes : [...lanes].reverse()) {
            if (r % 2 === 0) { runOurs(l); await runPeer(l); } else { await runPeer(l); runOurs(l); }
          }
        }
        for (const l of lanes) {
          const row = l.row;
          row.oursMs = median(l.ours); row.peerMs = median(l.theirs);
          row.ratio = row.oursMs / row.peerMs;
          row.pairedRatio = median(l.ours.map((x, i) => x / l.theirs[i]!));
          row.oursCpuShare = +(l.oursCpu / l.ours.length).toFixed(3); row.peerCpuShare = +(l.theirsCpu / l.theirs.length).toFixed(3);
          row.oursRoundsMs = l.ours.map((x) => +x.toFixed(3)); row.peerRoundsMs = l.theirs.map((x) => +x.toFixed(3));
          if (q.name === 'gradient') {
            const f = 3 * flops.total;
            row.oursGflops = f / row.oursMs / 1e6; row.peerGflops = f / row.peerMs / 1e6;
          }
          console.log(`  [${cfg.name}] ${backend} ${l.t}t ${q.name}: ours ${row.oursMs.toFixed(2)} ms, PyTorch ${row.peerMs.toFixed(2)} ms, ours/PyTorch time ${row.ratio.toFixed(2)}× (paired ${row.pairedRatio.toFixed(2)}×; check ${row.relDiff.toExponential(1)}; CPU share ${row.oursCpuShare}/${row.peerCpuShare})`);
        }
      }
      p.dispose();
      if (backend === 'wasm') c.setWasmThreads(1);
    }
    for (const p of peers) await p.request('drop', { key });
  }
} finally {
  for (const p of peers) await p.close();
  rmSync(dir, { recursive: true, force: true });
}
file.floorRate = { gflops: FLOP_PER_CYCLE.float32 * machine.ghz, source: `bench/machine.ts: ${FLOP_PER_CYCLE.float32} float32 flop/cycle (one core, wasm SIMD128 without FMA) × ${machine.ghz.toFixed(2)} GHz (${machine.ghzSource})` };
file.loadAfter = loadavg().map((x) => +x.toFixed(2));
machine.loadAfter = file.loadAfter;
const outDir = quick ? mkdtempSync(join(tmpdir(), 'curvature-bench-cnn-')) : BENCH_DIR;
writeFileSync(join(outDir, 'cnn.json'), JSON.stringify(file, null, 2) + '\n');
console.log(`wrote ${join(outDir, 'cnn.json')}${quick ? '' : ` and ${writeResultsMd(outDir)}`}`);
process.exit(0);
