/** Shared helpers for the io tests (not a test file itself: its name does not end in .test.ts). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.js';

/** The repository root: the nearest ancestor of this file holding package.json (works from dist/ too). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** A fresh temporary directory; call the returned cleanup when done. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Assert that `fn` throws an InputError whose message contains every one of `parts`. */
export function throwsInput(fn: () => unknown, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) assert.unreachable(`expected an InputError mentioning ${parts.map((p) => JSON.stringify(p)).join(', ')}`);
  assert.instance(caught, InputError, `expected InputError, got ${String(caught)}`);
  const msg = (caught as Error).message;
  for (const p of parts) assert.ok(msg.includes(p), `expected the message to mention ${JSON.stringify(p)}, got: ${msg}`);
}

/** Decode base64 into a Uint8Array. */
export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** ASCII/UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Run `fn` and return how much ArrayBuffer memory (typed arrays, Buffers) is still held right after
 * it returns or throws, relative to before. Garbage is not collected in between, so this bounds
 * from above what `fn` allocated and did not free; it is a loose measure, meant for assertions
 * like "far less than the hundreds of MiB a decompression bomb would need".
 */
export function arrayBufferGrowth(fn: () => unknown): { growth: number; error: unknown } {
  const before = process.memoryUsage().arrayBuffers;
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  return { growth: process.memoryUsage().arrayBuffers - before, error };
}

export const MiB = 1 << 20;
