#!/usr/bin/env node
/**
 * Soak run of the influence API (issue 10): many influence() calls, many solves and streamed
 * scoring passes in one process, with the backend's allocated bytes, the wasm linear memory and
 * the process memory sampled as it goes. A leak shows as growth of the allocated bytes after the
 * warm-up; the figures go to docs/SOAK.md. Not a test (no assertion on time); the leak assertion
 * lives in test/influence/leak.test.ts.
 *
 *   npx tsc -p . && node scripts/soak.mjs [--backend wasm|js] [--influence 1000] [--solves 10000]
 *                                          [--streams 200] [--widths 64,16,10] [--train 500] [--test 50]
 *
 * The loops are synchronous where the API is (influence, inverseHvp), so no finaliser can free a
 * leaked tensor in between: what is not disposed stays counted. "live" counts the backend buffers
 * allocated during the run and not freed (alloc/free wrapped, any backend); "allocated" is the wasm
 * allocator's own figure (cv_allocated_bytes) and "memory" the size of the wasm linear memory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../dist/src/index.js';
import { Random } from '../dist/src/tensor/random.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const backendName = opt('backend', 'wasm');
const nInfluence = Number(opt('influence', 1000));
const nSolves = Number(opt('solves', 10000));
const nStreams = Number(opt('streams', 200));
const widths = opt('widths', '64,16,10').split(',').map(Number);
const nTrain = Number(opt('train', 500)), nTest = Number(opt('test', 50));

const backend = c.setBackend(backendName);
const ITEM = { float64: 8, float32: 4, int32: 4 };
let live = 0;
const sizes = new Map();
const alloc = backend.alloc, free = backend.free;
backend.alloc = (dtype, size) => {
  const buf = alloc.call(backend, dtype, size);
  const n = Math.max(1, size) * ITEM[dtype];
  sizes.set(buf, n);
  live += n;
  return buf;
};
backend.free = (buf) => {
  const n = sizes.get(buf);
  if (n !== undefined) { sizes.delete(buf); live -= n; }
  free.call(backend, buf);
};

const MiB = 2 ** 20;
function sample() {
  const m = process.memoryUsage();
  return {
    live,
    allocated: typeof backend.allocatedBytes === 'function' ? backend.allocatedBytes() : null,
    memory: typeof backend.memoryBytes === 'function' ? backend.memoryBytes() : null,
    rss: m.rss, heap: m.heapUsed,
  };
}
const fmtB = (b) => (b === null ? '—' : b < MiB ? `${(b / 1024).toFixed(1)} KiB` : `${(b / MiB).toFixed(1)} MiB`);

// A random classification problem (the influence figures do not matter here, only the memory).
const rng = new Random(1);
const model = c.Sequential.mlp(widths, 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const data = (n) => ({
  x: c.keep(c.tensor(Float64Array.from({ length: n * widths[0] }, () => rng.normal()), [n, widths[0]], 'float64')),
  y: c.keep(c.tensor(Int32Array.from({ length: n }, () => rng.int(widths.at(-1))), [n], 'int32')),
});
const train = data(nTrain), test = data(nTest);
const theta = c.keep(model.init({ seed: 1, dtype: 'float64' }));
const P = theta.size;
const t0 = performance.now();
const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct', hessian: 'gauss-newton', damping: 1e-3 });
const fitSeconds = (performance.now() - t0) / 1000;
const grads = c.keep(infl.gradients(test));
const vectors = Array.from({ length: 16 }, (_, i) => c.keep(c.reshape(c.slice(grads, [i % nTest, 0], [1, P]), [P])));
const dir = mkdtempSync(join(tmpdir(), 'curv-soak-'));

const rows = [];
async function phase(name, calls, warmup, every, fn) {
  const start = sample();
  for (let i = 0; i < warmup; i++) await fn(i);
  const warm = sample();
  let peak = warm.live;
  const t = performance.now();
  for (let i = 0; i < calls; i++) {
    await fn(i);
    if ((i + 1) % every === 0) {
      const s = sample();
      peak = Math.max(peak, s.live);
      process.stdout.write(`  ${name}: ${i + 1}/${calls}  live ${fmtB(s.live)}  allocated ${fmtB(s.allocated)}  memory ${fmtB(s.memory)}  rss ${fmtB(s.rss)}\n`);
    }
  }
  const seconds = (performance.now() - t) / 1000;
  const end = sample();
  rows.push({ name, calls, warmup, seconds, start, warm, end, peak });
}

console.log(`soak: backend ${backendName}, MLP ${widths.join('-')} (P = ${P}), ${nTrain} training and ${nTest} test points, direct solver on the damped Gauss–Newton Hessian (fit ${fitSeconds.toFixed(1)} s)`);
await phase(`influence() ×${nInfluence}`, nInfluence, 5, Math.max(1, nInfluence / 10), () => infl.influence(test).scores.dispose());
await phase(`inverseHvp([P]) ×${nSolves}`, nSolves, 50, Math.max(1, nSolves / 10), (i) => infl.inverseHvp(vectors[i % vectors.length]).x.dispose());
const out = join(dir, 'scores.npy');
await phase(`streamInfluence(.npy, top-k) ×${nStreams}`, nStreams, 3, Math.max(1, nStreams / 10),
  () => c.streamInfluence(infl, test, c.chunked(train, 128), { npyPath: out, topK: 5, keepScores: false }));
const leftover = readdirSync(dir).filter((f) => f !== 'scores.npy');
rmSync(dir, { recursive: true, force: true });

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\nmachine: ${cpu}, ${cpus().length} logical CPUs; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
console.log(`command: node scripts/soak.mjs ${args.join(' ')}`.trimEnd());
console.log('\n| phase | calls (+ warm-up) | s | live bytes: start → after warm-up → end (peak) | Δ live after warm-up (per call) | Δ wasm allocated after warm-up | wasm memory: start → end | rss: start → end |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const dLive = r.end.live - r.warm.live;
  const dAlloc = r.end.allocated === null ? '—' : `${r.end.allocated - r.warm.allocated} B`;
  console.log(`| ${r.name} | ${r.calls} (+${r.warmup}) | ${r.seconds.toFixed(1)} | ${fmtB(r.start.live)} → ${fmtB(r.warm.live)} → ${fmtB(r.end.live)} (${fmtB(r.peak)}) | ${dLive} B (${(dLive / r.calls).toFixed(1)} B) | ` +
    `${dAlloc} | ${fmtB(r.start.memory)} → ${fmtB(r.end.memory)} | ${fmtB(r.start.rss)} → ${fmtB(r.end.rss)} |`);
}
console.log(`\ntemporary files left next to the .npy: ${leftover.length === 0 ? 'none' : leftover.join(', ')}`);
const grew = rows.filter((r) => r.end.live > r.warm.live);
if (grew.length) {
  console.log(`GROWTH after warm-up in: ${grew.map((r) => r.name).join('; ')}`);
  process.exitCode = 1;
}
