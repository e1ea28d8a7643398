/**
 * Validation (not a CI test): memory while influence is FITTED and scored on a training set that is
 * streamed from .npy files on disk and grows 10×. The training inputs X [N, 784] and labels y [N]
 * (Fashion-MNIST images cycled with per-copy noise) are written incrementally with NpyWriter, then
 *   InfluenceModel.fit(objective, θ, npyChunkSource(X, y, chunk), { Gauss–Newton, solver })
 * (every curvature product one pass over the files, one chunk in memory at a time), s_test solves
 * for 4 test points and streamInfluence over the same source's chunks (scores to .npy, top-k).
 *   node dist/scripts/validate/streaming-fit-memory.js [--backend js|wasm] [--n 2000] [--chunk 256]
 *        [--solver nystrom|cg] [--rank 8] [--iters 5]
 * Prints, for N and 10·N: times, RSS and wasm heap in use before and peak (sampled at every chunk).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../src/index.js';
import { imageRowSource } from './image-rows.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
const backend = arg('backend', 'wasm');
const n1 = Number(arg('n', '2000'));
const chunk = Number(arg('chunk', '256'));
const solver = arg('solver', 'nystrom') as c.SolverName;
const rank = Number(arg('rank', '8'));
const iters = Number(arg('iters', '5'));
c.setBackend(backend);

const rows = imageRowSource();
const asDataset = (d: { x: Float64Array; y: Float64Array }) =>
  ({ x: c.tensor(d.x, [d.y.length, 784], 'float64'), y: c.tensor(Int32Array.from(d.y), [d.y.length], 'int32') });

const dir = mkdtempSync(join(tmpdir(), 'curv-fitmem-'));
/** X and y of n rows written chunk by chunk (never whole in memory). */
function writeTrainingSet(n: number): { x: string; y: string } {
  const x = join(dir, `x-${n}.npy`), y = join(dir, `y-${n}.npy`);
  const wx = c.NpyWriter.open(x, { rowShape: [784], rows: n }), wy = c.NpyWriter.open(y, { rowShape: [], rows: n });
  for (let start = 0; start < n; start += 1024) {
    const d = rows(start, Math.min(1024, n - start), start);
    wx.append(d.x); wy.append(d.y);
  }
  wx.close(); wy.close();
  return { x, y };
}

const model = c.Sequential.mlp([784, 32, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const pre = asDataset(rows(0, 1000, 0));
const { theta } = c.fitLbfgs(objective, model.init({ dtype: 'float64' }), pre, { maxIter: 50 });
c.keep(theta);
pre.x.dispose(); pre.y.dispose();
const test = asDataset(rows(50000, 4, 7));
const wasmBytes = (): number => {
  const b = c.getBackend() as unknown as { allocatedBytes?: () => number };
  return typeof b.allocatedBytes === 'function' ? b.allocatedBytes() : NaN;
};
const mb = (v: number) => (v / 2 ** 20).toFixed(1);

console.log(`backend ${backend}, model ${model.describe()} (${model.numParams} parameters), chunks of ${chunk} rows read from .npy, ` +
  `Gauss–Newton + damping 1e-2, solver ${solver}${solver === 'nystrom' ? ` rank ${rank}` : ` ${iters} iterations`}, 4 test points`);
for (const n of [n1, 10 * n1]) {
  const files = writeTrainingSet(n);
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss, wasm0 = wasmBytes();
  let rssPeak = rss0, wasmPeak = wasm0, chunksRead = 0;
  const sample = () => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); wasmPeak = Math.max(wasmPeak, wasmBytes()); };
  const disk = c.npyChunkSource(files.x, files.y, chunk, { labels: true });
  // The same source, sampling memory whenever a chunk has been read.
  const source: c.ChunkSource = {
    size: disk.size!,
    chunk: (i) => { const d = disk.chunk!(i); chunksRead++; sample(); return d; },
    *chunks() { for (const d of disk.chunks()) { chunksRead++; sample(); yield d; } },
  };
  const t0 = performance.now();
  const infl = c.InfluenceModel.fit(objective, theta, source, {
    hessian: 'gauss-newton', damping: 1e-2, solver, batchSize: 256,
    solverOptions: solver === 'nystrom' ? { rank } : { maxIter: iters, rtol: 1e-12 },
  });
  const tFit = performance.now();
  const path = join(dir, `scores-${n}.npy`);
  let tSolve = tFit;
  const r = await c.streamInfluence(infl, test, c.passChunks(source), {
    total: n, keepScores: false, topK: 10, npyPath: path,
    onProgress: (p) => { if (p.phase === 's_test') tSolve = performance.now(); sample(); },
  });
  const tEnd = performance.now();
  sample();
  console.log(`N = ${String(n).padStart(6)} (X.npy ${mb(statSync(files.x).size)} MiB): fit ${((tFit - t0) / 1000).toFixed(1)} s, ` +
    `s_test ${((tSolve - tFit) / 1000).toFixed(1)} s, scoring ${((tEnd - tSolve) / 1000).toFixed(1)} s, ${chunksRead} chunk reads; ` +
    `RSS before ${mb(rss0)} MiB, peak ${mb(rssPeak)} MiB (+${mb(rssPeak - rss0)}); wasm heap in use before ${mb(wasm0)} MiB, ` +
    `peak ${mb(wasmPeak)} MiB (+${mb(wasmPeak - wasm0)}); top harmful of test 0: #${r.topK![0]!.harmful[0]!.index}`);
  infl.dispose();
  rmSync(files.x); rmSync(files.y); rmSync(path, { force: true });
}
rmSync(dir, { recursive: true, force: true });
