import { BackendUnavailableError } from '../errors.js';
import { elfProblem } from './native/elf.js';

/**
 * What the N-API addon loaders (./native/load.ts: the CPU addon; ./cuda/load.ts: the CUDA module)
 * share: find the .node file, check on Linux that its ELF headers describe a loadable file for this
 * machine (./native/elf.ts: a truncated binary would otherwise be mapped and crash with SIGBUS), load
 * it with RTLD_NOW (a missing symbol is a load failure, not a crash later), check its functions and
 * ABI — and turn every failure into a BackendUnavailableError(backend, reason) listing every place
 * looked at and why each failed, never taking the process down. Each loader passes its own names,
 * search paths, environment variables and ABI number (an AddonKind) and keeps its messages.
 */

// Node file access without a static `node:` import (the browser bundle reaches this file).
export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const nodeFs = isNode ? await import('node:fs') : null;
const nodeOs = isNode ? await import('node:os') : null;

/** The options every loader takes; the defaults describe this process. Tests use them to simulate failures. */
export interface AddonLoadOptions {
  /** Load exactly this file (default: the loader's environment variable, else its search). */
  path?: string;
  /** The package root to search (default: found from the loader module's URL). */
  root?: string;
  platform?: string;
  arch?: string;
  /** Loads a shared object and returns its exports (default: process.dlopen with RTLD_NOW). */
  dlopen?: (path: string) => unknown;
  /** Environment (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** A loaded addon, where it came from, and what it reports. */
export interface LoadedAddonOf<A, I> {
  addon: A;
  path: string;
  info: I;
}

/** One addon: its backend name and the words of its messages. */
export interface AddonKind {
  /** The backend of every BackendUnavailableError ('native', 'cuda'). */
  backend: string;
  /** The addon in the "not running in Node.js" message ('the native addon'). */
  what: string;
  /** The variable that disables the backend when '0' ('CURVATURE_NATIVE'). */
  disableVar: string;
  /** The functions the exports must have. */
  functions: readonly string[];
  /** The ABI info().abi must report. */
  abi: number;
  /** The command that rebuilds the addon ('npm run build:native'). */
  rebuild: string;
  /** The head of the message when no candidate loads (the list of tries follows after ': '). */
  none(platform: string, arch: string): string;
}

/** A BackendUnavailableError of `backend` with `reason`. */
export const unavailable = (backend: string, reason: string): BackendUnavailableError => new BackendUnavailableError(backend, reason);

/** The environment the options name, else this process's (empty outside Node.js). */
export function optionsEnv(options: AddonLoadOptions): Record<string, string | undefined> {
  return options.env ?? (isNode ? process.env : {});
}

/**
 * The nearest directory above `moduleUrl` whose package.json names `curvature`; else, when
 * `nearestOtherwise`, the nearest directory with any package.json. Failures name `backend`.
 */
export function packageRoot(moduleUrl: string, backend: string, nearestOtherwise: boolean): string {
  const here = new URL('.', moduleUrl);
  if (here.protocol !== 'file:') throw unavailable(backend, `cannot locate the addon from the module URL ${moduleUrl} (not a file: URL)`);
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
  if (nearestOtherwise && first) return decodeURIComponent(first.pathname);
  throw unavailable(backend, nearestOtherwise ? `no package.json above ${here.pathname}` : `no package.json of curvature above ${here.pathname}`);
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
function validate<A extends { info(): I }, I extends { abi: number }>(kind: AddonKind, exports: unknown, path: string): LoadedAddonOf<A, I> {
  const fail = (reason: string) => unavailable(kind.backend, reason);
  if (typeof exports !== 'object' || exports === null) throw fail(`${path} exports no object`);
  const rec = exports as Record<string, unknown>;
  const missing = kind.functions.filter((f) => typeof rec[f] !== 'function');
  if (missing.length) throw fail(`${path} lacks the function(s) ${missing.join(', ')} (another or an older build?)`);
  const addon = exports as A;
  let info: I;
  try {
    info = addon.info();
  } catch (err) {
    throw fail(`${path}: info() failed: ${(err as Error)?.message ?? String(err)}`);
  }
  if (info?.abi !== kind.abi) throw fail(`${path} has ABI ${String(info?.abi)}, this code expects ${kind.abi}: rebuild with ${kind.rebuild}`);
  return { addon, path, info };
}

/**
 * Loads the first of `candidates()` (called once the backend is known not to be disabled) that
 * exists, passes the ELF check (Linux, default dlopen only), loads and validates; then returns
 * `accept(loaded)` — which may throw past the search (the CUDA device's own answer). Throws
 * BackendUnavailableError(kind.backend, reason) — never crashes — when none does.
 */
export function loadAddon<A extends { info(): I }, I extends { abi: number }>(
  kind: AddonKind, options: AddonLoadOptions, candidates: () => string[],
  accept: (loaded: LoadedAddonOf<A, I>) => LoadedAddonOf<A, I> = (loaded) => loaded,
): LoadedAddonOf<A, I> {
  const fail = (reason: string) => unavailable(kind.backend, reason);
  if (!isNode || !nodeFs) throw fail(`not running in Node.js (${kind.what} is a Node-API module)`);
  const env = options.env ?? process.env;
  if (env[kind.disableVar] === '0') throw fail(`disabled by ${kind.disableVar}=0`);
  const paths = candidates();
  const platform = options.platform ?? process.platform, arch = options.arch ?? process.arch;
  const dlopen = options.dlopen ?? defaultDlopen;
  const tried: string[] = [];
  for (const path of paths) {
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
    let loaded: LoadedAddonOf<A, I>;
    try {
      loaded = validate<A, I>(kind, exports, path);
    } catch (err) {
      tried.push((err as BackendUnavailableError).reason ?? String(err));
      continue;
    }
    return accept(loaded);
  }
  throw fail(`${kind.none(platform, arch)}: ${tried.join('; ')}`);
}
