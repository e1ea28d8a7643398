/** The protobuf wire-format decoder (src/io/onnx/wire.ts) on hand-built byte sequences. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../src/errors.js';
import { WireReader, readRepeated } from '../../../src/io/onnx/wire.js';
import { cat, f32, f64, key, packedF32, packedF64, packedVarints, varint, vint } from './proto-builder.js';

const reader = (...bytes: (number | Uint8Array)[]): WireReader =>
  new WireReader(cat(...bytes.map((b) => (typeof b === 'number' ? new Uint8Array([b]) : b))), 'test');

function throwsAt(fn: () => unknown, ...parts: string[]): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, InputError, String(err));
    const m = (err as Error).message;
    for (const p of parts) assert.ok(m.includes(p), `expected ${JSON.stringify(p)} in: ${m}`);
    return m;
  }
  assert.unreachable(`expected an InputError mentioning ${parts.join(', ')}`);
  return '';
}

test('varints: known encodings (protobuf docs: 1 = 01, 150 = 96 01, 300 = ac 02)', () => {
  assert.is(reader(0x01).varint('f'), 1);
  assert.is(reader(0x96, 0x01).varint('f'), 150);
  assert.is(reader(0xac, 0x02).varint('f'), 300);
  assert.is(reader(0x00).varint('f'), 0);
  // 2^28 needs 5 bytes: past the fast path.
  assert.is(reader(0x80, 0x80, 0x80, 0x80, 0x01).varint('f'), 2 ** 28);
  assert.is(reader(varint(2 ** 53 - 1)).varint('f'), 2 ** 53 - 1);
  assert.is(reader(varint(2 ** 53 - 1)).int64('f'), 2 ** 53 - 1);
  assert.is(reader(varint(2n ** 64n - 1n)).varintBig('f'), 2n ** 64n - 1n);
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 40 + 7]) assert.is(reader(varint(v)).varint('f'), v);
});

test('int64 and int32: negative values are ten-byte two\'s complement varints', () => {
  const minus1 = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.equal(varint(-1), minus1);
  assert.is(reader(minus1).int64('f'), -1);
  assert.is(reader(minus1).int32('f'), -1);
  assert.is(reader(varint(-(2 ** 53 - 1))).int64('f'), -(2 ** 53 - 1));
  assert.is(reader(varint(-2147483648)).int32('f'), -2147483648);
  const r = reader(minus1, 0x05);
  r.int64('f');
  assert.is(r.pos, 10);
  assert.is(r.varint('g'), 5);
});

test('varints: unsafe values, over-long encodings and truncation are InputErrors with the offset and the field', () => {
  throwsAt(() => reader(varint(2 ** 53)).int64('ModelProto.ir_version'), 'ModelProto.ir_version', 'not a safe integer', 'at byte 0');
  throwsAt(() => reader(varint(-(2n ** 60n))).int64('x'), 'not a safe integer');
  throwsAt(() => reader(varint(2 ** 53)).varint('len'), 'too large');
  throwsAt(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01).varintBig('x'), 'longer than 10 bytes', 'at byte 0');
  throwsAt(() => reader(0x80, 0x80).varint('x'), 'runs past the end', 'at byte 0');
  const r = reader(0x05, 0x80, 0x80);
  r.varint('a');
  throwsAt(() => r.varint('GraphProto.node'), 'GraphProto.node', 'varint runs past the end', 'at byte 1');
  throwsAt(() => reader().varint('x'), 'runs past the end');
});

test('fixed-size values: wire types 1 (64-bit) and 5 (32-bit), little-endian', () => {
  const r = reader(f32(1, 1.5), f64(2, -Math.PI));
  assert.equal(r.key('m'), [1, 5]);
  assert.is(r.float32('f'), 1.5);
  assert.equal(r.key('m'), [2, 1]);
  assert.is(r.float64('d'), -Math.PI);
  assert.not.ok(r.more());
  throwsAt(() => reader(0, 0, 0x80).float32('AttributeProto.f'), 'AttributeProto.f', 'needs 4 bytes but only 3 remain', 'at byte 0');
  throwsAt(() => reader(1, 2, 3, 4, 5, 6, 7).float64('x'), 'needs 8 bytes but only 7 remain');
});

test('length-delimited fields: payload views, strings, sub-messages bounded by their length', () => {
  const r = reader(key(4, 2), 3, 0x61, 0x62, 0x63, key(7, 2), 2, vint(1, 9));
  assert.equal(r.key('m'), [4, 2]);
  assert.is(r.string('s'), 'abc');
  assert.equal(r.key('m'), [7, 2]);
  const sub = r.sub('g');
  assert.is(sub.end, 9);
  assert.equal(sub.key('g'), [1, 0]);
  assert.is(sub.varint('g.i'), 9);
  assert.not.ok(sub.more());
  assert.not.ok(r.more());
  // A length past the end of the input, and past the end of the enclosing message.
  const rr = reader(key(9, 2), 100, 1, 2);
  rr.key('T');
  throwsAt(() => rr.bytesField('TensorProto.raw_data'), 'TensorProto.raw_data', 'length 100 runs past the end of the input', 'at byte 1');
  const outer = reader(key(7, 2), 3, key(1, 2), 5, 0, 0, 0, 0, 0);
  outer.key('m');
  const inner = outer.sub('ModelProto.graph');
  inner.key('GraphProto');
  throwsAt(() => inner.bytesField('GraphProto.node'), 'GraphProto.node', 'runs past the end of the enclosing message', 'at byte 3');
  // A huge declared length is rejected before anything is allocated.
  throwsAt(() => reader(varint(2 ** 40), 0).bytesField('x'), 'length 1099511627776 runs past the end');
  const bad = reader(key(1, 2), 2, 0xff, 0xfe);
  bad.key('N');
  throwsAt(() => bad.string('NodeProto.name'), 'NodeProto.name', 'not valid UTF-8', 'at byte 1');
});

test('keys: wire types 3, 4, 6, 7 and field number 0 are rejected; skip() passes over every supported wire type', () => {
  for (const w of [3, 4, 6, 7]) throwsAt(() => reader(key(2, w)).key('NodeProto'), 'NodeProto', `unsupported wire type ${w}`, 'at byte 0');
  throwsAt(() => reader(0x02, 0x00).key('M'), 'field number 0');
  const r = reader(vint(100, 2n ** 63n), f64(101, 1), f32(102, 1), packedVarints(103, [1, 2, 3]), vint(1, 7));
  for (let k = 0; k < 4; k++) {
    const [, wire] = r.key('M');
    r.skip(wire, 'M');
  }
  assert.equal(r.key('M'), [1, 0]);
  assert.is(r.varint('M'), 7);
  throwsAt(() => {
    const t = reader(f64(5, 1).subarray(0, 5));
    const [, w] = t.key('M');
    t.skip(w, 'M.field 5');
  }, 'M.field 5', 'needs 8 bytes');
});

test('repeated scalars: packed and unpacked occurrences accumulate in order', () => {
  const out: number[] = [];
  const r = reader(packedVarints(1, [3, 300]), vint(1, 5), packedVarints(1, [-1]), vint(1, -7));
  while (r.more()) {
    const [, wire] = r.key('T');
    readRepeated(r, wire, 'int64', out, 'T.dims');
  }
  assert.equal(out, [3, 300, 5, -1, -7]);
  const floats: number[] = [];
  const rf = reader(packedF32(4, [1.5, -2]), f32(4, 0.25), packedF32(4, []));
  while (rf.more()) {
    const [, wire] = rf.key('T');
    readRepeated(rf, wire, 'float', floats, 'T.float_data');
  }
  assert.equal(floats, [1.5, -2, 0.25]);
  const doubles: number[] = [];
  const rd = reader(packedF64(10, [Math.E]), f64(10, -0));
  while (rd.more()) {
    const [, wire] = rd.key('T');
    readRepeated(rd, wire, 'double', doubles, 'T.double_data');
  }
  assert.ok(doubles[0] === Math.E && Object.is(doubles[1], -0));
});

test('repeated scalars: a packed payload that is not whole elements, or a wrong wire type, is an InputError', () => {
  const r = reader(key(4, 2), 6, 0, 0, 0x80, 0x3f, 0, 0);
  const [, wire] = r.key('T');
  throwsAt(() => readRepeated(r, wire, 'float', [], 'TensorProto.float_data'), 'TensorProto.float_data', 'not a multiple of 4', 'at byte 1');
  const r2 = reader(f32(1, 1));
  const [, w2] = r2.key('T');
  throwsAt(() => readRepeated(r2, w2, 'int64', [], 'TensorProto.dims'), 'TensorProto.dims', 'wire type 5 (32-bit) for a repeated int64 field');
  const r3 = reader(key(5, 2), 2, 0x80, 0x80);
  const [, w3] = r3.key('T');
  throwsAt(() => readRepeated(r3, w3, 'int32', [], 'TensorProto.int32_data'), 'TensorProto.int32_data', 'varint runs past the end of the enclosing message');
});

test.run();
