/**
 * The CUDA kernels without a GPU: native/cuda/ compiled by g++ for the CPU emulator of ./emu/
 * (block threads as coroutines with real barriers, device memory ending at guard pages, a 1 GiB
 * "device"), then, in child processes with CURVATURE_CUDA_PATH pointing at that module, the cuda
 * kernel tests (./kernels.test.ts: every kernel against the js reference, allocator, readAsync,
 * typed errors) and the tensor-layer conformance tests with the cuda backend selected — once in
 * the emulator's thread order and once reversed (EMU_ORDER=reverse: a shared-memory race would
 * change a result). Validates kernel logic, the glue and the TypeScript backend; not timing, warp
 * behaviour or real concurrency, which need the device run (docs/CUDA.md). Skipped with the reason
 * where g++ or the N-API headers are missing.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../../helpers.js';
import { hasTool, testIf } from './setup.js';

const S = suite('cuda kernels on the CPU emulator');

function why(): string {
  if (!hasTool('g++')) return 'no g++ here: the kernels cannot be compiled for the CPU emulator';
  try {
    const require = createRequire(join(repoRoot(), 'package.json'));
    require.resolve('node-addon-api/package.json');
    require.resolve('node-api-headers/package.json');
  } catch {
    return 'node-addon-api / node-api-headers are not installed (npm install): no N-API headers';
  }
  return '';
}
const reason = why();
const t = testIf(S, reason === '', reason);

let lib = '';
function build(): string {
  if (!lib) {
    lib = execFileSync(process.execPath, [join(repoRoot(), 'test', 'backend', 'cuda', 'emu', 'build.mjs')], { encoding: 'utf8', timeout: 600_000 }).trim().split('\n').pop()!;
  }
  return lib;
}

/** Runs uvu on `dir` / `pattern` with the emulated module; returns the counts it printed. */
function runTests(dir: string, pattern: string, env: Record<string, string>): { passed: number; skipped: number; out: string } {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'node_modules', 'uvu', 'bin.js'), join(repoRoot(), 'dist', 'test', dir), pattern], {
    cwd: repoRoot(), encoding: 'utf8', timeout: 600_000,
    env: { ...process.env, CURVATURE_CUDA_PATH: build(), ...env },
  });
  const out = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  assert.is(r.status, 0, `uvu ${dir} ${pattern} failed:\n${out.slice(-4000)}`);
  const num = (label: string): number => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
  return { passed: num('Passed'), skipped: num('Skipped'), out };
}

t('the kernel tests pass on the emulator, in both thread orders', () => {
  for (const order of ['forward', 'reverse']) {
    const r = runTests('backend/cuda', 'kernels\\.test\\.js$', { EMU_ORDER: order });
    assert.ok(r.passed >= 14, `${order}: ${r.passed} passed`);
    assert.is(r.skipped, 0, `${order}: nothing skipped (the emulated device ran)`);
  }
});

t('the tensor-layer conformance tests pass with the emulated cuda backend selected', () => {
  const r = runTests('tensor', '(ops|softmax|activation)\\.test\\.js$', { CURVATURE_BACKENDS: 'cuda' });
  assert.ok(r.passed > 50, `${r.passed} passed`);
  assert.ok(/\[cuda\]/.test(r.out), 'the suites ran on the cuda backend');
});

S.run();
