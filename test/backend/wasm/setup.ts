/**
 * Shared set-up of the wasm backend tests: the registered wasm backend (or null, with the reason
 * printed, so that every test of a file is skipped cleanly when the binary cannot load), the
 * reference backend, and small seeded helpers.
 */
import { test as uvuTest } from 'uvu';
import * as c from '../../../src/index.js';
import { JsBackend } from '../../../src/backend/js/index.js';
import type { WasmBackend } from '../../../src/backend/wasm/index.js';

/** The registered wasm backend; the active backend is left as it was. */
export function wasmOrSkip(what: string): WasmBackend | null {
  const previous = c.getBackend();
  try {
    return c.setBackend('wasm') as WasmBackend;
  } catch (err) {
    console.log(`(skipping ${what}: ${(err as Error).message})`);
    return null;
  } finally {
    c.setBackend(previous.name);
  }
}

/** `test` when the backend loaded, else `test.skip` (same signature). */
export function testIf(ok: boolean): (name: string, fn: () => void | Promise<void>) => void {
  return ok ? uvuTest : (name: string) => uvuTest.skip(name);
}

export const ref = new JsBackend();

/** mulberry32: small, deterministic; failures print the seed. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]!; }
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

/** With the given backend active (restored afterwards). */
export function onBackend<T>(name: string, fn: () => T): T {
  const previous = c.getBackend();
  c.setBackend(name);
  try {
    return fn();
  } finally {
    c.setBackend(previous.name);
  }
}
