import { BackendUnavailableError, InputError } from '../errors.js';
import { createCudaBackend } from './cuda/index.js';
import { JsBackend } from './js/index.js';
import { NativeBackend } from './native/index.js';
import type { Backend } from './types.js';
import { WasmBackend } from './wasm/index.js';

/**
 * Backend selection. Backends register a factory; the first `getBackend()` picks the preferred one
 * that loads: native (the C++ addon, when its binary loads), then wasm, then js. A factory runs only
 * when its backend is first selected, so registering native loads nothing (and nothing in a browser). A typed object per backend, not a string-keyed op table.
 */
interface Entry { priority: number; create: () => Backend; instance?: Backend; failure?: string }

const entries = new Map<string, Entry>();
let current: Backend | undefined;

export function registerBackend(name: string, create: () => Backend, priority = 0): void {
  entries.set(name, { priority, create });
}

/**
 * Removes a registered backend (tests register temporary ones); if it is the active backend, the
 * next getBackend() picks again. Tensors already on it keep it.
 */
export function unregisterBackend(name: string): void {
  const entry = entries.get(name);
  if (!entry) return;
  entries.delete(name);
  if (entry.instance && current === entry.instance) current = undefined;
}

registerBackend('js', () => new JsBackend(), 0);
registerBackend('wasm', () => new WasmBackend(), 10);
registerBackend('native', () => new NativeBackend(), 20);
// First when the CUDA addon is built and a device runs it; otherwise its factory fails and the next one is used.
registerBackend('cuda', createCudaBackend, 30);

function instantiate(name: string): Backend {
  const entry = entries.get(name);
  if (!entry) {
    throw new InputError(`unknown backend '${name}': expected one of ${[...entries.keys()].join(', ')}`);
  }
  if (entry.instance) return entry.instance;
  if (entry.failure) throw new BackendUnavailableError(name, entry.failure);
  try {
    entry.instance = entry.create();
    return entry.instance;
  } catch (err) {
    entry.failure = err instanceof BackendUnavailableError ? err.reason : String((err as Error)?.message ?? err);
    throw new BackendUnavailableError(name, entry.failure);
  }
}

/** Selects the backend used by all subsequent tensor operations. Tensors made on another backend keep theirs. */
export function setBackend(name: string): Backend {
  current = instantiate(name);
  return current;
}

/** The active backend; on first use, the highest-priority backend that loads. */
export function getBackend(): Backend {
  if (current) return current;
  const byPriority = [...entries.entries()].sort((a, b) => b[1].priority - a[1].priority);
  for (const [name] of byPriority) {
    try {
      current = instantiate(name);
      return current;
    } catch {
      // fall through to the next backend; the reason stays in entry.failure
    }
  }
  throw new BackendUnavailableError('any', 'no backend could be loaded');
}

/**
 * The highest-priority backend other than `exclude` and the js reference that loads and passes
 * `has` (e.g. it runs a kernel the active backend lacks), or null: where the tensor layer runs a
 * missing expensive kernel (Cholesky, triangular solve, eigensolver) instead of the js reference.
 */
export function fasterBackendFor(exclude: Backend, has: (b: Backend) => boolean): Backend | null {
  const byPriority = [...entries.entries()].filter(([name]) => name !== 'js').sort((a, b) => b[1].priority - a[1].priority);
  for (const [name] of byPriority) {
    let b: Backend;
    try { b = instantiate(name); } catch { continue; }
    if (b !== exclude && has(b)) return b;
  }
  return null;
}

/** Names of registered backends and whether each has loaded or why it could not. */
export function listBackends(): { name: string; loaded: boolean; failure?: string }[] {
  return [...entries.entries()].map(([name, e]) => ({ name, loaded: !!e.instance, ...(e.failure ? { failure: e.failure } : {}) }));
}
