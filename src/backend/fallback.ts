/**
 * The record of reference-kernel fallbacks, per backend: the tensor layer's dispatcher
 * (src/tensor/kernels.ts) notes here every call it ran on the js reference because a backend left
 * the kernel out or does not take the call's dtypes (Backend.supports). Counted always; with
 * CURVATURE_DEBUG=1 each (backend, kernel) pair is also reported once on the console. Lives in the
 * backend layer so that a backend can expose its own counts (WasmBackend.fallbackCounts) without
 * importing the tensor layer.
 */
import type { Backend } from './types.js';

const counts = new WeakMap<Backend, Map<string, number>>();
const reported = new WeakMap<Backend, Set<string>>();

function debugEnabled(): boolean {
  return typeof process !== 'undefined' && process.env?.['CURVATURE_DEBUG'] === '1';
}

/** How many times each kernel of `backend` ran on the reference instead (a live map). */
export function fallbackCounts(backend: Backend): Map<string, number> {
  let m = counts.get(backend);
  if (!m) counts.set(backend, (m = new Map()));
  return m;
}

/** Total fallbacks of `backend` so far. */
export function fallbackTotal(backend: Backend): number {
  let n = 0;
  for (const v of fallbackCounts(backend).values()) n += v;
  return n;
}

/** Records one fallback of `what` (a kernel name, with dtypes where they decided it). */
export function noteFallback(backend: Backend, what: string, why: string, via = 'js reference'): void {
  const m = fallbackCounts(backend);
  m.set(what, (m.get(what) ?? 0) + 1);
  if (!debugEnabled()) return;
  let seen = reported.get(backend);
  if (!seen) reported.set(backend, (seen = new Set()));
  if (seen.has(what)) return;
  seen.add(what);
  console.warn(`curvature: backend '${backend.name}' ${why} for ${what}; running the ${via} kernel (operands copied there and back)`);
}
