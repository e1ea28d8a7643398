/**
 * Loading the native addon safely (src/backend/native/load.ts), each failure simulated: a missing
 * file, another platform (no prebuilt binary), a corrupt file (random bytes: bad ELF) and a
 * truncated copy of the real binary (refused from its ELF headers: dlopen would map it and crash
 * with SIGBUS), a binary for another machine, a binary lacking a function (a "missing symbol") or of another
 * ABI, a dlopen that throws, CURVATURE_NATIVE=0, and a CPU without AVX2 (the portable kernels run,
 * in a child process started with CURVATURE_NATIVE_NO_AVX2=1). Every failure is a
 * BackendUnavailableError with the reason, the process survives, and selection falls back to wasm.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendUnavailableError } from '../../../src/errors.js';
import { loadNativeAddon, nativeCandidates } from '../../../src/backend/native/load.js';
import { NativeBackend } from '../../../src/backend/native/index.js';
import { ADDON_FUNCTIONS, NATIVE_ABI } from '../../../src/backend/native/addon.js';
import { repoRoot, throwsType } from '../../helpers.js';
import { nativeOrReason, nativeTest } from './setup.js';

const S = suite('native loader');
const { backend: N, reason } = nativeOrReason();
const t = nativeTest(S, N, reason);
const dir = mkdtempSync(join(tmpdir(), 'curvature-native-'));

S.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs fn, which must throw BackendUnavailableError('native', …) whose reason matches `re`. */
function unavailable(fn: () => unknown, re: RegExp): void {
  throwsType(fn, BackendUnavailableError, /backend 'native' is unavailable/);
  try { fn(); } catch (err) { assert.match((err as BackendUnavailableError).reason, re); }
}

S('search order: build/Release first, then prebuilds/<platform>-<arch>/; CURVATURE_NATIVE_PATH alone when set', () => {
  assert.equal(nativeCandidates({ root: '/pkg', platform: 'linux', arch: 'x64', env: {} }),
    ['/pkg/build/Release/curvature_native.node', '/pkg/prebuilds/linux-x64/curvature_native.node']);
  assert.equal(nativeCandidates({ root: '/pkg', env: { CURVATURE_NATIVE_PATH: '/x.node' } }), ['/x.node']);
});

S('a missing binary is a BackendUnavailableError naming where it looked', () => {
  unavailable(() => loadNativeAddon({ path: join(dir, 'nothing-here.node') }), /nothing-here\.node: not found/);
  unavailable(() => new NativeBackend({ root: dir, env: {} }), /no loadable binary .*build\/Release.*not found.*prebuilds/);
});

S('another platform: no prebuilt binary for it', () => {
  unavailable(() => loadNativeAddon({ root: dir, platform: 'win32', arch: 'arm64', env: {} }), /win32-arm64.*prebuilds\/win32-arm64/);
});

S('a corrupt file (random bytes, not an ELF) is refused by dlopen, not a crash', () => {
  const bad = join(dir, 'corrupt.node');
  writeFileSync(bad, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255)));
  unavailable(() => loadNativeAddon({ path: bad }), /corrupt\.node: not an ELF file/);
  // dlopen itself refuses it too (the ELF check skipped by a custom dlopen that calls the real one).
  unavailable(() => loadNativeAddon({ path: bad, dlopen: (p) => { const m = { exports: {} }; process.dlopen(m, p); return m.exports; } }), /corrupt\.node: cannot be loaded/);
});

S('CURVATURE_NATIVE=0 disables the backend', () => {
  unavailable(() => loadNativeAddon({ env: { CURVATURE_NATIVE: '0' } }), /disabled by CURVATURE_NATIVE=0/);
});

S('a binary lacking a function (missing symbol), of another ABI, or whose dlopen throws, is refused', () => {
  const path = join(dir, 'fake.node');
  writeFileSync(path, 'x');
  unavailable(() => loadNativeAddon({ path, dlopen: () => ({ info: () => ({ abi: 1 }) }) }), /lacks the function\(s\) setKernelCap, fill/);
  const all = Object.fromEntries(ADDON_FUNCTIONS.map((f) => [f, () => {}]));
  unavailable(() => loadNativeAddon({ path, dlopen: () => ({ ...all, info: () => ({ abi: 99 }) }) }), new RegExp(`ABI 99, this code expects ${NATIVE_ABI}`));
  unavailable(() => loadNativeAddon({ path, dlopen: () => { throw new Error('undefined symbol: _ZN2cv4gemmIfEEvbb'); } }), /undefined symbol/);
  unavailable(() => loadNativeAddon({ path, dlopen: () => 42 }), /exports no object/);
});

t('a truncated copy of the real binary is refused; a broken build/Release falls through to prebuilds/', () => {
  const real = N!.path;
  const bytes = readFileSync(real);
  const truncated = join(dir, 'truncated.node');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
  unavailable(() => loadNativeAddon({ path: truncated }), /truncated\.node: .*past the end of the file/);
  const arm = Buffer.from(bytes);
  arm.writeUInt16LE(183, 18);
  writeFileSync(join(dir, 'arm.node'), arm);
  unavailable(() => loadNativeAddon({ path: join(dir, 'arm.node') }), /machine 183/);
  // A package root whose build/Release binary is corrupt but whose prebuilt one is good.
  const root = join(dir, 'pkg');
  const plat = `${process.platform}-${process.arch}`;
  execFileSync('mkdir', ['-p', join(root, 'build', 'Release'), join(root, 'prebuilds', plat)]);
  writeFileSync(join(root, 'build', 'Release', 'curvature_native.node'), 'not an ELF');
  copyFileSync(real, join(root, 'prebuilds', plat, 'curvature_native.node'));
  const loaded = loadNativeAddon({ root, env: {} });
  assert.is(loaded.path, join(root, 'prebuilds', plat, 'curvature_native.node'));
  assert.is(loaded.info.abi, NATIVE_ABI);
});

t('a binary with an unresolvable symbol (the real one, an import renamed) fails to load instead of crashing later', () => {
  const bytes = Buffer.from(readFileSync(N!.path));
  const name = Buffer.from('napi_create_function\0');
  const at = bytes.indexOf(name);
  assert.ok(at > 0, 'the addon imports napi_create_function');
  bytes[at + name.length - 2] = 0x58; // …functioX
  const path = join(dir, 'missing-symbol.node');
  writeFileSync(path, bytes);
  unavailable(() => loadNativeAddon({ path }), /missing-symbol\.node: cannot be loaded: .*undefined symbol: napi_create_functioX/);
});

t('selection falls back (to cuda where a GPU runs it, else wasm, then js) when the addon cannot load, in a fresh process', () => {
  const entry = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;
  const script = `const c = await import(${JSON.stringify(entry)});
    const b = c.getBackend().name;
    let why = '';
    try { c.setBackend('native'); } catch (e) { why = (e instanceof c.BackendUnavailableError) + ' ' + e.reason; }
    console.log(JSON.stringify({ b, why, sum: c.sum(c.tensor([1, 2, 3])).item() }));`;
  for (const env of [{ CURVATURE_NATIVE_PATH: join(dir, 'missing.node') }, { CURVATURE_NATIVE_PATH: join(dir, 'corrupt.node') }]) {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' }));
    assert.ok(['cuda', 'wasm', 'js'].includes(out.b), `fell back to ${out.b}`);
    assert.match(out.why, /^true .*(not found|not an ELF file)/);
    assert.is(out.sum, 6);
  }
});

t('a CPU without AVX2 (simulated by CURVATURE_NATIVE_NO_AVX2=1): the addon loads with the portable kernels', () => {
  const entry = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;
  const script = `const c = await import(${JSON.stringify(entry)});
    const b = c.setBackend('native');
    const x = c.tensor([[1, 2], [3, 4]], undefined, 'float32');
    console.log(JSON.stringify({ kernel: b.info().kernel, y: Array.from(c.matmul(x, x).dataSync()) }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, CURVATURE_NATIVE_NO_AVX2: '1' }, encoding: 'utf8' }));
  assert.is(out.kernel, 'portable');
  assert.equal(out.y, [7, 10, 15, 22]);
});

S.run();
