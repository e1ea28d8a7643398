import { readSafetensors } from '../src/io/safetensors.js';
import { toFloat64 } from '../src/io/array.js';
import { fixturePath } from './helpers.js';

/** A PyTorch fixture: every tensor as float64 (int64 labels converted exactly), plus its metadata. */
export interface Fixture {
  arrays: Map<string, { data: Float64Array; shape: number[] }>;
  meta: Record<string, unknown>;
}

export function loadFixture(name: string): Fixture {
  const file = readSafetensors(fixturePath(`${name}.safetensors`));
  const arrays = new Map<string, { data: Float64Array; shape: number[] }>();
  for (const [key, raw] of file.tensors) arrays.set(key, { data: toFloat64(raw).data, shape: raw.shape });
  const meta = JSON.parse(file.metadata['json'] ?? '{}') as Record<string, unknown>;
  return { arrays, meta };
}

export function get(f: Fixture, name: string): { data: Float64Array; shape: number[] } {
  const a = f.arrays.get(name);
  if (!a) throw new Error(`fixture has no tensor '${name}'`);
  return a;
}

/** Row i of a 2-D fixture array. */
export function row(a: { data: Float64Array; shape: number[] }, i: number): Float64Array {
  const n = a.shape[1]!;
  return a.data.subarray(i * n, (i + 1) * n);
}
