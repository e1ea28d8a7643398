import { existsSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, listBackends, setBackend } from '../src/backend/registry.js';
import { Random } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/creation.js';
import type { Tensor } from '../src/tensor/tensor.js';

/** The repository root (tests run from dist/test/..., fixtures live under <root>/test/fixtures). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test directory');
    dir = up;
  }
  return dir;
}

export const fixturePath = (name: string): string => join(repoRoot(), 'test', 'fixtures', name);

/**
 * Backends the conformance suite runs against: all that load, or those named in CURVATURE_BACKENDS.
 * Iterating makes each backend active before the loop body runs, so tensors a suite creates while
 * it is being defined live on that suite's backend.
 */
export function* testBackends(): Generator<string> {
  const wanted = process.env['CURVATURE_BACKENDS']?.split(',').filter(Boolean);
  const names = wanted ?? listBackends().map((b) => b.name);
  for (const n of names) {
    try {
      setBackend(n);
    } catch (err) {
      console.log(`(skipping backend ${n}: ${(err as Error).message})`);
      continue;
    }
    yield n;
  }
}

export function randn(rng: Random, shape: readonly number[], dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from({ length: n }, () => rng.normal()), shape, dtype);
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** ‖a − b‖ / ‖b‖ (with `floor` guarding a zero reference). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} and ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(d) / Math.max(norm(b), floor);
}

export function dotArr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export { pearson } from '../src/influence/correlation.js';

/** Asserts that fn throws an error of `type` (and, optionally, a message matching `re`). */
export function throwsType(fn: () => unknown, type: new (...a: any[]) => Error, re?: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  if (caught === undefined) assert.unreachable(`expected ${type.name}, nothing was thrown`);
  assert.instance(caught, type, `expected ${type.name}, got ${String(caught)}`);
  if (re) assert.match((caught as Error).message, re);
}

/** fn's value and how many times it called the current backend's kernels `names` (a spy, removed after). */
export function countKernelCalls<T>(names: readonly string[], fn: () => T): { value: T; calls: number } {
  const backend = getBackend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  let calls = 0;
  const originals = names.map((name) => [name, Object.prototype.hasOwnProperty.call(backend, name), backend[name]!] as const);
  for (const [name, , original] of originals) {
    backend[name] = function (this: unknown, ...args: unknown[]) { calls++; return original.apply(this, args); };
  }
  try {
    return { value: fn(), calls };
  } finally {
    for (const [name, own, original] of originals) {
      if (own) backend[name] = original;
      else delete backend[name];
    }
  }
}
