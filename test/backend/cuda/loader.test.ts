/**
 * The CUDA addon's build and loading (src/backend/cuda/load.ts), all of which runs without a GPU:
 * it compiles with nvcc where nvcc exists (skipped with the reason elsewhere); the module loads on a
 * machine without a driver (static cudart) and init() says why the device cannot run; that becomes
 * a BackendUnavailableError from new CudaBackend() and setBackend('cuda'), while the default
 * selection is unaffected (one message on stderr, in a fresh process). Each loader failure is
 * simulated: a missing file, CURVATURE_CUDA=0, a corrupt and a truncated file, a binary lacking a
 * function or of another ABI, init() refusing or throwing. The addon's error codes map to typed errors.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendUnavailableError, InputError } from '../../../src/errors.js';
import { CUDA_ABI, CUDA_FUNCTIONS } from '../../../src/backend/cuda/addon.js';
import { CudaError, CudaLaunchError, CudaOutOfMemoryError, mapCudaError } from '../../../src/backend/cuda/errors.js';
import { CudaBackend } from '../../../src/backend/cuda/index.js';
import { CudaDeviceUnavailableError, cudaCandidates, loadCudaAddon } from '../../../src/backend/cuda/load.js';
import { repoRoot, throwsType } from '../../helpers.js';
import { builtAddon, cudaOrReason, ensureCudaAddon, testIf } from './setup.js';

const S = suite('cuda loader');
const built = ensureCudaAddon();
const addonPath = process.env['CURVATURE_CUDA_PATH'] ?? builtAddon();
const haveBinary = existsSync(addonPath);
const { backend: G, reason: gpuReason } = cudaOrReason();
const withBinary = testIf(S, haveBinary, built.reason || `no CUDA addon at ${addonPath}`);
const withoutDevice = testIf(S, haveBinary && !G, G ? 'a GPU is present here: the no-device paths cannot be observed' : built.reason || `no CUDA addon at ${addonPath}`);
const dir = mkdtempSync(join(tmpdir(), 'curvature-cuda-'));
S.after(() => rmSync(dir, { recursive: true, force: true }));

function unavailable(fn: () => unknown, re: RegExp): void {
  throwsType(fn, BackendUnavailableError, /backend 'cuda' is unavailable/);
  try { fn(); } catch (err) { assert.match((err as BackendUnavailableError).reason, re); }
}

/** A fake module exporting every function, with the given info() and init(). */
function fake(info: () => unknown, init: () => unknown): Record<string, unknown> {
  return { ...Object.fromEntries(CUDA_FUNCTIONS.map((f) => [f, () => {}])), info, init };
}

withBinary('npm run build:cuda produced an x86-64 shared object with sm_90 code (nvcc present)', () => {
  const bytes = readFileSync(addonPath);
  assert.equal([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  // The fatbinary names its targets: sm_90 machine code (and the compute_90 PTX, as text).
  assert.ok(bytes.includes(Buffer.from('sm_90')), 'sm_90 in the binary');
});

S('search order: CURVATURE_CUDA_PATH alone when set, else build/cuda/Release/', () => {
  assert.equal(cudaCandidates({ root: '/pkg', env: {} }), ['/pkg/build/cuda/Release/curvature_cuda.node']);
  assert.equal(cudaCandidates({ root: '/pkg', env: { CURVATURE_CUDA_PATH: '/x.node' } }), ['/x.node']);
});

S('a missing binary and CURVATURE_CUDA=0 are BackendUnavailableErrors with the reason', () => {
  unavailable(() => loadCudaAddon({ path: join(dir, 'nothing.node'), env: {} }), /no CUDA addon .*build:cuda.*nothing\.node: not found/);
  unavailable(() => new CudaBackend({ root: dir, env: {} }), /build\/cuda\/Release\/curvature_cuda\.node: not found/);
  unavailable(() => loadCudaAddon({ env: { CURVATURE_CUDA: '0' } }), /disabled by CURVATURE_CUDA=0/);
});

S('a corrupt file, a binary lacking a function or of another ABI, a throwing dlopen: refused, never a crash', () => {
  const bad = join(dir, 'corrupt.node');
  writeFileSync(bad, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255)));
  unavailable(() => loadCudaAddon({ path: bad, env: {} }), /corrupt\.node: not an ELF file/);
  unavailable(() => loadCudaAddon({ path: bad, env: {}, dlopen: () => ({ info: () => ({ abi: CUDA_ABI }) }) }), /lacks the function\(s\) init, memoryStats/);
  unavailable(() => loadCudaAddon({ path: bad, env: {}, dlopen: () => fake(() => ({ abi: 99 }), () => ({ ok: true, reason: '' })) }), /ABI 99, this code expects/);
  unavailable(() => loadCudaAddon({ path: bad, env: {}, dlopen: () => { throw new Error('libfoo.so: cannot open'); } }), /cannot be loaded: libfoo/);
});

S('init() refusing (no driver, no device) is a CudaDeviceUnavailableError naming the reason; init() throwing too', () => {
  const path = join(dir, 'corrupt.node');
  const refuse = () => loadCudaAddon({ path, env: {}, dlopen: () => fake(() => ({ abi: CUDA_ABI }), () => ({ ok: false, reason: 'no CUDA device' })) });
  throwsType(refuse, CudaDeviceUnavailableError, /no CUDA device/);
  unavailable(() => loadCudaAddon({ path, env: {}, dlopen: () => fake(() => ({ abi: CUDA_ABI }), () => { throw new Error('boom'); }) }), /init\(\) threw: boom/);
});

withBinary('a truncated copy of the real binary is refused from its ELF headers', () => {
  const bytes = readFileSync(addonPath);
  const truncated = join(dir, 'truncated.node');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
  unavailable(() => loadCudaAddon({ path: truncated, env: {} }), /truncated\.node: .*past the end of the file/);
});

withoutDevice('on this GPU-less machine the real addon loads and says why it cannot run (no driver / no device)', () => {
  unavailable(() => loadCudaAddon({ path: addonPath, env: {} }), /no CUDA driver|no CUDA device|compute capability|test kernel did not run/);
  throwsType(() => new CudaBackend({ path: addonPath, env: {} }), CudaDeviceUnavailableError);
  // The raw module: every call after a refused init() is CUDA_BROKEN, mapped to BackendUnavailableError.
  const m = { exports: {} as Record<string, (...a: unknown[]) => unknown> };
  process.dlopen(m, addonPath);
  const init = m.exports['init']!() as { ok: boolean; reason: string };
  assert.is(init.ok, false);
  let caught: unknown;
  try { m.exports['alloc']!(0, 16); } catch (err) { caught = err; }
  assert.is((caught as { code?: string }).code, 'CUDA_BROKEN');
  assert.instance(mapCudaError(caught), BackendUnavailableError);
});

withoutDevice("setBackend('cuda') throws the typed error; the default selection is unaffected, with one message", () => {
  const entry = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;
  const script = `const c = await import(${JSON.stringify(entry)});
    const b = c.getBackend().name;
    let why = '';
    try { c.setBackend('cuda'); } catch (e) { why = (e instanceof c.BackendUnavailableError) + ' ' + e.reason; }
    try { c.setBackend('cuda'); } catch { /* the cached answer: no second message */ }
    console.log(JSON.stringify({ b, why, sum: c.sum(c.tensor([1, 2, 3])).item() }));`;
  const env = { ...process.env, CURVATURE_CUDA_PATH: addonPath };
  const r = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = JSON.parse(r);
  assert.ok(['native', 'wasm', 'js'].includes(out.b), `default selection: ${out.b}`);
  assert.match(out.why, /^true (no CUDA driver|no CUDA device)/);
  assert.is(out.sum, 6);
  // stderr: exactly one line about the CUDA backend.
  const both = execFileSync('sh', ['-c', `"${process.execPath}" --input-type=module -e '${script.replace(/'/g, "'\\''")}' 2>&1 >/dev/null`], { env, encoding: 'utf8' });
  assert.is(both.split('\n').filter((l) => /CUDA backend is built but cannot run/.test(l)).length, 1, both);
});

S('the addon error codes map to typed errors', () => {
  const e = (code: string) => Object.assign(new Error(`curvature_cuda: ${code} happened`), { code });
  assert.instance(mapCudaError(e('CUDA_OOM')), CudaOutOfMemoryError);
  assert.instance(mapCudaError(e('CUDA_LAUNCH')), CudaLaunchError);
  assert.instance(mapCudaError(e('CUDA_INPUT')), InputError);
  assert.instance(mapCudaError(e('CUDA_BROKEN')), BackendUnavailableError);
  assert.instance(mapCudaError(e('CUDA_ARG')), CudaError);
  const plain = new TypeError('x');
  assert.is(mapCudaError(plain), plain);
});

// Informational: what this machine is.
console.log(G ? `(cuda: ${JSON.stringify(G.info())})` : `(cuda: ${gpuReason})`);

S.run();
