import { BackendUnavailableError } from '../../errors.js';
import { elfProblem } from '../native/elf.js';
import { CUDA_ABI, CUDA_FUNCTIONS, type CudaAddon, type CudaInfo } from './addon.js';

/**
 * Finds and loads the CUDA addon (native/cuda/, a separate N-API module, built only by
 * `npm run build:cuda`; no prebuilt binary ships) without ever taking the process down, like the
 * CPU addon's loader (../native/load.ts), whose checks it mirrors: every failure — not Node.js, no
 * binary, a file that is not a loadable shared object (ELF headers checked before dlopen), missing
 * functions, another ABI — and then the device's own answer (init(): no CUDA driver, no device, a
 * device this build has no code for) becomes a BackendUnavailableError('cuda', reason).
 *
 * Where it looks, first match wins: $CURVATURE_CUDA_PATH alone when set, else
 * <package root>/build/cuda/Release/curvature_cuda.node. CURVATURE_CUDA=0 disables the backend;
 * CURVATURE_CUDA_DEVICE picks the device ordinal (default 0). The module links the CUDA runtime
 * statically, so it loads without a driver and init() says why it cannot run.
 */

const BINARY = 'curvature_cuda.node';

// Node file access without a static `node:` import (the browser bundle reaches this file).
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const nodeFs = isNode ? await import('node:fs') : null;
const nodeOs = isNode ? await import('node:os') : null;

/** Options of loadCudaAddon; the defaults describe this process. Tests use them to simulate failures. */
export interface CudaLoadOptions {
  /** Load exactly this file (default: $CURVATURE_CUDA_PATH, else the search above). */
  path?: string;
  /** The package root to search (default: found from this module's URL). */
  root?: string;
  arch?: string;
  /** Loads a shared object and returns its exports (default: process.dlopen with RTLD_NOW). */
  dlopen?: (path: string) => unknown;
  env?: Record<string, string | undefined>;
}

export interface LoadedCudaAddon {
  addon: CudaAddon;
  path: string;
  info: CudaInfo;
}

/** Why the last load failed at the device (the file loaded): the registry's one message uses it. */
export class CudaDeviceUnavailableError extends BackendUnavailableError {}

const fail = (reason: string): BackendUnavailableError => new BackendUnavailableError('cuda', reason);

/** The nearest directory above this module whose package.json names `curvature`. */
function packageRoot(): string {
  const here = new URL('.', import.meta.url);
  if (here.protocol !== 'file:') throw fail(`cannot locate the addon from the module URL ${import.meta.url} (not a file: URL)`);
  for (let dir = here; ;) {
    const pkg = new URL('package.json', dir);
    if (nodeFs!.existsSync(pkg)) {
      try {
        if ((JSON.parse(nodeFs!.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'curvature') return decodeURIComponent(dir.pathname);
      } catch { /* an unreadable package.json: keep looking */ }
    }
    const up = new URL('..', dir);
    if (up.href === dir.href) break;
    dir = up;
  }
  throw fail(`no package.json of curvature above ${here.pathname}`);
}

/** The candidate files in search order. */
export function cudaCandidates(options: CudaLoadOptions = {}): string[] {
  const env = options.env ?? (isNode ? process.env : {});
  const explicit = options.path ?? env['CURVATURE_CUDA_PATH'];
  if (explicit) return [explicit];
  const root = (options.root ?? packageRoot()).replace(/\/$/, '');
  return [`${root}/build/cuda/Release/${BINARY}`];
}

function defaultDlopen(path: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, path, nodeOs?.constants.dlopen.RTLD_NOW);
  return module.exports;
}

/** Checks the exports: every function present, the ABI this code speaks; then asks the device. */
function validate(exports: unknown, path: string): LoadedCudaAddon {
  if (typeof exports !== 'object' || exports === null) throw fail(`${path} exports no object`);
  const rec = exports as Record<string, unknown>;
  const missing = CUDA_FUNCTIONS.filter((f) => typeof rec[f] !== 'function');
  if (missing.length) throw fail(`${path} lacks the function(s) ${missing.join(', ')} (another or an older build?)`);
  const addon = exports as CudaAddon;
  let info: CudaInfo;
  try {
    info = addon.info();
  } catch (err) {
    throw fail(`${path}: info() failed: ${(err as Error)?.message ?? String(err)}`);
  }
  if (info?.abi !== CUDA_ABI) throw fail(`${path} has ABI ${String(info?.abi)}, this code expects ${CUDA_ABI}: rebuild with npm run build:cuda`);
  return { addon, path, info };
}

/**
 * Loads the addon and initialises the device; throws BackendUnavailableError('cuda', reason) —
 * CudaDeviceUnavailableError when the file loaded but the device cannot run — never crashes.
 */
export function loadCudaAddon(options: CudaLoadOptions = {}): LoadedCudaAddon {
  if (!isNode || !nodeFs) throw fail('not running in Node.js (the CUDA addon is a Node-API module)');
  const env = options.env ?? process.env;
  if (env['CURVATURE_CUDA'] === '0') throw fail('disabled by CURVATURE_CUDA=0');
  const arch = options.arch ?? process.arch;
  const dlopen = options.dlopen ?? defaultDlopen;
  const tried: string[] = [];
  for (const path of cudaCandidates(options)) {
    if (!nodeFs.existsSync(path)) {
      tried.push(`${path}: not found`);
      continue;
    }
    if (process.platform === 'linux' && !options.dlopen) {
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
      tried.push(`${path}: cannot be loaded: ${(err as Error)?.message ?? String(err)}`);
      continue;
    }
    let loaded: LoadedCudaAddon;
    try {
      loaded = validate(exports, path);
    } catch (err) {
      tried.push((err as BackendUnavailableError).reason ?? String(err));
      continue;
    }
    let init: { ok: boolean; reason: string };
    try {
      init = loaded.addon.init();
    } catch (err) {
      init = { ok: false, reason: `init() threw: ${(err as Error)?.message ?? String(err)}` };
    }
    if (!init?.ok) throw new CudaDeviceUnavailableError('cuda', `${init?.reason || 'init() failed'} (addon ${path})`);
    return { ...loaded, info: loaded.addon.info() };
  }
  throw fail(`no CUDA addon (it is not shipped; build it with npm run build:cuda on a machine with nvcc): ${tried.join('; ')}`);
}
