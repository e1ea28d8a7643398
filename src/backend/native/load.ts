import { BackendUnavailableError } from '../../errors.js';
import { elfProblem } from './elf.js';
import { ADDON_FUNCTIONS, NATIVE_ABI, type NativeAddon, type NativeInfo } from './addon.js';

/**
 * Finds and loads the native CPU addon (native/, an N-API module) without ever taking the process
 * down: every failure — not Node.js, no binary for this platform, a file that is not a loadable
 * shared object (bad ELF, truncated), a binary without the expected functions or of another ABI —
 * becomes a BackendUnavailableError('native', reason), and the registry falls back to wasm, then js.
 *
 * Where it looks, first match wins (no compiler, no download):
 *  1. $CURVATURE_NATIVE_PATH, when set (only that file);
 *  2. <package root>/build/Release/curvature_native.node (a local `npm run build:native`);
 *  3. <package root>/prebuilds/<platform>-<arch>/curvature_native.node (shipped in the package).
 * Symbols are bound at load time (RTLD_NOW), so a missing one is a load failure, not a crash later.
 * On Linux the file's ELF headers are checked against its size and the process's machine before
 * dlopen (./elf.ts): a truncated binary would otherwise be mapped and crash with SIGBUS.
 * CURVATURE_NATIVE=0 disables the backend. The GEMM micro-kernels are chosen inside the addon from
 * cpuid (AVX-512, AVX2+FMA or portable), so the binary itself needs only the baseline x86-64
 * instruction set; CURVATURE_NATIVE_NO_AVX2=1 simulates a CPU without AVX2 (portable kernels),
 * CURVATURE_NATIVE_NO_AVX512=1 one without AVX-512.
 */

const BINARY = 'curvature_native.node';

// Node file access without a static `node:` import (the browser bundle reaches this file).
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const nodeFs = isNode ? await import('node:fs') : null;
const nodeOs = isNode ? await import('node:os') : null;

/** Options of loadNativeAddon; the defaults describe this process. Tests use them to simulate failures. */
export interface NativeLoadOptions {
  /** Load exactly this file (default: $CURVATURE_NATIVE_PATH, else the search above). */
  path?: string;
  /** The package root to search (default: found from this module's URL). */
  root?: string;
  platform?: string;
  arch?: string;
  /** Loads a shared object and returns its exports (default: process.dlopen). */
  dlopen?: (path: string) => unknown;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** A loaded addon, where it came from, and what it reports about the CPU. */
export interface LoadedAddon {
  addon: NativeAddon;
  path: string;
  info: NativeInfo;
}

const fail = (reason: string): BackendUnavailableError => new BackendUnavailableError('native', reason);

/** The nearest directory above this module whose package.json names `curvature` (else the nearest one). */
function packageRoot(): string {
  const here = new URL('.', import.meta.url);
  if (here.protocol !== 'file:') throw fail(`cannot locate the addon from the module URL ${import.meta.url} (not a file: URL)`);
  let first: URL | null = null;
  for (let dir = here; ; ) {
    const pkg = new URL('package.json', dir);
    if (nodeFs!.existsSync(pkg)) {
      first ??= dir;
      try {
        if ((JSON.parse(nodeFs!.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'curvature') return decodeURIComponent(dir.pathname);
      } catch { /* an unreadable package.json: keep looking */ }
    }
    const up = new URL('..', dir);
    if (up.href === dir.href) break;
    dir = up;
  }
  if (first) return decodeURIComponent(first.pathname);
  throw fail(`no package.json above ${here.pathname}`);
}

/** The candidate files in search order (see the file comment). */
export function nativeCandidates(options: NativeLoadOptions = {}): string[] {
  const env = options.env ?? (isNode ? process.env : {});
  const explicit = options.path ?? env['CURVATURE_NATIVE_PATH'];
  if (explicit) return [explicit];
  const root = (options.root ?? packageRoot()).replace(/\/$/, '');
  const platform = options.platform ?? process.platform, arch = options.arch ?? process.arch;
  return [`${root}/build/Release/${BINARY}`, `${root}/prebuilds/${platform}-${arch}/${BINARY}`];
}

/**
 * process.dlopen with RTLD_NOW: every undefined symbol is resolved at load time, so a binary that
 * lacks one fails here with a catchable error instead of killing the process at its first call
 * (Node's default, RTLD_LAZY).
 */
function defaultDlopen(path: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, path, nodeOs?.constants.dlopen.RTLD_NOW);
  return module.exports;
}

/** Checks the exports of a loaded file: every function present, the ABI this code speaks. */
function validate(exports: unknown, path: string): LoadedAddon {
  if (typeof exports !== 'object' || exports === null) throw fail(`${path} exports no object`);
  const rec = exports as Record<string, unknown>;
  const missing = ADDON_FUNCTIONS.filter((f) => typeof rec[f] !== 'function');
  if (missing.length) throw fail(`${path} lacks the function(s) ${missing.join(', ')} (another or an older build?)`);
  const addon = exports as NativeAddon;
  let info: NativeInfo;
  try {
    info = addon.info();
  } catch (err) {
    throw fail(`${path}: info() failed: ${(err as Error)?.message ?? String(err)}`);
  }
  if (info?.abi !== NATIVE_ABI) throw fail(`${path} has ABI ${String(info?.abi)}, this code expects ${NATIVE_ABI}: rebuild with npm run build:native`);
  return { addon, path, info };
}

/**
 * Loads the addon; throws BackendUnavailableError('native', reason) — never crashes — when it cannot.
 * The reason lists every place looked at and why each failed.
 */
export function loadNativeAddon(options: NativeLoadOptions = {}): LoadedAddon {
  if (!isNode || !nodeFs) throw fail('not running in Node.js (the native addon is a Node-API module)');
  const env = options.env ?? process.env;
  if (env['CURVATURE_NATIVE'] === '0') throw fail('disabled by CURVATURE_NATIVE=0');
  const candidates = nativeCandidates(options);
  const platform = options.platform ?? process.platform, arch = options.arch ?? process.arch;
  const dlopen = options.dlopen ?? defaultDlopen;
  const tried: string[] = [];
  for (const path of candidates) {
    if (!nodeFs.existsSync(path)) {
      tried.push(`${path}: not found`);
      continue;
    }
    if (platform === 'linux' && !options.dlopen) {
      let problem: string | null;
      try {
        problem = elfProblem(new Uint8Array(nodeFs.readFileSync(path)), arch);
      } catch (err) {
        problem = `cannot be read: ${(err as Error)?.message ?? String(err)}`;
      }
      if (problem) {
        tried.push(`${path}: ${problem}`);
        continue;
      }
    }
    let exports: unknown;
    try {
      exports = dlopen(path);
    } catch (err) {
      // A bad ELF, a truncated file, a missing symbol or library: dlopen's message says which.
      tried.push(`${path}: cannot be loaded: ${(err as Error)?.message ?? String(err)}`);
      continue;
    }
    try {
      return validate(exports, path);
    } catch (err) {
      tried.push((err as BackendUnavailableError).reason ?? String(err));
    }
  }
  throw fail(`no loadable binary for ${platform}-${arch} (build one with npm run build:native): ${tried.join('; ')}`);
}
