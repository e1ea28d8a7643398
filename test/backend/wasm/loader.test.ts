/**
 * The wasm loader: where it looks, what it reports when it cannot load, the imports it provides.
 * Most cases use tiny modules assembled here (no toolchain needed), so they run even when
 * wasm/curvature.wasm is missing; the URL paths with the real binary skip when it cannot load.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as c from '../../../src/index.js';
import {
  defaultWasmPath, loadWasm, loadWasmFromUrl, REQUIRED_FUNCTIONS, wasmRelaxedSimdSupported, wasmSimdSupported, WasmTrapError,
} from '../../../src/backend/wasm/loader.js';
import { WasmBackend } from '../../../src/backend/wasm/index.js';
import { repoRoot, throwsType } from '../../helpers.js';
import { wasmOrSkip } from './setup.js';

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly assembler: just enough for modules with imports, memory, exports and
// straight-line function bodies.

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const I32 = 0x7f;

interface ModuleSpec {
  types?: [number[], number[]][];
  imports?: { module: string; name: string; kind: 'func' | 'memory'; type?: number }[];
  funcs?: { type: number; code: number[] }[];
  memory?: boolean;
  exports?: { name: string; kind: 'func' | 'memory'; index: number }[];
}

function assemble(m: ModuleSpec): Uint8Array {
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (m.types) bytes.push(...section(1, vec(m.types.map(([p, r]) => [0x60, ...vec(p.map((x) => [x])), ...vec(r.map((x) => [x]))]))));
  if (m.imports) {
    bytes.push(...section(2, vec(m.imports.map((i) => [...str(i.module), ...str(i.name),
      ...(i.kind === 'func' ? [0x00, ...uleb(i.type ?? 0)] : [0x02, 0x00, 0x01])]))));
  }
  if (m.funcs) bytes.push(...section(3, vec(m.funcs.map((f) => uleb(f.type)))));
  if (m.memory) bytes.push(...section(5, vec([[0x00, 0x01]])));
  if (m.exports) bytes.push(...section(7, vec(m.exports.map((e) => [...str(e.name), e.kind === 'func' ? 0x00 : 0x02, ...uleb(e.index)]))));
  if (m.funcs) {
    bytes.push(...section(10, vec(m.funcs.map((f) => {
      const body = [0x00, ...f.code, 0x0b];
      return [...uleb(body.length), ...body];
    }))));
  }
  return new Uint8Array(bytes);
}

const dir = mkdtempSync(join(tmpdir(), 'curvature-wasm-loader-'));
function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * A module that satisfies the export check (every ABI name points at one function that calls
 * WASI proc_exit) and has extra exports exercising the other imports.
 */
function fakeAbiModule(): Uint8Array {
  const call = (i: number): number[] => [0x10, ...uleb(i)];
  const i32 = (v: number): number[] => [0x41, ...uleb(v)];
  return assemble({
    types: [[[I32], []], [[I32, I32, I32, I32], [I32]], [[], []]],
    imports: [
      { module: 'wasi_snapshot_preview1', name: 'proc_exit', kind: 'func', type: 0 }, // 0
      { module: 'env', name: 'emscripten_notify_memory_growth', kind: 'func', type: 0 }, // 1
      { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'func', type: 1 }, // 2
      { module: 'env', name: 'something_new', kind: 'func', type: 2 }, // 3
    ],
    funcs: [
      { type: 2, code: [...i32(3), ...call(0)] }, // 4: exit(3)
      { type: 2, code: [...i32(1), 0x40, 0x00, 0x1a, ...i32(0), ...call(1)] }, // 5: memory.grow(1); notify(0)
      { type: 2, code: [...i32(2), ...i32(0), ...i32(1), ...i32(16), ...call(2), 0x1a] }, // 6: fd_write(2, iov 0, 1, 16)
      { type: 2, code: call(3) }, // 7
    ],
    memory: true,
    exports: [
      { name: 'memory', kind: 'memory', index: 0 },
      ...REQUIRED_FUNCTIONS.map((name) => ({ name, kind: 'func' as const, index: 4 })),
      { name: 'grow', kind: 'func', index: 5 },
      { name: 'write', kind: 'func', index: 6 },
      { name: 'unknown', kind: 'func', index: 7 },
    ],
  });
}

// ---------------------------------------------------------------------------------------------

test('SIMD check: the function exists and reports support on Node 20+', () => {
  assert.type(wasmSimdSupported, 'function');
  assert.is(wasmSimdSupported(), true);
});

test('default location: wasm/curvature-mt.wasm (curvature-fma-mt.wasm with relaxed SIMD) in the package root (the directory holding package.json)', () => {
  const saved = process.env['CURVATURE_WASM_PATH'];
  const savedVariant = process.env['CURVATURE_WASM'];
  delete process.env['CURVATURE_WASM_PATH'];
  delete process.env['CURVATURE_WASM'];
  try {
    const p = defaultWasmPath();
    assert.is(p, join(repoRoot(), 'wasm', wasmRelaxedSimdSupported() ? 'curvature-fma-mt.wasm' : 'curvature-mt.wasm'));
    assert.ok(existsSync(join(dirname(dirname(p)), 'package.json')));
  } finally {
    if (saved !== undefined) process.env['CURVATURE_WASM_PATH'] = saved;
    if (savedVariant !== undefined) process.env['CURVATURE_WASM'] = savedVariant;
  }
  process.env['CURVATURE_WASM_PATH'] = '/somewhere/else.wasm';
  try {
    assert.is(defaultWasmPath(), '/somewhere/else.wasm');
  } finally {
    if (saved === undefined) delete process.env['CURVATURE_WASM_PATH'];
    else process.env['CURVATURE_WASM_PATH'] = saved;
  }
});

test('a missing file is a BackendUnavailableError whose reason names the path', () => {
  const missing = join(dir, 'no', 'such', 'curvature.wasm');
  try {
    loadWasm(missing);
    assert.unreachable('loadWasm of a missing file returned');
  } catch (err) {
    assert.instance(err, c.BackendUnavailableError);
    assert.match((err as c.BackendUnavailableError).reason, `file missing at ${missing}`);
    assert.match((err as Error).message, /backend 'wasm' is unavailable/);
  }
  throwsType(() => new WasmBackend(loadWasm(missing)), c.BackendUnavailableError, /file missing/);
});

test('a file that is not WebAssembly, a module without the ABI exports, one importing its memory', () => {
  throwsType(() => loadWasm(file('garbage.wasm', new TextEncoder().encode('not wasm at all'))), c.BackendUnavailableError,
    /garbage\.wasm does not compile as WebAssembly/);
  throwsType(() => loadWasm(file('empty.wasm', assemble({}))), c.BackendUnavailableError,
    /empty\.wasm does not export memory, cv_malloc, cv_free, .*cv_syev_f64/);
  throwsType(() => loadWasm(file('memimport.wasm', assemble({ imports: [{ module: 'env', name: 'memory', kind: 'memory' }] }))),
    c.BackendUnavailableError, /imports a memory \(env\.memory\) that does not link to the shared memory .*expected a standalone module/);
});

test('imports: memory-growth notice counted, WASI and unknown imports are stubs that throw clear errors', () => {
  const k = loadWasm(file('fake.wasm', fakeAbiModule()));
  assert.equal([...k.imports].sort(), ['env.emscripten_notify_memory_growth', 'env.something_new',
    'wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.proc_exit']);
  const ex = k.exports as unknown as Record<string, () => void>;
  const pages = k.memory.buffer.byteLength / 65536;
  const oldBuffer = k.memory.buffer;
  ex['grow']!();
  assert.is(k.memoryGrowths, 1);
  assert.is(k.memory.buffer.byteLength / 65536, pages + 1);
  assert.is.not(k.memory.buffer, oldBuffer, 'growth replaces the ArrayBuffer (old views are detached)');
  throwsType(() => k.exports.cv_malloc(16), WasmTrapError, /proc_exit\(3\).*kernel bug/);
  // fd_write: the message it tried to print ends up in the error.
  const dv = new DataView(k.memory.buffer);
  dv.setUint32(0, 32, true);
  dv.setUint32(4, 14, true);
  new Uint8Array(k.memory.buffer).set(new TextEncoder().encode('assert failed!'), 32);
  throwsType(() => ex['write']!(), WasmTrapError, /fd_write.*fd 2.*assert failed!/);
  throwsType(() => ex['unknown']!(), WasmTrapError, /env\.something_new/);
});

test('BackendUnavailableError from loadWasmFromUrl: bad data: URL, missing file: URL', async () => {
  try {
    await loadWasmFromUrl('data:application/wasm;base64,AGFzbQEAAAAA');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, c.BackendUnavailableError);
  }
  try {
    await loadWasmFromUrl(pathToFileURL(join(dir, 'nope.wasm')));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, c.BackendUnavailableError);
    assert.match((err as c.BackendUnavailableError).reason, /nope\.wasm/);
  }
});

test('the registry records wasm with priority over js, or the reason it could not load', () => {
  const entry = c.listBackends().find((b) => b.name === 'wasm');
  assert.ok(entry, 'wasm is registered');
  const w = wasmOrSkip('registry check');
  if (w) {
    assert.is(w.name, 'wasm');
    assert.is(c.listBackends().find((b) => b.name === 'wasm')?.loaded, true);
  } else {
    assert.ok((c.listBackends().find((b) => b.name === 'wasm')?.failure ?? '').length > 0);
  }
});

// With the real binary (skipped when it cannot load).
const W = wasmOrSkip('wasm loader tests with the real binary');
const withBinary = W ? test : (name: string) => test.skip(name);

withBinary('loadWasmFromUrl: data: URL and file: URL of the real binary give a working backend', async () => {
  const path = W!.kernels.source;
  const bytes = readFileSync(path);
  for (const url of [`data:application/wasm;base64,${bytes.toString('base64')}`, pathToFileURL(path).href]) {
    const k = await loadWasmFromUrl(url);
    const b = new WasmBackend(k);
    const x = b.alloc('float64', 3);
    b.write(x, [1, 4, 9]);
    b.unary('sqrt', x, x, 3);
    assert.equal(Array.from(b.read(x)), [1, 2, 3]);
    b.free(x);
  }
});

test.run();
