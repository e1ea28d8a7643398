/**
 * Shared set-up of the CUDA backend tests: building the addon where nvcc exists (it is never shipped
 * and CI builds it only then), and the registered cuda backend or the reason it cannot run (every
 * GPU test is then registered as skipped via test/skip.ts, with that reason printed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Test } from 'uvu';
import * as c from '../../../src/index.js';
import { CudaBackend } from '../../../src/backend/cuda/index.js';
import { repoRoot } from '../../helpers.js';
import { skipBecause } from '../../skip.js';

/**
 * Where the tests build the addon: build/cuda-test, not npm run build:cuda's build/cuda, which the
 * default selection searches — a test build on a machine without a GPU must not make every later
 * process of this checkout print the "built but cannot run" line (CLI tests expect a silent stderr).
 */
export const builtAddon = (): string => join(repoRoot(), 'build', 'cuda-test', 'Release', 'curvature_cuda.node');

/** Whether `tool` is on the PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

/** The newest modification time of native/cuda/* (the addon is stale when older). */
function newestSource(): number {
  const dir = join(repoRoot(), 'native', 'cuda');
  return Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
}

let buildResult: { ok: boolean; reason: string } | null = null;
/**
 * Builds build/cuda-test/Release/curvature_cuda.node (package.json's build:cuda) when it is missing or older
 * than its sources, once per process; { ok: false, reason } when there is no nvcc/cmake (nothing to
 * build with) or CURVATURE_CUDA_PATH names a binary to use instead (the device run: scripts/gpu).
 * A failing build throws (it is a real failure, not a skip).
 */
export function ensureCudaAddon(): { ok: boolean; reason: string } {
  if (buildResult) return buildResult;
  const path = builtAddon();
  if (process.env['CURVATURE_CUDA_PATH']) {
    buildResult = { ok: false, reason: `CURVATURE_CUDA_PATH is set (${process.env['CURVATURE_CUDA_PATH']}): using that binary, not building` };
  } else if (existsSync(path) && statSync(path).mtimeMs >= newestSource()) {
    buildResult = { ok: true, reason: '' };
  } else if (!hasTool('nvcc') || !hasTool('cmake')) {
    buildResult = { ok: false, reason: `no ${hasTool('nvcc') ? 'cmake' : 'nvcc'} on this machine: the CUDA addon cannot be built here` };
  } else {
    // package.json's build:cuda with another output directory.
    const cmakeJs = join(dirname(createRequire(join(repoRoot(), 'package.json')).resolve('cmake-js/package.json')), 'bin', 'cmake-js');
    execFileSync(process.execPath, [cmakeJs, 'compile', '--release', '--parallel', '2', '--log-level', 'warn', '--CDCURVATURE_CUDA=ON', '--out', join('build', 'cuda-test')],
      { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
    buildResult = { ok: true, reason: '' };
  }
  return buildResult;
}

/**
 * The registered cuda backend (building the addon first where possible; the test build when the
 * registry finds none) and why not; the active backend is kept.
 */
export function cudaOrReason(): { backend: CudaBackend | null; reason: string } {
  const built = ensureCudaAddon();
  const previous = c.getBackend();
  try {
    return { backend: c.setBackend('cuda') as CudaBackend, reason: '' };
  } catch (err) {
    // The registry keeps its first answer: an earlier test file may have asked before the build.
    if (built.ok) {
      try { return { backend: new CudaBackend({ path: builtAddon() }), reason: '' }; } catch { /* the same reason below */ }
    }
    const why = (err as Error).message;
    return { backend: null, reason: built.ok || process.env['CURVATURE_CUDA_PATH'] ? `no usable GPU here (${why})` : `${built.reason} (${why})` };
  } finally {
    c.setBackend(previous.name);
  }
}

/** Registers `fn` as test `name` when the condition holds, else as a skipped test with the reason. */
export function testIf(suite: Test, ok: boolean, reason: string) {
  return (name: string, fn: () => void | Promise<void>): void => {
    if (ok) suite(name, fn);
    else skipBecause(suite, name, reason);
  };
}
