/**
 * Loads the standalone WebAssembly kernels (ABI in wasm/src/curvature.h).
 *
 * - Node: `loadWasm()` finds the binary next to the package — from this file's URL up to the
 *   directory holding the package's package.json, then `wasm/curvature-mt.wasm`, or
 *   `wasm/curvature-fma-mt.wasm` where relaxed SIMD is available (see Variants; the compiled JS
 *   lives in dist/src/backend/wasm/) — reads it with fs.readFileSync and compiles it synchronously.
 *   The environment variable CURVATURE_WASM_PATH overrides the location. Never the network.
 *   curvature-mt.wasm is the kernels built over an imported shared memory (the loader creates it:
 *   SHARED_MEMORY_PAGES), which worker threads can instantiate too (./threads.ts); single-threaded
 *   it runs as fast as curvature.wasm (wasm/README.md has the measurements).
 * - Browsers: `await loadWasmFromUrl(new URL(defaultWasmFile(), base))` (fetch +
 *   WebAssembly.compileStreaming where the server sends application/wasm), then
 *   `registerBackend('wasm', () => new WasmBackend(kernels), 10)`. Use the unshared modules there
 *   (curvature-fma.wasm or curvature.wasm, what defaultWasmFile() names): a shared memory needs a
 *   cross-origin isolated page.
 *
 * Variants: every module exists as a plain SIMD build ('simd': curvature.wasm, curvature-mt.wasm)
 * and a relaxed-SIMD build whose GEMM micro-kernels use fused multiply-adds ('fma':
 * curvature-fma.wasm, curvature-fma-mt.wasm; scripts/build-wasm.mjs; selection: ./variant.ts).
 * wasmVariant() picks 'fma' where the engine validates a relaxed-SIMD instruction (Chromium ≥ 114,
 * Node ≥ 22, Node 20 with --experimental-wasm-relaxed-simd), else 'simd'; the environment variable
 * CURVATURE_WASM=fma|simd forces one in Node (tests, comparisons). Fused multiply-adds round once where the plain build
 * rounds twice, so the two variants' GEMM results differ in the last bits (both within the
 * tolerances the conformance suite states); WasmKernels.variant says which one is loaded.
 *
 * SIMD support is checked first with a one-instruction module, so an engine without it gets a
 * precise reason. The module is emscripten's standalone output (no JS glue): it exports its memory
 * (or imports `env.memory`, shared) and `_initialize`, and imports
 * `env.emscripten_notify_memory_growth` (called after memory.grow: every typed-array view of the old
 * memory.buffer is detached from then on; a shared memory's old SharedArrayBuffer stays valid but
 * keeps its old length, so views must be rebuilt all the same). WASI imports, should a build pull
 * any in, are stubs that throw a clear error. Every failure is a BackendUnavailableError('wasm',
 * reason).
 */
import { BackendUnavailableError, CurvatureError } from '../../errors.js';
import { defaultWasmFile, wasmRelaxedSimdSupported, type WasmVariant } from './variant.js';
import { wasmApi, type WasmApi, type WasmImports, type WasmInstance, type WasmMemory, type WasmModule } from './wasm-api.js';

/** The exports the ABI requires (wasm/src/curvature.h). */
export interface CurvatureExports {
  readonly memory: WasmMemory;
  cv_malloc(bytes: number): number;
  cv_free(p: number): void;
  cv_allocated_bytes(): number;
  cv_fill_f32(x: number, n: number, v: number): void;
  cv_fill_f64(x: number, n: number, v: number): void;
  cv_fill_b32(x: number, n: number, v: number): void;
  cv_cast(from: number, to: number, src: number, dst: number, n: number): void;
  cv_copy_b32(rank: number, shape: number, src: number, srcStrides: number, dst: number, dstStrides: number): void;
  cv_copy_b64(rank: number, shape: number, src: number, srcStrides: number, dst: number, dstStrides: number): void;
  cv_unary_f32(op: number, x: number, out: number, n: number): void;
  cv_unary_f64(op: number, x: number, out: number, n: number): void;
  cv_binary_f32(op: number, rank: number, shape: number, a: number, aStrides: number, b: number, bStrides: number, out: number): void;
  cv_binary_f64(op: number, rank: number, shape: number, a: number, aStrides: number, b: number, bStrides: number, out: number): void;
  cv_binary_i32(op: number, rank: number, shape: number, a: number, aStrides: number, b: number, bStrides: number, out: number): void;
  cv_where_f32(rank: number, shape: number, c: number, cStrides: number, a: number, aStrides: number, b: number, bStrides: number, out: number): void;
  cv_where_f64(rank: number, shape: number, c: number, cStrides: number, a: number, aStrides: number, b: number, bStrides: number, out: number): void;
  cv_reduce_f32(op: number, x: number, outer: number, r: number, inner: number, out: number): void;
  cv_reduce_f64(op: number, x: number, outer: number, r: number, inner: number, out: number): void;
  cv_gemm_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number): void;
  cv_gemm_f64(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number): void;
  cv_gather_b32(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  cv_gather_b64(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  cv_scatter_add_f32(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  cv_scatter_add_f64(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  cv_potrf_f32(n: number, a: number, lda: number, value: number): number;
  cv_potrf_f64(n: number, a: number, lda: number, value: number): number;
  cv_trsm_f32(upper: number, trans: number, unitDiag: number, m: number, n: number, alpha: number, a: number, lda: number, b: number, ldb: number): void;
  cv_trsm_f64(upper: number, trans: number, unitDiag: number, m: number, n: number, alpha: number, a: number, lda: number, b: number, ldb: number): void;
  cv_syev_f32(n: number, a: number, lda: number, w: number, computeVectors: number): number;
  cv_syev_f64(n: number, a: number, lda: number, w: number, computeVectors: number): number;
  /** Threads (optional: a module without them runs single-threaded). */
  cv_gemm_part_f32?(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, part: number, parts: number, scratch: number): void;
  cv_gemm_part_f64?(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, part: number, parts: number, scratch: number): void;
  cv_gemm_scratch_bytes_f32?(): number;
  cv_gemm_scratch_bytes_f64?(): number;
  stackRestore?(sp: number): void;
  /** Present only in the relaxed-SIMD FMA builds (returns 1): see WasmKernels.variant. */
  cv_relaxed_fma?(): number;
}

export { defaultWasmFile, wasmRelaxedSimdSupported, wasmVariant, type WasmVariant } from './variant.js';

/**
 * The shared memory handed to a module that imports `env.memory` (curvature-mt.wasm), in 64 KiB
 * pages: as linked by scripts/build-wasm.mjs (-sINITIAL_MEMORY=16MB -sMAXIMUM_MEMORY=4GB).
 */
export const SHARED_MEMORY_PAGES = { initial: 256, maximum: 65536 } as const;

/** Every function export the backend calls; a module lacking one is rejected at load time. */
export const REQUIRED_FUNCTIONS: readonly (keyof Omit<CurvatureExports, 'memory'>)[] = [
  'cv_malloc', 'cv_free', 'cv_allocated_bytes',
  'cv_fill_f32', 'cv_fill_f64', 'cv_fill_b32', 'cv_cast', 'cv_copy_b32', 'cv_copy_b64',
  'cv_unary_f32', 'cv_unary_f64', 'cv_binary_f32', 'cv_binary_f64', 'cv_binary_i32', 'cv_where_f32', 'cv_where_f64',
  'cv_reduce_f32', 'cv_reduce_f64', 'cv_gemm_f32', 'cv_gemm_f64',
  'cv_gather_b32', 'cv_gather_b64', 'cv_scatter_add_f32', 'cv_scatter_add_f64',
  'cv_potrf_f32', 'cv_potrf_f64', 'cv_trsm_f32', 'cv_trsm_f64', 'cv_syev_f32', 'cv_syev_f64',
];

/** An instantiated kernel module: its exports, its memory and what the loader learned about it. */
export class WasmKernels {
  /** How many times the module grew its memory (env.emscripten_notify_memory_growth calls). */
  memoryGrowths = 0;
  constructor(
    /** The instance's exports, with `memory` set to the imported memory when the module imports it. */
    readonly exports: CurvatureExports,
    /** The path or URL the module came from (for messages). */
    readonly source: string,
    /** The imports the module declared, as 'module.name'. */
    readonly imports: readonly string[],
    /** The compiled module (worker threads instantiate it again over the same shared memory). */
    readonly module: WasmModule | null = null,
    /** Whether the memory is shared (a SharedArrayBuffer underneath): the module imported it. */
    readonly shared = false,
  ) {}
  get memory(): WasmMemory {
    return this.exports.memory;
  }
  /** 'fma' for a relaxed-SIMD FMA build (it exports cv_relaxed_fma), else 'simd'. */
  get variant(): WasmVariant {
    return typeof this.exports.cv_relaxed_fma === 'function' ? 'fma' : 'simd';
  }
}

/** Thrown by the stubs of imports a correct kernel build never calls (WASI exit/write, abort). */
export class WasmTrapError extends CurvatureError {}

// ---------------------------------------------------------------------------------------------
// Node file access without a static `node:` import, so that the core library still loads in a
// browser (where only loadWasmFromUrl applies).

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const node = isNode
  ? { fs: await import('node:fs'), url: await import('node:url') }
  : null;

/**
 * The file the Node loader reads: $CURVATURE_WASM_PATH if set, else `wasm/curvature-mt.wasm` (or
 * `wasm/curvature-fma-mt.wasm` where wasmVariant() is 'fma') in the nearest directory above this
 * module whose package.json names the package `curvature` (the nearest package.json at all,
 * failing that). Throws BackendUnavailableError when there is none, or when CURVATURE_WASM asks
 * for a variant this engine cannot run.
 */
export function defaultWasmPath(): string {
  if (!node) throw new BackendUnavailableError('wasm', 'no file system here (not Node.js); use loadWasmFromUrl()');
  const override = process.env['CURVATURE_WASM_PATH'];
  if (override) return override;
  const WASM_FILE = `wasm/${defaultWasmFile({ shared: true })}`;
  const here = new URL('.', import.meta.url);
  if (here.protocol !== 'file:') {
    throw new BackendUnavailableError('wasm', `cannot locate ${WASM_FILE} from the module URL ${import.meta.url} (not a file: URL); use loadWasmFromUrl()`);
  }
  let first: URL | null = null;
  for (let dir = here; ; ) {
    const pkg = new URL('package.json', dir);
    if (node.fs.existsSync(pkg)) {
      first ??= dir;
      try {
        if (JSON.parse(node.fs.readFileSync(pkg, 'utf8')).name === 'curvature') return node.url.fileURLToPath(new URL(WASM_FILE, dir));
      } catch {
        // an unreadable package.json is not ours; keep looking
      }
    }
    const up = new URL('..', dir);
    if (up.href === dir.href) break;
    dir = up;
  }
  if (first) return node.url.fileURLToPath(new URL(WASM_FILE, first));
  throw new BackendUnavailableError('wasm', `no package.json above ${node.url.fileURLToPath(here)}, so ${WASM_FILE} cannot be located`);
}

// A module with one function whose body is `v128.const 0; drop`: valid only where fixed-width
// SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: one type, () -> ()
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x17, 0x01, 0x15, 0x00, // code section: one body of 21 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0x1a, 0x0b, // drop, end
]);

/** Whether this engine has WebAssembly with fixed-width SIMD (v128), which the kernels need. */
export function wasmSimdSupported(): boolean {
  const W = wasmApi();
  if (!W || typeof W.validate !== 'function') return false;
  try {
    return W.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function engineName(): string {
  return isNode ? `Node ${process.version}` : 'this JavaScript engine';
}

function checkEngine(): WasmApi {
  const W = wasmApi();
  if (!W) {
    throw new BackendUnavailableError('wasm', `WebAssembly is not available in ${engineName()}`);
  }
  if (!wasmSimdSupported()) {
    throw new BackendUnavailableError('wasm',
      `${engineName()} does not support WebAssembly SIMD (v128 instructions), which the kernels are compiled with; use the 'js' backend`);
  }
  return W;
}

/**
 * Loads and instantiates the kernels synchronously from a file (default: defaultWasmPath()).
 * Node only. Throws BackendUnavailableError with the reason on any failure.
 */
export function loadWasm(path?: string): WasmKernels {
  const W = checkEngine();
  if (!node) throw new BackendUnavailableError('wasm', 'synchronous loading needs Node.js file access; in a browser use loadWasmFromUrl()');
  const file = path ?? defaultWasmPath();
  if (!node.fs.existsSync(file)) {
    throw new BackendUnavailableError('wasm', `file missing at ${file} (build it with: node scripts/build-wasm.mjs)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = node.fs.readFileSync(file);
  } catch (err) {
    throw new BackendUnavailableError('wasm', `cannot read ${file}: ${message(err)}`);
  }
  let module: WasmModule;
  try {
    module = new W.Module(bytes);
  } catch (err) {
    throw new BackendUnavailableError('wasm', `${file} does not compile as WebAssembly on ${engineName()}: ${message(err)}${relaxedHint()}`);
  }
  const { importObject, linkError, kernels } = prepareImports(W, module, file);
  let instance: WasmInstance;
  try {
    instance = new W.Instance(module, importObject);
  } catch (err) {
    throw linkError?.(err) ?? new BackendUnavailableError('wasm', `instantiating ${file} failed: ${message(err)}`);
  }
  return kernels(instance);
}

/**
 * Loads the kernels from a URL (browsers; in Node, file: URLs are read from disk and data: URLs
 * decoded by fetch). Throws BackendUnavailableError with the reason on any failure.
 */
export async function loadWasmFromUrl(url: string | URL): Promise<WasmKernels> {
  const W = checkEngine();
  const href = String(url);
  let module: WasmModule;
  try {
    if (node && href.startsWith('file:')) {
      module = await W.compile(await node.fs.promises.readFile(new URL(href)));
    } else {
      if (typeof fetch !== 'function') throw new Error('fetch is not available');
      const res = await fetch(href);
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const streaming = typeof W.compileStreaming === 'function'
        && (res.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'application/wasm';
      module = streaming ? await W.compileStreaming!(res) : await W.compile(await res.arrayBuffer());
    }
  } catch (err) {
    throw new BackendUnavailableError('wasm', `cannot load ${shortUrl(href)}: ${message(err)}${err instanceof Error && /compil/i.test(err.message) ? relaxedHint() : ''}`);
  }
  const { importObject, linkError, kernels } = prepareImports(W, module, shortUrl(href));
  let instance: WasmInstance;
  try {
    instance = await W.instantiate(module, importObject);
  } catch (err) {
    throw linkError?.(err) ?? new BackendUnavailableError('wasm', `instantiating ${shortUrl(href)} failed: ${message(err)}`);
  }
  return kernels(instance);
}

/**
 * The import object for `module` (from WebAssembly.Module.imports) and a function that checks
 * the instance's exports and wraps it.
 */
function prepareImports(W: WasmApi, module: WasmModule, source: string): {
  importObject: WasmImports;
  /** The error to throw when instantiation fails with a shared memory import (null: no such import). */
  linkError: ((err: unknown) => BackendUnavailableError) | null;
  kernels: (instance: WasmInstance) => WasmKernels;
} {
  const declared = W.Module.imports(module);
  const importObject: WasmImports = {};
  let sharedMemory: WasmMemory | null = null;
  // Filled in once the instance exists; the import functions only run after that.
  let state: WasmKernels | null = null;
  const memory = (): WasmMemory => {
    if (!state) throw new WasmTrapError(`${source}: an import was called before instantiation finished`);
    return state.memory;
  };
  for (const imp of declared) {
    const where = `${imp.module}.${imp.name}`;
    if (imp.kind === 'memory' && where === 'env.memory') {
      // curvature-mt.wasm: a shared memory, so that worker threads can run kernels on it too.
      try {
        sharedMemory = new W.Memory({ ...SHARED_MEMORY_PAGES, shared: true });
      } catch (err) {
        throw new BackendUnavailableError('wasm',
          `${source} imports a shared memory, which ${engineName()} cannot create (${message(err)}); use wasm/curvature.wasm, which defines its own`);
      }
      (importObject['env'] ??= {})['memory'] = sharedMemory;
      continue;
    }
    if (imp.kind !== 'function') {
      throw new BackendUnavailableError('wasm',
        `${source} imports a ${imp.kind} (${where}); expected a standalone module (emcc -sSTANDALONE_WASM) that exports its memory`);
    }
    (importObject[imp.module] ??= {})[imp.name] = importFunction(imp.module, imp.name, source, () => state, memory);
  }
  return {
    importObject,
    linkError: sharedMemory
      ? (err) => new BackendUnavailableError('wasm',
        `${source} imports a memory (env.memory) that does not link to the shared memory the loader provides (${SHARED_MEMORY_PAGES.initial}–${SHARED_MEMORY_PAGES.maximum} pages, shared): ${message(err)}; expected a standalone module built by scripts/build-wasm.mjs`)
      : null,
    kernels: (instance) => {
      const exp = (sharedMemory ? { ...instance.exports, memory: sharedMemory } : instance.exports) as Record<string, unknown>;
      const missing: string[] = [];
      if (!(exp['memory'] instanceof W.Memory)) missing.push('memory');
      for (const f of REQUIRED_FUNCTIONS) if (typeof exp[f] !== 'function') missing.push(f);
      if (missing.length) {
        throw new BackendUnavailableError('wasm',
          `${source} does not export ${missing.join(', ')} (the ABI is wasm/src/curvature.h; rebuild with node scripts/build-wasm.mjs)`);
      }
      state = new WasmKernels(exp as unknown as CurvatureExports, source, declared.map((d) => `${d.module}.${d.name}`),
        module, sharedMemory !== null);
      // Reactor modules (emcc --no-entry) run their static constructors in _initialize.
      if (typeof exp['_initialize'] === 'function') {
        try {
          (exp['_initialize'] as () => void)();
        } catch (err) {
          throw new BackendUnavailableError('wasm', `${source}: _initialize() failed: ${message(err)}`);
        }
      }
      return state;
    },
  };
}

function importFunction(
  mod: string, name: string, source: string, state: () => WasmKernels | null, memory: () => WasmMemory,
): (...args: number[]) => unknown {
  const trap = (what: string): never => {
    throw new WasmTrapError(`${source}: the kernel called ${mod}.${name}${what}; a correct build never does (this is a kernel bug)`);
  };
  if (mod === 'env') {
    switch (name) {
      case 'emscripten_notify_memory_growth':
        // memory.grow ran inside the module: the old ArrayBuffer is detached, so every typed-array
        // view of it is dead. The backend never caches views without checking view.buffer ===
        // memory.buffer; this counter is informational.
        return () => {
          const s = state();
          if (s) s.memoryGrowths++;
        };
      case 'emscripten_memcpy_big':
        // Older emscripten routes large memcpy through JS.
        return (dest: number, src: number, num: number) => {
          const heap = new Uint8Array(memory().buffer);
          heap.copyWithin(dest >>> 0, src >>> 0, (src >>> 0) + (num >>> 0));
          return dest;
        };
      case 'abort':
        return () => trap('()');
    }
  }
  if (mod === 'wasi_snapshot_preview1' || mod === 'wasi_unstable') {
    switch (name) {
      case 'proc_exit':
        return (code: number) => trap(`(${code}) (exit/abort)`);
      case 'fd_write':
        // Decode what it tried to print (an assert or abort message) into the error.
        return (fd: number, iovs: number, iovsLen: number) => {
          let text = '';
          try {
            const buf = memory().buffer;
            const dv = new DataView(buf);
            for (let i = 0; i < iovsLen; i++) {
              const ptr = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
              text += new TextDecoder().decode(new Uint8Array(buf, ptr, len).slice());
            }
          } catch {
            text = '(unreadable)';
          }
          return trap(` (fd ${fd}: ${JSON.stringify(text.slice(0, 500))})`);
        };
    }
  }
  return () => trap('()');
}

/** A hint for a module that does not compile, where the cause may be a missing relaxed SIMD. */
function relaxedHint(): string {
  return wasmRelaxedSimdSupported() ? ''
    : ' (the FMA builds, curvature-fma*.wasm, need relaxed SIMD: Node 20 only with --experimental-wasm-relaxed-simd; use curvature.wasm or curvature-mt.wasm)';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function shortUrl(href: string): string {
  return href.startsWith('data:') ? `${href.slice(0, 40)}…` : href;
}
