/**
 * The two builds of the kernels (src/backend/wasm/loader.ts, "Variants"): plain WebAssembly SIMD
 * and the relaxed-SIMD FMA build (wasm/curvature-fma*.wasm). Checks that the relaxed-SIMD probe
 * agrees with the committed FMA modules, that CURVATURE_WASM forces a variant (and says why when it
 * cannot), and that the FMA kernels agree with the plain ones and the reference: in this process
 * when it has relaxed SIMD (Node ≥ 22, or Node 20 started with --experimental-wasm-relaxed-simd),
 * and always through a child process that the test starts with that flag on Node 20, so the
 * default `npm test` on Node 20 runs the FMA module too (and shows that Node 20 without the flag
 * keeps the plain one).
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as c from '../../../src/index.js';
import { defaultWasmFile, defaultWasmPath, loadWasm, wasmRelaxedSimdSupported, wasmVariant } from '../../../src/backend/wasm/loader.js';
import { WasmBackend } from '../../../src/backend/wasm/index.js';
import { relErr, repoRoot, throwsType } from '../../helpers.js';
import { wasmApi } from '../../../src/backend/wasm/wasm-api.js';
import { skipBecause } from '../../skip.js';
import { ref, Rng } from './setup.js';

const wasmDir = join(repoRoot(), 'wasm');
const relaxed = wasmRelaxedSimdSupported();
const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Runs fn with CURVATURE_WASM set to value (undefined: unset), restoring it afterwards. */
function withVariantEnv<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env['CURVATURE_WASM'];
  const savedPath = process.env['CURVATURE_WASM_PATH'];
  delete process.env['CURVATURE_WASM_PATH'];
  if (value === undefined) delete process.env['CURVATURE_WASM'];
  else process.env['CURVATURE_WASM'] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env['CURVATURE_WASM'];
    else process.env['CURVATURE_WASM'] = saved;
    if (savedPath !== undefined) process.env['CURVATURE_WASM_PATH'] = savedPath;
  }
}

test('the relaxed-SIMD probe agrees with the committed FMA modules (and the plain ones always validate)', () => {
  const W = wasmApi()!;
  for (const f of ['curvature-fma.wasm', 'curvature-fma-mt.wasm']) {
    assert.is(W.validate(readFileSync(join(wasmDir, f))), relaxed, `${f} validates exactly where wasmRelaxedSimdSupported()`);
  }
  for (const f of ['curvature.wasm', 'curvature-mt.wasm']) assert.ok(W.validate(readFileSync(join(wasmDir, f))), f);
  if (nodeMajor === 20 && !process.execArgv.some((a) => a.includes('relaxed-simd'))) {
    assert.is(relaxed, false, 'Node 20 without --experimental-wasm-relaxed-simd has no relaxed SIMD: the plain module is used');
  }
});

test('CURVATURE_WASM: simd forces the plain modules; fma the FMA ones (or a BackendUnavailableError saying why); other values rejected', () => {
  withVariantEnv('simd', () => {
    assert.is(wasmVariant(), 'simd');
    assert.is(defaultWasmFile(), 'curvature.wasm');
    assert.is(defaultWasmFile({ shared: true }), 'curvature-mt.wasm');
    assert.is(defaultWasmPath(), join(wasmDir, 'curvature-mt.wasm'));
  });
  withVariantEnv(undefined, () => {
    assert.is(wasmVariant(), relaxed ? 'fma' : 'simd');
    assert.is(defaultWasmFile(), relaxed ? 'curvature-fma.wasm' : 'curvature.wasm');
  });
  withVariantEnv('auto', () => assert.is(wasmVariant(), relaxed ? 'fma' : 'simd'));
  withVariantEnv('fma', () => {
    if (relaxed) {
      assert.is(wasmVariant(), 'fma');
      assert.is(defaultWasmFile(), 'curvature-fma.wasm');
      assert.is(defaultWasmPath(), join(wasmDir, 'curvature-fma-mt.wasm'));
    } else {
      throwsType(() => wasmVariant(), c.BackendUnavailableError, /relaxed SIMD.*--experimental-wasm-relaxed-simd/);
      throwsType(() => defaultWasmPath(), c.BackendUnavailableError, /CURVATURE_WASM=fma/);
    }
  });
  withVariantEnv('avx', () => throwsType(() => wasmVariant(), c.BackendUnavailableError, /CURVATURE_WASM: expected 'fma', 'simd' or 'auto', got "avx"/));
});

/** C = A·B (m×k · k×n, row-major) on a backend, as a plain array. */
function gemm(b: c.Backend, dtype: 'float32' | 'float64', a: number[], bm: number[], m: number, n: number, k: number): number[] {
  const A = b.alloc(dtype, m * k), B = b.alloc(dtype, k * n), C = b.alloc(dtype, m * n);
  try {
    b.write(A, a);
    b.write(B, bm);
    b.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
    return Array.from(b.read(C));
  } finally {
    for (const x of [A, B, C]) b.free(x);
  }
}

if (!relaxed) {
  skipBecause(test, 'in process: the FMA module loads as variant fma and its GEMMs agree with the plain module and the reference',
    `${`Node ${process.version}`} has no relaxed SIMD here (the child-process test below runs the FMA module instead)`);
} else {
  test('in process: the FMA module loads as variant fma and its GEMMs agree with the plain module and the reference', () => {
    const fma = new WasmBackend(loadWasm(join(wasmDir, 'curvature-fma.wasm')));
    const fmaMt = new WasmBackend(loadWasm(join(wasmDir, 'curvature-fma-mt.wasm')));
    const plain = new WasmBackend(loadWasm(join(wasmDir, 'curvature.wasm')));
    assert.is(fma.kernels.variant, 'fma');
    assert.is(fmaMt.kernels.variant, 'fma');
    assert.ok(fmaMt.kernels.shared, 'curvature-fma-mt.wasm imports a shared memory (threads)');
    assert.is(plain.kernels.variant, 'simd');
    const rng = new Rng(1313);
    for (const [m, n, k] of [[37, 53, 29], [64, 64, 600], [5, 130, 17]] as const) {
      const a = Array.from({ length: m * k }, () => rng.normal()), bm = Array.from({ length: k * n }, () => rng.normal());
      for (const [dtype, tol] of [['float32', 1e-5], ['float64', 1e-13]] as const) {
        const want = gemm(ref, dtype, a, bm, m, n, k);
        const got = gemm(fma, dtype, a, bm, m, n, k);
        assert.ok(relErr(got, want) < tol, `${dtype} ${m}×${n}×${k}: FMA vs reference ${relErr(got, want)}`);
        assert.ok(relErr(got, gemm(plain, dtype, a, bm, m, n, k)) < tol, `${dtype} ${m}×${n}×${k}: FMA vs plain`);
        assert.equal(gemm(fmaMt, dtype, a, bm, m, n, k), got, `${dtype} ${m}×${n}×${k}: both FMA modules agree bit for bit`);
      }
    }
  });
}

// The child: the default backend's variant, and float32/float64 GEMM errors against the reference.
const CHILD = `
const c = await import(${JSON.stringify(pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href)});
const errs = {};
for (const dtype of ['float32', 'float64']) {
  const run = (name) => { c.setBackend(name); return c.tidy(() => {
    const a = c.randomNormal([67, 45], { seed: 1, dtype }), b = c.randomNormal([45, 81], { seed: 2, dtype });
    return Array.from(c.matmul(a, b).dataSync()); }); };
  const want = run('js'), got = run('wasm');
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; }
  errs[dtype] = Math.sqrt(num / den);
}
c.setBackend('wasm');
console.log(JSON.stringify({ variant: c.getBackend().kernels.variant, relaxed: c.wasmRelaxedSimdSupported(), errs }));
`;

function child(flags: string[]): { variant: string; relaxed: boolean; errs: { float32: number; float64: number } } {
  const env = { ...process.env };
  delete env['CURVATURE_WASM'];
  delete env['CURVATURE_WASM_PATH'];
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', CHILD], { encoding: 'utf8', env, timeout: 60_000 });
  assert.is(r.status, 0, `child node ${flags.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

if (nodeMajor !== 20 && nodeMajor !== 21) {
  skipBecause(test, 'child process on Node 20: plain module without --experimental-wasm-relaxed-simd, FMA module with it',
    `Node ${process.version}: the flag is for Node 20/21 (later Node has relaxed SIMD by default; the in-process test covers it)`);
} else {
  test('child process on Node 20: plain module without --experimental-wasm-relaxed-simd, FMA module with it', () => {
    const plain = child([]);
    assert.equal([plain.variant, plain.relaxed], ['simd', false]);
    const fma = child(['--experimental-wasm-relaxed-simd']);
    assert.equal([fma.variant, fma.relaxed], ['fma', true]);
    for (const r of [plain, fma]) {
      assert.ok(r.errs.float32 < 1e-5, `${r.variant}: float32 matmul vs reference ${r.errs.float32}`);
      assert.ok(r.errs.float64 < 1e-13, `${r.variant}: float64 matmul vs reference ${r.errs.float64}`);
    }
  });
}

test.run();
