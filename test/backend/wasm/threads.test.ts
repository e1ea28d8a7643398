/**
 * Multi-threaded GEMM of the wasm backend (src/backend/wasm/thread-pool.ts, cv_gemm_part_*):
 * - results with 2 and 3 threads are bit-identical to one thread (the bands of C keep each
 *   element's arithmetic), and one thread matches the reference backend within the GEMM tolerance
 *   of kernels.test.ts (1e-12 / 1e-5 relative to |α|·Σ|a||b| + |β·c|); entries of the C buffer
 *   outside the m×n block are never written;
 * - shapes that split by columns and by rows, several KC/NC blocks, all transposes, odd sizes,
 *   alpha/beta (beta = 0 never reads NaN in C), element offsets and padded leading dimensions;
 * - the pool's memory is freed when the count drops, memory growth under a live pool, small GEMMs
 *   below minFlops never start workers;
 * - the thread-count option: bad counts and bad CURVATURE_THREADS are InputErrors, and a process
 *   that used threads exits by itself (child processes).
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import * as c from '../../../src/index.js';
import type { BackendBuffer } from '../../../src/backend/types.js';
import { loadWasm, WasmBackend } from '../../../src/backend/wasm/index.js';
import { repoRoot, throwsType } from '../../helpers.js';
import { ref, Rng, testIf, wasmOrSkip } from './setup.js';

const W = wasmOrSkip('wasm thread tests');
const threaded = W !== null && W.kernels.shared;
if (W && !threaded) console.log(`(skipping wasm thread tests: ${W.kernels.source} has no shared memory)`);
const t = testIf(threaded);
const wasm = (): WasmBackend => W!;

type FD = 'float32' | 'float64';
/** Splits every GEMM, however small, over `n` threads. */
const split = (n: number): void => c.setWasmThreads(n, { minFlops: 0 });
/** Same thread count (the pool stays up) but no GEMM is split: the one-thread kernel. */
const unsplit = (n: number): void => c.setWasmThreads(n, { minFlops: Number.MAX_VALUE });

interface Case {
  dtype: FD; tA: boolean; tB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number; aOff: number; bOff: number; cOff: number;
}

function describe(q: Case): string {
  return `${q.dtype} tA=${q.tA} tB=${q.tB} m=${q.m} n=${q.n} k=${q.k} α=${q.alpha} β=${q.beta} ld=${q.lda},${q.ldb},${q.ldc} off=${q.aOff},${q.bOff},${q.cOff}`;
}

/**
 * Runs case q on `threads` threads and once unsplit; asserts bit equality of the whole C buffer and
 * the unsplit result against the reference backend.
 */
function check(rng: Rng, q: Case, threads: number): void {
  const { dtype, tA, tB, m, n, k, alpha, beta, lda, ldb, ldc, aOff, bOff, cOff } = q;
  const aRows = tA ? k : m, bRows = tB ? n : k;
  const rand = (len: number): number[] => Array.from({ length: len }, () => rng.uniform(-1, 1));
  const aVals = rand(aOff + aRows * lda + 2), bVals = rand(bOff + bRows * ldb + 2);
  const cVals = new Array<number>(cOff + m * ldc + 2).fill(-777);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cVals[cOff + i * ldc + j] = beta === 0 ? NaN : rng.uniform(-1, 1);
  const be = wasm();
  const bufs: BackendBuffer[] = [];
  const load = (vals: number[]): BackendBuffer => {
    const b = be.alloc(dtype, vals.length);
    be.write(b, vals);
    bufs.push(b);
    return b;
  };
  const a = load(aVals), b = load(bVals), c1 = load(cVals), cT = load(cVals);
  try {
    unsplit(threads);
    be.gemm(tA, tB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c1, cOff, ldc);
    split(threads);
    be.gemm(tA, tB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, cT, cOff, ldc);
    const one = be.read(c1), many = be.read(cT);
    for (let i = 0; i < one.length; i++) {
      if (!Object.is(one[i], many[i])) {
        assert.unreachable(`${threads} threads differ from one at element ${i}: ${many[i]} vs ${one[i]} (${describe(q)})`);
      }
    }
    const A = Float64Array.from(aVals), B = Float64Array.from(bVals);
    if (dtype === 'float32') { // what the kernels saw
      for (let i = 0; i < A.length; i++) A[i] = Math.fround(A[i]!);
      for (let i = 0; i < B.length; i++) B[i] = Math.fround(B[i]!);
    }
    const ja = ref.alloc(dtype, aVals.length), jb = ref.alloc(dtype, bVals.length), jc = ref.alloc(dtype, cVals.length);
    ref.write(ja, aVals);
    ref.write(jb, bVals);
    ref.write(jc, cVals);
    ref.gemm(tA, tB, m, n, k, alpha, ja, aOff, lda, jb, bOff, ldb, beta, jc, cOff, ldc);
    const want = ref.read(jc);
    const eps = dtype === 'float64' ? 1e-12 : 1e-5;
    for (let idx = 0; idx < one.length; idx++) {
      const rel = idx - cOff, i = Math.floor(rel / ldc), j = rel % ldc;
      if (rel < 0 || i >= m || j >= n) {
        assert.is(one[idx], dtype === 'float32' ? Math.fround(cVals[idx]!) : cVals[idx]!, `element ${idx} outside C was written (${describe(q)})`);
        continue;
      }
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += Math.abs(tA ? A[aOff + p * lda + i]! : A[aOff + i * lda + p]!) * Math.abs(tB ? B[bOff + j * ldb + p]! : B[bOff + p * ldb + j]!);
      }
      const tol = eps * (Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * cVals[idx]!))) + 1e-300;
      const err = Math.abs(one[idx]! - want[idx]!);
      if (!(err <= tol)) assert.unreachable(`C(${i}, ${j}) = ${one[idx]} but the reference gives ${want[idx]} (error ${err} > ${tol}; ${describe(q)})`);
    }
  } finally {
    for (const x of bufs) be.free(x);
  }
}

function randomCase(rng: Rng, dtype: FD, sizes: () => [number, number, number]): Case {
  const [m, n, k] = sizes();
  const tA = rng.next() < 0.5, tB = rng.next() < 0.5;
  const pad = (): number => (rng.next() < 0.5 ? 0 : rng.int(1, 5));
  const aCols = tA ? m : k, bCols = tB ? k : n;
  return {
    dtype, tA, tB, m, n, k,
    alpha: rng.pick([1, -1, 0.5, 0, rng.uniform(-2, 2)]),
    beta: rng.pick([0, 0, 1, -0.5, rng.uniform(-2, 2)]),
    lda: Math.max(1, aCols + pad()), ldb: Math.max(1, bCols + pad()), ldc: Math.max(1, n + pad()),
    aOff: rng.int(0, 4), bOff: rng.int(0, 4), cOff: rng.int(0, 4),
  };
}

const restore = (): void => c.setWasmThreads(1);

t('2 and 3 threads: bit-identical to one thread, and one thread matches the reference (odd sizes, all transposes, alpha/beta, offsets, padding)', () => {
  const rng = new Rng(301);
  try {
    for (let iter = 0; iter < 40; iter++) {
      for (const dtype of ['float32', 'float64'] as const) {
        const small = (): number => rng.pick([1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17, rng.int(1, 90)]);
        const q = randomCase(rng, dtype, () => [small(), small(), rng.pick([0, 1, 2, 3, 5, 17, rng.int(1, 90)])]);
        check(rng, q, iter % 2 === 0 ? 2 : 3);
      }
    }
  } finally {
    restore();
  }
});

t('bands by columns (wide C), by rows (tall C), across several KC = 512 and NC = 512 blocks', () => {
  const rng = new Rng(302);
  const shapes: [number, number, number][] = [
    [37, 613, 71], // wide: column bands, two NC panels
    [613, 29, 45], // tall: row bands
    [66, 70, 1100], // three KC blocks
    [130, 131, 129],
    [9, 1030, 8], // many column tiles, few rows
    [1, 700, 50], // m = 1: turned around into a gemv, done whole by part 0
    [700, 1, 50], // n = 1: gemv
  ];
  try {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, n, k] of shapes) {
        for (const threads of [2, 3]) check(rng, randomCase(rng, dtype, () => [m, n, k]), threads);
      }
    }
  } finally {
    restore();
  }
});

t('tensor level: a matmul chain gives the same bits with 2 threads as with 1', () => {
  const prev = c.getBackend().name;
  c.setBackend('wasm');
  try {
    const rng = new Rng(303);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = c.tensor(Array.from({ length: 150 * 200 }, () => rng.normal()), [150, 200], dtype);
      const w = c.tensor(Array.from({ length: 200 * 90 }, () => rng.normal()), [200, 90], dtype);
      const run = (): number[] => Array.from(c.matmul(c.matmul(x, w), w, { transB: true }).dataSync());
      c.setWasmThreads(1);
      const one = run();
      split(2);
      const two = run();
      assert.is(two.length, one.length);
      const first = one.findIndex((v, i) => !Object.is(v, two[i]));
      assert.is(first, -1, `${dtype}: element ${first} differs: ${two[first]} with 2 threads, ${one[first]} with 1`);
    }
  } finally {
    restore();
    c.setBackend(prev);
  }
});

t('transcendental elementwise maps split in chunks: bit-identical to one thread (odd lengths, f32 and f64)', () => {
  const be = wasm();
  const rng = new Rng(305);
  const ops = ['exp', 'log', 'tanh', 'sigmoid', 'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos', 'neg'] as const;
  try {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const n of [1, 3, 5, 8, 13, 37, 1001, 4099]) {
        const vals = Array.from({ length: n }, () => rng.uniform(-30, 30));
        vals[0] = rng.pick([NaN, Infinity, -Infinity, 0, -0, 1e-40]);
        const x = be.alloc(dtype, n), o1 = be.alloc(dtype, n), oT = be.alloc(dtype, n);
        be.write(x, vals);
        try {
          for (const op of ops) {
            for (const threads of [2, 3]) {
              unsplit(threads);
              be.unary(op, x, o1, n);
              split(threads);
              be.unary(op, x, oT, n);
              const one = be.read(o1), many = be.read(oT);
              const i = one.findIndex((v, j) => !Object.is(v, many[j]));
              assert.is(i, -1, `${op} ${dtype} n=${n} ${threads} threads: element ${i} is ${many[i]}, one thread gives ${one[i]}`);
            }
          }
        } finally {
          for (const b of [x, o1, oT]) be.free(b);
        }
      }
    }
  } finally {
    restore();
  }
});

t('the pool frees its wasm memory when the count drops; small GEMMs below minFlops start no worker', () => {
  const be = wasm();
  restore();
  const base = be.allocatedBytes();
  const a = be.alloc('float64', 64 * 64), out = be.alloc('float64', 64 * 64);
  be.fill(a, 0.5);
  const afterAlloc = be.allocatedBytes();
  try {
    c.setWasmThreads(2); // default minFlops: 2·64³ is below it
    assert.ok(2 * 64 ** 3 < c.WASM_THREAD_MIN_FLOPS);
    be.gemm(false, false, 64, 64, 64, 1, a, 0, 64, a, 0, 64, 0, out, 0, 64);
    assert.is(be.allocatedBytes(), afterAlloc, 'no pool for a small GEMM');
    split(3);
    be.gemm(false, false, 64, 64, 64, 1, a, 0, 64, a, 0, 64, 0, out, 0, 64);
    assert.ok(be.allocatedBytes() > afterAlloc + 2 * 2 ** 20, 'two workers hold stacks and packing buffers');
    assert.equal(Array.from(be.read(out)).every((v) => v === 16), true);
    split(2); // a different count: the old pool stops at once
    assert.is(be.allocatedBytes(), afterAlloc);
    be.gemm(false, false, 64, 64, 64, 1, a, 0, 64, a, 0, 64, 0, out, 0, 64);
    assert.ok(be.allocatedBytes() > afterAlloc);
    restore();
    assert.is(be.allocatedBytes(), afterAlloc, 'setWasmThreads(1) frees the workers\' memory');
  } finally {
    restore();
    be.free(a);
    be.free(out);
  }
  assert.is(be.allocatedBytes(), base);
});

t('memory growth under a live pool: operands in the grown part of memory, same bits as one thread', () => {
  const be = wasm();
  const rng = new Rng(304);
  try {
    split(2);
    check(rng, randomCase(rng, 'float32', () => [40, 50, 60]), 2); // pool up
    const growths = be.kernels.memoryGrowths;
    const big = be.alloc('float64', Math.ceil(be.memoryBytes() / 8)); // cannot fit: memory grows
    try {
      assert.ok(be.kernels.memoryGrowths > growths, 'memory grew');
      check(rng, randomCase(rng, 'float64', () => [120, 130, 140]), 2);
    } finally {
      be.free(big);
    }
  } finally {
    restore();
  }
});

t('thread counts: anything but an integer in [1, 64] is an InputError; the count is reported', () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity, 65, '2', null]) {
    throwsType(() => c.setWasmThreads(bad as number), c.InputError, /setWasmThreads: expected an integer thread count from 1 to 64, got /);
  }
  for (const bad of [-1, NaN, Infinity]) {
    throwsType(() => c.setWasmThreads(2, { minFlops: bad }), c.InputError, /minFlops must be a finite number ≥ 0/);
  }
  c.setWasmThreads(3);
  assert.is(c.getWasmThreads(), 3);
  assert.is(wasm().threads, 3);
  restore();
  assert.is(c.getWasmThreads(), 1);
});

t('a backend on the unshared module (wasm/curvature.wasm) reports 1 thread and runs GEMMs on the calling thread', () => {
  const solo = new WasmBackend(loadWasm(join(repoRoot(), 'wasm', 'curvature.wasm')));
  assert.is(solo.kernels.shared, false);
  try {
    split(2);
    assert.is(solo.threads, 1);
    const n = 70, a = solo.alloc('float64', n * n), out = solo.alloc('float64', n * n);
    solo.fill(a, 0.25);
    const before = solo.allocatedBytes();
    solo.gemm(false, true, n, n, n, 2, a, 0, n, a, 0, n, 0, out, 0, n);
    assert.is(solo.allocatedBytes(), before, 'no pool');
    assert.ok(Array.from(solo.read(out)).every((v) => v === 2 * n * 0.0625));
  } finally {
    restore();
  }
});

// ---------------------------------------------------------------------------------------------
// Child processes: CURVATURE_THREADS and exiting cleanly

const indexUrl = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;

function child(code: string, env: Record<string, string | undefined>): { status: number | null; out: string; ms: number } {
  const t0 = Date.now();
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  if (env['CURVATURE_THREADS'] === undefined) delete childEnv['CURVATURE_THREADS'];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: childEnv });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, ms: Date.now() - t0 };
}

t('a process that ran threaded GEMMs exits by itself (workers do not keep it alive)', () => {
  const code = `
    const c = await import(${JSON.stringify(indexUrl)});
    const be = c.setBackend('wasm');
    c.setWasmThreads(2, { minFlops: 0 });
    const n = 200, a = be.alloc('float32', n * n), out = be.alloc('float32', n * n);
    be.fill(a, 1);
    be.gemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, out, 0, n);
    console.log(['sum', be.read(out).reduce((s, v) => s + v, 0), 'threads', be.threads].join(' '));`;
  const r = child(code, {});
  assert.is(r.status, 0, r.out);
  assert.match(r.out, `sum ${200 * 200 * 200} threads 2`, r.out);
  // Node alone takes ~0.1 s, the worker start and the GEMM well under a second; a process kept
  // alive by its workers would run into the 60 s timeout instead (status null).
  assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
});

t('CURVATURE_THREADS sets the default count; a bad value is an InputError naming it', () => {
  const code = `
    const c = await import(${JSON.stringify(indexUrl)});
    const be = c.setBackend('wasm');
    try {
      console.log(['threads', c.getWasmThreads(), be.threads].join(' '));
      const before = be.allocatedBytes(), n = 256, a = be.alloc('float64', n * n);
      be.fill(a, 1);
      be.gemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, a, 0, n);
      console.log('pool ' + (be.allocatedBytes() - before > n * n * 8));
    } catch (err) {
      console.log(err.constructor.name + ' ' + err.message);
    }`;
  const two = child(code, { CURVATURE_THREADS: '2' });
  assert.is(two.status, 0, two.out);
  assert.match(two.out, 'threads 2 2', two.out);
  assert.match(two.out, 'pool true');
  const one = child(code, {});
  assert.match(one.out, 'threads 1 1');
  assert.match(one.out, 'pool false');
  for (const bad of ['0', 'two', '1.5', '-2', '99']) {
    const r = child(code, { CURVATURE_THREADS: bad });
    assert.is(r.status, 0, r.out);
    assert.match(r.out, `InputError CURVATURE_THREADS: expected an integer thread count from 1 to 64, got "${bad}"`);
  }
});

test.run();
