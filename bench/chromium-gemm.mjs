#!/usr/bin/env node
/**
 * SGEMM in headless Chromium, in one page: the plain SIMD kernels (wasm/curvature.wasm), the
 * relaxed-SIMD FMA build (wasm/curvature-fma.wasm) and TensorFlow.js's wasm backend (the installed
 * devDependency; its SIMD binary, one thread: the page is not cross-origin isolated, as ours is
 * not), square C = A·B, n = 256/512/1024 by default, interleaved after warm-up.
 *
 *   node bench/chromium-gemm.mjs [--sizes=256,512,1024] [--rounds=9]   (CHROMIUM=/path overrides the binary)
 *
 * Everything is served from 127.0.0.1 (never the network): the page (bundled with esbuild), the two
 * kernel modules and tfjs-backend-wasm's .wasm files. Our modules are instantiated directly (no JS
 * glue) and timed through cv_gemm_f32 on buffers in their memory; tfjs through tf.matMul + dataSync
 * (its time includes reading C back, n² floats, and the op dispatch). Each figure is the median
 * and the best of `rounds` samples, a sample being enough back-to-back calls to last ≥ 50 ms; the
 * three candidates take turns within each round. Before timing, the three results are compared
 * (relative Frobenius difference to the plain module, printed). A benchmark, not a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const sizes = opt('sizes', '256,512,1024').split(',').map(Number);
const rounds = Number(opt('rounds', '9'));
const TIMEOUT_MS = 600_000;

/** The page's code (bundled by esbuild with the repository's node_modules). */
const PAGE = `
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
const SIZES = ${JSON.stringify(sizes)}, ROUNDS = ${rounds};

async function kernels(file) {
  const res = await fetch(file);
  const { instance } = await WebAssembly.instantiate(await res.arrayBuffer(), { env: { emscripten_notify_memory_growth() {} } });
  instance.exports._initialize?.();
  return instance.exports;
}

let seed = 0x2545f491;
const uniform = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return ((seed >>> 0) + 0.5) / 4294967296 - 0.5; };

function ours(w, n, a, b) {
  const bytes = n * n * 4, pa = w.cv_malloc(bytes), pb = w.cv_malloc(bytes), pc = w.cv_malloc(bytes);
  new Float32Array(w.memory.buffer, pa, n * n).set(a);
  new Float32Array(w.memory.buffer, pb, n * n).set(b);
  return {
    run: () => w.cv_gemm_f32(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n),
    result: () => new Float32Array(w.memory.buffer, pc, n * n).slice(),
    free: () => { w.cv_free(pa); w.cv_free(pb); w.cv_free(pc); },
  };
}

function theirs(n, a, b) {
  const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
  return {
    run: () => { const c = tf.matMul(ta, tb); c.dataSync(); c.dispose(); },
    result: () => { const c = tf.matMul(ta, tb); const r = c.dataSync().slice(); c.dispose(); return r; },
    free: () => { ta.dispose(); tb.dispose(); },
  };
}

function sample(run, reps) {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / 1e3 / reps;
}

function diff(x, ref) {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) { num += (x[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  return Math.sqrt(num / den);
}

async function main() {
  const plain = await kernels('/curvature.wasm');
  const fmaBytes = await (await fetch('/curvature-fma.wasm')).arrayBuffer();
  const relaxed = WebAssembly.validate(fmaBytes);
  const fma = await kernels('/curvature-fma.wasm');
  setWasmPaths('/tfjs/');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend(wasm) failed');
  await tf.ready();
  const tfInfo = { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: getThreadsCount(), version: tf.version_core };
  const rows = [];
  for (const n of SIZES) {
    const a = Float32Array.from({ length: n * n }, uniform), b = Float32Array.from({ length: n * n }, uniform);
    const c = { plain: ours(plain, n, a, b), fma: ours(fma, n, a, b), tfjs: theirs(n, a, b) };
    const names = Object.keys(c);
    for (const k of names) c[k].run();
    const ref = c.plain.result();
    const diffs = Object.fromEntries(names.map((k) => [k, diff(c[k].result(), ref)]));
    const reps = {};
    for (const k of names) {
      const w0 = performance.now();
      while (performance.now() - w0 < 300) c[k].run(); // warm-up: V8 tiers the code up
      let r = 1;
      while (sample(c[k].run, r) * r < 0.05) r *= 2;
      reps[k] = r;
    }
    const times = Object.fromEntries(names.map((k) => [k, []]));
    for (let i = 0; i < ROUNDS; i++) for (const k of names) times[k].push(sample(c[k].run, reps[k]));
    const gf = (t) => 2 * n ** 3 / t / 1e9;
    const row = { n, diffs };
    for (const k of names) {
      const s = [...times[k]].sort((x, y) => x - y);
      row[k] = { median: gf(s[s.length >> 1]), best: gf(s[0]) };
    }
    rows.push(row);
    for (const k of names) c[k].free();
  }
  return { ok: true, userAgent: navigator.userAgent, relaxed, tf: tfInfo, rows };
}

let report;
try { report = await main(); } catch (err) { report = { ok: false, error: String(err && err.stack || err) }; }
await fetch('/result', { method: 'POST', body: JSON.stringify(report) });
`;

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
if (!chromium) {
  console.error('no chromium on PATH (apt-get install -y chromium, or CHROMIUM=/path)');
  process.exit(1);
}
const { build } = await import('esbuild');
const bundle = (await build({
  stdin: { contents: PAGE, resolveDir: root, loader: 'js' }, bundle: true, platform: 'browser', format: 'esm',
  target: 'es2022', write: false, logLevel: 'silent',
})).outputFiles[0].text;

const tfDist = join(dirname(fileURLToPath(import.meta.resolve('@tensorflow/tfjs-backend-wasm/package.json'))), 'dist');
const files = {
  '/': ['text/html; charset=utf-8', '<!doctype html><meta charset="utf-8"><title>sgemm</title><script type="module" src="/bench.js"></script>'],
  '/bench.js': ['text/javascript; charset=utf-8', bundle],
  '/curvature.wasm': ['application/wasm', readFileSync(join(root, 'wasm', 'curvature.wasm'))],
  '/curvature-fma.wasm': ['application/wasm', readFileSync(join(root, 'wasm', 'curvature-fma.wasm'))],
};
for (const f of readdirSync(tfDist).filter((f) => f.endsWith('.wasm'))) files[`/tfjs/${f}`] = ['application/wasm', readFileSync(join(tfDist, f))];

let deliver;
const report = new Promise((resolve) => { deliver = resolve; });
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/result') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => { res.writeHead(204).end(); deliver(JSON.parse(body)); });
    return;
  }
  const f = files[req.url ?? ''];
  if (!f) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const profile = mkdtempSync(join(tmpdir(), 'curvature-chromium-bench-'));
const child = spawn(chromium, [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-component-update',
  `--user-data-dir=${profile}`, `http://127.0.0.1:${server.address().port}/`,
], { detached: true, stdio: 'ignore' });
let timer;
try {
  const r = await Promise.race([report, new Promise((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `no report within ${TIMEOUT_MS / 1000} s` }), TIMEOUT_MS);
  })]);
  if (!r.ok) throw new Error(`page failed: ${r.error}`);
  const chrome = r.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? r.userAgent;
  console.log(`\nSGEMM in headless ${chrome} (relaxed SIMD ${r.relaxed ? 'yes' : 'no'}), one page, interleaved; ` +
    `TensorFlow.js ${r.tf.version} wasm backend (SIMD ${r.tf.simd ? 'on' : 'off'}, ${r.tf.threads} thread); ` +
    `${new Date().toISOString().slice(0, 16)}Z; GFLOP/s median (best) of ${rounds} samples\n`);
  console.log('| n | plain SIMD | FMA | TF.js wasm | FMA / plain | FMA / TF.js | diff. to plain: FMA, TF.js |');
  console.log('|---|---|---|---|---|---|---|');
  const f = (x) => `${x.median.toFixed(1)} (${x.best.toFixed(1)})`;
  for (const row of r.rows) {
    console.log(`| ${row.n} | ${f(row.plain)} | ${f(row.fma)} | ${f(row.tfjs)} | ${(row.fma.median / row.plain.median).toFixed(2)} | ` +
      `${(row.fma.median / row.tfjs.median).toFixed(2)} | ${row.diffs.fma.toExponential(1)}, ${row.diffs.tfjs.toExponential(1)} |`);
  }
} finally {
  clearTimeout(timer);
  try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
  server.closeAllConnections();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
