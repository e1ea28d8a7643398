/**
 * Validation (not a CI test): memory while influence scores are streamed over a training set that
 * grows 10×. The fitted model (curvature + CG solver state, s_test) is the same; the training set
 * is an async generator producing chunks on the fly (Fashion-MNIST images cycled with per-copy
 * noise), scores go to a .npy file and a bounded top-k; keepScores: false.
 *   node dist/scripts/validate/streaming-memory.js [--backend js|wasm] [--n 2000] [--chunk 256]
 * Prints, for N and 10·N training points: time, peak RSS and peak wasm heap in use while streaming.
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
c.setBackend(backend);

const rows = imageRowSource();
const images = (start: number, count: number, seed: number) => {
  const d = rows(start, count, seed);
  return { x: c.tensor(d.x, [count, 784], 'float64'), y: c.tensor(Int32Array.from(d.y), [count], 'int32') };
};

async function* stream(n: number): AsyncGenerator<c.Dataset> {
  for (let start = 0; start < n; start += chunk) {
    const d = images(start, Math.min(chunk, n - start), start);
    try { yield d; } finally { d.x.dispose(); d.y.dispose(); }
  }
}

const model = c.Sequential.mlp([784, 32, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const fitSet = images(0, 1000, 0);
const { theta } = c.fitLbfgs(objective, model.init({ dtype: 'float64' }), fitSet, { maxIter: 50 });
const infl = c.InfluenceModel.fit(objective, theta, fitSet, { hessian: 'gauss-newton', damping: 1e-2, solver: 'cg', solverOptions: { rtol: 1e-6, maxIter: 300 } });
const test = images(5000, 4, 7);
const dir = mkdtempSync(join(tmpdir(), 'curv-mem-'));
const wasmBytes = (): number => {
  const b = c.getBackend() as unknown as { allocatedBytes?: () => number };
  return typeof b.allocatedBytes === 'function' ? b.allocatedBytes() : NaN;
};
const mb = (v: number) => (v / 2 ** 20).toFixed(1);

console.log(`backend ${backend}, model ${model.describe()} (${model.numParams} parameters), chunks of ${chunk}, 4 test points`);
for (const n of [n1, 10 * n1]) {
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss, wasm0 = wasmBytes();
  let rssPeak = rss0, wasmPeak = wasm0;
  const t0 = performance.now();
  let tSolve = t0;
  const path = join(dir, `scores-${n}.npy`);
  const r = await c.streamInfluence(infl, test, stream(n), {
    total: n, keepScores: false, topK: 10, npyPath: path,
    onProgress: (p) => { if (p.phase === 's_test') tSolve = performance.now(); rssPeak = Math.max(rssPeak, process.memoryUsage().rss); wasmPeak = Math.max(wasmPeak, wasmBytes()); },
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`N = ${String(n).padStart(6)}: ${seconds.toFixed(1)} s (s_test solves ${((tSolve - t0) / 1000).toFixed(1)} s, scoring ${((performance.now() - tSolve) / 1000).toFixed(1)} s), RSS before ${mb(rss0)} MiB, peak ${mb(rssPeak)} MiB (+${mb(rssPeak - rss0)}), ` +
    `wasm heap in use before ${mb(wasm0)} MiB, peak ${mb(wasmPeak)} MiB; .npy ${mb(statSync(path).size)} MiB; top harmful of test 0: #${r.topK![0]!.harmful[0]!.index}`);
}
rmSync(dir, { recursive: true, force: true });
