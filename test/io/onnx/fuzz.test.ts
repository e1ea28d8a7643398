/**
 * Fuzzing readOnnx (as test/io/fuzz-readers.test.ts does for the other readers): generated ONNX
 * models (random graphs, attributes of every kind, tensors of every data type in raw and typed
 * fields) and the real fixture files, mutated by byte flips, truncations, insertions, deletions,
 * splices and huge varints. Every input must either be read — with every tensor's element count
 * equal to the product of its dims — or rejected with a CurvatureError (InputError or ShapeError),
 * never a RangeError/TypeError or a hang, and the reader must not hold more ArrayBuffer memory
 * than a small multiple of the input's size. Case k replays alone from (SEED, k).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CurvatureError } from '../../../src/errors.js';
import { readOnnx } from '../../../src/io/onnx/index.js';
import { Random } from '../../../src/tensor/random.js';
import { repoRoot } from '../helpers.js';
import { type NodeSpec, type TensorSpec, attr, cat, modelBytes, valueInfoBody, varint } from './proto-builder.js';

const SEED = 20261206;
const COUNT = 1500;

const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const chance = (rng: Random, p: number): boolean => rng.uniform() < p;

function randomTensor(rng: Random, name: string): TensorSpec {
  const dims = Array.from({ length: rng.int(4) }, () => (chance(rng, 0.1) ? 0 : 1 + rng.int(4)));
  const n = dims.reduce((a, b) => a * b, 1);
  const vals = (f: () => number): number[] => Array.from({ length: n }, f);
  const kind = rng.int(8);
  const raw = chance(rng, 0.5);
  const bytesOf = (a: { buffer: ArrayBufferLike }): Uint8Array => new Uint8Array(a.buffer as ArrayBuffer);
  switch (kind) {
    case 0: return raw ? { name, dims, dataType: 1, raw: bytesOf(new Float32Array(vals(() => rng.normal()))) } : { name, dims, dataType: 1, floatData: vals(() => rng.normal()) };
    case 1: return raw ? { name, dims, dataType: 11, raw: bytesOf(new Float64Array(vals(() => rng.normal()))) } : { name, dims, dataType: 11, doubleData: vals(() => rng.normal()) };
    case 2: return raw ? { name, dims, dataType: 7, raw: bytesOf(new BigInt64Array(vals(() => rng.int(100) - 50).map(BigInt))) } : { name, dims, dataType: 7, int64Data: vals(() => rng.int(1000) - 500) };
    case 3: return raw ? { name, dims, dataType: 6, raw: bytesOf(new Int32Array(vals(() => rng.int(100) - 50))) } : { name, dims, dataType: 6, int32Data: vals(() => rng.int(1000) - 500) };
    case 4: return { name, dims, dataType: 9, raw: new Uint8Array(vals(() => rng.int(2))) };
    case 5: return { name, dims, dataType: 2, int32Data: vals(() => rng.int(256)) };
    case 6: return { name, dims, dataType: 13, uint64Data: vals(() => rng.int(1 << 20)) };
    default: return { name, dims, dataType: pick(rng, [10, 16, 8]), int32Data: vals(() => 1) }; // unsupported types
  }
}

function randomModel(rng: Random): Uint8Array {
  const nodes: NodeSpec[] = [];
  const nInit = rng.int(4);
  const initializers = Array.from({ length: nInit }, (_, k) => randomTensor(rng, `w${k}`));
  for (let k = 0; k < 1 + rng.int(4); k++) {
    const attrs: Uint8Array[] = [];
    for (let a = 0; a < rng.int(4); a++) {
      const name = `a${a}`;
      switch (rng.int(9)) {
        case 0: attrs.push(attr.float(name, rng.normal())); break;
        case 1: attrs.push(attr.int(name, rng.int(10) - 5)); break;
        case 2: attrs.push(attr.string(name, pick(rng, ['NOTSET', 'SAME_UPPER', 'é', '']))); break;
        case 3: attrs.push(attr.tensor(name, randomTensor(rng, ''))); break;
        case 4: attrs.push(attr.floats(name, [rng.normal(), 1])); break;
        case 5: attrs.push(attr.ints(name, [1, -1, rng.int(9)])); break;
        case 6: attrs.push(attr.strings(name, ['a', 'b'])); break;
        case 7: attrs.push(attr.tensors(name, [randomTensor(rng, 't')])); break;
        default: attrs.push(attr.graph(name));
      }
    }
    nodes.push({ op: pick(rng, ['Conv', 'Gemm', 'Relu', 'Constant', 'Concat']), name: `n${k}`, inputs: [k === 0 ? 'x' : `h${k - 1}`, ...(nInit ? ['w0'] : [])], outputs: [`h${k}`], attrs });
  }
  return modelBytes({
    nodes,
    initializers,
    inputs: [valueInfoBody('x', 1, ['batch', 1 + rng.int(5), null])],
    outputs: [valueInfoBody(`h${nodes.length - 1}`, 1, chance(rng, 0.5) ? null : ['batch', 3])],
    valueInfo: chance(rng, 0.3) ? [valueInfoBody('h0', 1, [2, 'n'])] : [],
    opsets: [{ domain: '', version: 13 }],
  });
}

function mutate(rng: Random, input: Uint8Array): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(8)) {
      case 0: case 1: { // flip bytes
        for (let k = 0; k < 1 + rng.int(4) && b.length; k++) b[rng.int(b.length)] = rng.nextUint32() & 0xff;
        break;
      }
      case 2: b = b.subarray(0, at); break; // truncate
      case 3: b = cat(b.subarray(0, at), b.subarray(at + 1 + rng.int(8))); break; // delete
      case 4: b = cat(b.subarray(0, at), new Uint8Array(Array.from({ length: 1 + rng.int(6) }, () => rng.nextUint32() & 0xff)), b.subarray(at)); break;
      case 5: b = cat(b.subarray(0, at), varint(pick(rng, [2 ** 31, 2 ** 32 - 1, 2 ** 53 - 1, -1, 2 ** 40])), b.subarray(at + 1)); break; // huge varint
      case 6: { // duplicate a slice elsewhere
        const len = 1 + rng.int(32);
        b = cat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
        break;
      }
      default: b[at] = (b[at] ?? 0) ^ (1 << rng.int(8)); // one bit
    }
  }
  return b;
}

const FIXTURES = ['cnn.onnx', 'resmlp.onnx', 'cnn-unsupported-op.onnx', 'cnn-bad-shape.onnx']
  .map((f) => join(repoRoot(), 'test', 'fixtures', 'models', f))
  .filter((p) => existsSync(p))
  .map((p) => new Uint8Array(readFileSync(p)));

function fuzzCase(index: number): Uint8Array {
  const rng = new Random((Math.imul(SEED, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const base = FIXTURES.length && chance(rng, 0.2) ? pick(rng, FIXTURES) : randomModel(rng);
  return chance(rng, 0.15) ? base : mutate(rng, base);
}

test(`fuzz ONNX: ${COUNT} generated and mutated files are read consistently or rejected with a typed error`, () => {
  let accepted = 0;
  let rejected = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  for (let k = 0; k < COUNT; k++) {
    const input = fuzzCase(k);
    const before = process.memoryUsage().arrayBuffers;
    let error: unknown;
    let model: ReturnType<typeof readOnnx> | undefined;
    try {
      model = readOnnx(input, `case ${k}`);
    } catch (err) {
      error = err;
    }
    const growth = process.memoryUsage().arrayBuffers - before;
    const fail = (why: string): void => {
      if (failures.length < 5) failures.push(`case ${k} (seed ${SEED}): ${why}\n  input: base64 ${Buffer.from(input).toString('base64').slice(0, 600)}`);
    };
    if (growth > 8 * input.length + (1 << 16)) fail(`holds ${growth} bytes of ArrayBuffers for a ${input.length}-byte input`);
    if (error !== undefined) {
      rejected++;
      if (!(error instanceof CurvatureError)) fail(`untyped error: ${String((error as Error)?.stack ?? error)}`);
      else if (!error.message.startsWith(`case ${k}`)) fail(`error does not name the source: ${error.message}`);
      continue;
    }
    accepted++;
    const tensors = [...model!.graph.initializers.values()];
    for (const n of model!.graph.nodes) {
      for (const a of n.attributes.values()) {
        if (a.type === 'tensor') tensors.push(a.value);
        if (a.type === 'tensors') tensors.push(...a.value);
      }
    }
    for (const t of tensors) {
      const count = t.dims.reduce((x, y) => x * y, 1);
      if (t.data.length !== count || t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`tensor '${t.name}' dims [${t.dims}] with ${t.data.length} elements`);
    }
  }
  const ms = performance.now() - t0;
  assert.is(failures.length, 0, failures.join('\n'));
  assert.ok(accepted >= COUNT / 20, `only ${accepted} of ${COUNT} inputs were read`);
  assert.ok(rejected >= COUNT / 4, `only ${rejected} of ${COUNT} inputs were rejected`);
  assert.ok(ms < 30_000, `${ms.toFixed(0)} ms`);
});

test('fuzz ONNX: a file declaring a huge length or huge dims fails fast without allocating', () => {
  const huge = cat(new Uint8Array([0x3a]), varint(2 ** 53 - 1), new Uint8Array(16));
  const before = process.memoryUsage().arrayBuffers;
  let err: unknown;
  try {
    readOnnx(huge);
  } catch (e) {
    err = e;
  }
  assert.instance(err, CurvatureError);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 16);
});

test.run();
