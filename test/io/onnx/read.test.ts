/** readOnnx on hand-built ModelProtos: every message, tensor data type and attribute kind, and the typed errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError, ShapeError } from '../../../src/errors.js';
import { readOnnx, readOnnxFile } from '../../../src/io/onnx/index.js';
import type { OnnxTensor } from '../../../src/io/onnx/index.js';
import { arrayBufferGrowth } from '../helpers.js';
import {
  type TensorSpec, attr, bytes, cat, f32, key, modelBytes, msg, packedVarints, smallModel, str, tensorBody, valueInfoBody, vint,
} from './proto-builder.js';

function throwsTyped(type: typeof InputError | typeof ShapeError, fn: () => unknown, ...parts: string[]): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type, `expected ${type.name}, got ${String(err)}`);
    const m = (err as Error).message;
    for (const p of parts) assert.ok(m.includes(p), `expected ${JSON.stringify(p)} in: ${m}`);
    return;
  }
  assert.unreachable(`expected ${type.name} mentioning ${parts.join(', ')}`);
}

/** A model whose only content is one initializer. */
const withTensor = (t: TensorSpec): Uint8Array => modelBytes({ initializers: [t] });
const readTensor = (t: TensorSpec): OnnxTensor => [...readOnnx(withTensor(t)).graph.initializers.values()][0]!;

test('a small model: metadata, opsets, nodes with attributes, initializers, inputs and outputs', () => {
  const m = readOnnx(smallModel({ opsets: [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }] }), 'small.onnx');
  assert.is(m.irVersion, 7);
  assert.equal(m.opsets, [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }]);
  assert.equal(m.producer, { name: 'test', version: '0' });
  assert.is(m.graph.name, 'g');
  assert.equal(m.graph.nodes.map((n) => [n.opType, n.name, n.domain, n.inputs, n.outputs]), [
    ['Gemm', 'fc', '', ['x', 'W', 'b'], ['h']],
    ['Relu', 'act', '', ['h'], ['y']],
  ]);
  assert.equal([...m.graph.nodes[0]!.attributes.values()], [
    { name: 'alpha', type: 'float', value: 1 },
    { name: 'transB', type: 'int', value: 1 },
  ]);
  const W = m.graph.initializers.get('W')!;
  assert.equal([W.dims, W.dtype, Array.from(W.data)], [[2, 3], 'float32', [1, 2, 3, 4, 5, 6]]);
  assert.instance(W.data, Float32Array);
  assert.equal(Array.from(m.graph.initializers.get('b')!.data), [0.5, -0.5]);
  assert.equal(m.graph.inputs, [{ name: 'x', elemType: 1, shape: ['batch', 3] }]);
  assert.equal(m.graph.outputs, [{ name: 'y', elemType: 1, shape: ['batch', 2] }]);
  assert.equal(m.graph.valueInfo, []);
});

test('tensor data types from raw_data (little-endian) and from the typed fields', () => {
  const raw = (ctor: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Uint32ArrayConstructor, vs: number[]): Uint8Array =>
    new Uint8Array(new ctor(vs).buffer);
  const cases: Array<[TensorSpec, string, unknown[], string]> = [
    [{ dims: [3], dataType: 1, raw: raw(Float32Array, [1.5, -0, Infinity]) }, 'float32', [1.5, -0, Infinity], 'Float32Array'],
    [{ dims: [2], dataType: 1, floatData: [0.25, NaN] }, 'float32', [0.25, NaN], 'Float32Array'],
    [{ dims: [2, 1], dataType: 11, raw: raw(Float64Array, [Math.PI, -1e300]) }, 'float64', [Math.PI, -1e300], 'Float64Array'],
    [{ dims: [1], dataType: 11, doubleData: [Math.E] }, 'float64', [Math.E], 'Float64Array'],
    [{ dims: [2], dataType: 6, raw: raw(Int32Array, [-2147483648, 7]) }, 'int32', [-2147483648, 7], 'Int32Array'],
    [{ dims: [2], dataType: 6, int32Data: [-5, 2147483647] }, 'int32', [-5, 2147483647], 'Int32Array'],
    [{ dims: [2], dataType: 7, raw: new Uint8Array(new BigInt64Array([-1n, 2n ** 53n - 1n]).buffer) }, 'int64', [-1, 2 ** 53 - 1], 'Array'],
    [{ dims: [3], dataType: 7, int64Data: [-1, 0, 1234567890123] }, 'int64', [-1, 0, 1234567890123], 'Array'],
    [{ dims: [3], dataType: 9, raw: new Uint8Array([0, 1, 1]) }, 'bool', [0, 1, 1], 'Int32Array'],
    [{ dims: [2], dataType: 9, int32Data: [1, 0] }, 'bool', [1, 0], 'Int32Array'],
    [{ dims: [2], dataType: 2, raw: new Uint8Array([0, 255]) }, 'uint8', [0, 255], 'Int32Array'],
    [{ dims: [2], dataType: 3, raw: raw(Int8Array, [-128, 5]) }, 'int8', [-128, 5], 'Int32Array'],
    [{ dims: [1], dataType: 4, raw: raw(Uint16Array, [65535]) }, 'uint16', [65535], 'Int32Array'],
    [{ dims: [1], dataType: 5, int32Data: [-32768] }, 'int16', [-32768], 'Int32Array'],
    [{ dims: [1], dataType: 12, raw: raw(Uint32Array, [4294967295]) }, 'uint32', [4294967295], 'Array'],
    [{ dims: [1], dataType: 13, uint64Data: [2 ** 40] }, 'uint64', [2 ** 40], 'Array'],
    [{ dims: [], dataType: 1, floatData: [42] }, 'float32', [42], 'Float32Array'],
    [{ dims: [0, 4], dataType: 1 }, 'float32', [], 'Float32Array'],
  ];
  for (const [spec, dtype, values, ctor] of cases) {
    const t = readTensor({ name: 't', ...spec });
    const what = `${dtype} ${JSON.stringify(spec.dims)}`;
    assert.is(t.dtype, dtype, what);
    assert.equal(t.dims, spec.dims, what);
    assert.is(t.data.constructor.name, ctor, what);
    assert.equal(Array.from(t.data), values, what);
  }
});

test('tensor data that disagrees with dims is a ShapeError naming the initializer', () => {
  throwsTyped(ShapeError, () => readTensor({ name: 'features.3.weight', dims: [8, 4, 3, 3], dataType: 1, raw: new Uint8Array(4 * 287) }),
    "'features.3.weight'", 'dims [8, 4, 3, 3] hold 288 float32 elements', 'raw_data has 1148 bytes');
  throwsTyped(ShapeError, () => readTensor({ name: 'w', dims: [3], dataType: 1, floatData: [1, 2] }), "'w'", 'float_data has 2 elements');
  throwsTyped(ShapeError, () => readTensor({ name: 'w', dims: [2], dataType: 11, raw: new Uint8Array(12) }), "'w'", 'raw_data has 12 bytes');
  throwsTyped(ShapeError, () => readTensor({ name: 'missing', dims: [2], dataType: 1 }), "'missing'", 'float_data has 0 elements');
  // Dims whose product is astronomically large: rejected by the count check, nothing allocated.
  const { growth, error } = arrayBufferGrowth(() => readTensor({ name: 'huge', dims: [2 ** 40, 2 ** 40], dataType: 1, raw: new Uint8Array(16) }));
  assert.instance(error, ShapeError);
  assert.match((error as Error).message, /more than 2\^53/);
  assert.ok(growth < 1 << 16);
});

test('unsupported data types, external data, segments, mixed data fields: InputErrors naming the tensor', () => {
  throwsTyped(InputError, () => readTensor({ name: 'h', dims: [1], dataType: 10, int32Data: [15360] }), "'h'", 'unsupported tensor data type 10 (FLOAT16)');
  throwsTyped(InputError, () => readTensor({ name: 's', dims: [1], dataType: 8 }), 'unsupported tensor data type 8 (STRING)');
  throwsTyped(InputError, () => readTensor({ name: 'u', dims: [1], dataType: 0 }), 'unsupported tensor data type 0 (UNDEFINED)');
  throwsTyped(InputError, () => readTensor({ name: 'q', dims: [1], dataType: 99 }), 'unsupported tensor data type 99 (unknown)');
  const ext = [msg(13, str(1, 'location'), str(2, 'weights.bin')), vint(14, 1)];
  throwsTyped(InputError, () => readTensor({ name: 'e', dims: [4], dataType: 1, extra: ext }), "'e'", 'external data is not supported');
  throwsTyped(InputError, () => readTensor({ name: 'e2', dims: [4], dataType: 1, extra: [vint(14, 1)] }), 'external data is not supported');
  throwsTyped(InputError, () => readTensor({ name: 'seg', dims: [1], dataType: 1, floatData: [1], extra: [msg(3, vint(1, 0), vint(2, 1))] }), 'segmented');
  throwsTyped(InputError, () => readTensor({ name: 'both', dims: [1], dataType: 1, floatData: [1], raw: new Uint8Array(4) }), 'both raw_data and float_data');
  throwsTyped(InputError, () => readTensor({ name: 'wrong', dims: [1], dataType: 1, int64Data: [1] }), 'float32 tensor has its elements in int64_data');
  throwsTyped(InputError, () => readTensor({ name: 'neg', dims: [-1], dataType: 1 }), 'negative dimension -1');
  throwsTyped(InputError, () => readTensor({ name: 'big', dims: [1], dataType: 7, raw: new Uint8Array(new BigInt64Array([2n ** 53n]).buffer) }), "'big'", 'not a safe integer');
  throwsTyped(InputError, () => readTensor({ name: 'big', dims: [1], dataType: 7, int64Data: [-(2n ** 62n)] }), 'not a safe integer');
  throwsTyped(InputError, () => readTensor({ name: 'b', dims: [1], dataType: 9, int32Data: [2] }), 'out of range for bool');
  throwsTyped(InputError, () => readTensor({ name: 'b', dims: [1], dataType: 2, int32Data: [256] }), 'out of range for uint8');
  throwsTyped(InputError, () => readTensor({ name: 'b', dims: [1], dataType: 12, uint64Data: [2 ** 32] }), 'out of range for uint32');
});

test('attributes of every kind; graph-valued ones are kept as unsupported; a type without its field is an InputError', () => {
  const t: TensorSpec = { name: '', dims: [2], dataType: 7, int64Data: [1, -1] };
  const m = readOnnx(modelBytes({
    nodes: [{
      op: 'Custom', name: 'n', domain: 'my.domain', inputs: ['a', ''], outputs: ['b'],
      attrs: [
        attr.float('f', 0.5), attr.int('i', -3), attr.string('s', 'SAME_UPPER'), attr.tensor('value', t),
        attr.floats('fs', [1, 2.5]), attr.ints('is', [0, -1, 2 ** 40]), attr.strings('ss', ['a', 'é']),
        attr.tensors('ts', [t, { ...t, name: 'x' }]), attr.graph('body'),
        cat(str(1, 'legacy'), vint(3, 7)), // no type field (old files): inferred from the field present
      ],
    }],
  }));
  const n = m.graph.nodes[0]!;
  assert.equal([n.opType, n.domain, n.inputs, n.outputs], ['Custom', 'my.domain', ['a', ''], ['b']]);
  const a = Object.fromEntries([...n.attributes].map(([k, v]) => [k, v]));
  assert.equal(a.f, { name: 'f', type: 'float', value: 0.5 });
  assert.equal(a.i, { name: 'i', type: 'int', value: -3 });
  assert.equal(a.s, { name: 's', type: 'string', value: 'SAME_UPPER' });
  assert.equal(a.value, { name: 'value', type: 'tensor', value: { name: '', dims: [2], dtype: 'int64', data: [1, -1] } });
  assert.equal(a.fs, { name: 'fs', type: 'floats', value: [1, 2.5] });
  assert.equal(a.is, { name: 'is', type: 'ints', value: [0, -1, 2 ** 40] });
  assert.equal(a.ss, { name: 'ss', type: 'strings', value: ['a', 'é'] });
  assert.is(a.ts!.type, 'tensors');
  assert.equal(a.body, { name: 'body', type: 'unsupported', typeCode: 5, what: 'GRAPH' });
  assert.equal(a.legacy, { name: 'legacy', type: 'int', value: 7 });
  throwsTyped(InputError, () => readOnnx(modelBytes({ nodes: [{ op: 'X', inputs: [], outputs: [], attrs: [cat(str(1, 'k'), vint(20, 2))] }] })),
    "ModelProto.graph.node[0].attribute[0] 'k'", 'type INT but no i field');
  throwsTyped(InputError, () => readOnnx(modelBytes({ nodes: [{ op: 'X', inputs: [], outputs: [], attrs: [attr.int('k', 1), attr.int('k', 2)] }] })),
    "duplicate attribute 'k'");
});

test('value infos: dim_value, dim_param, unknown dims, absent shapes, non-tensor types', () => {
  const m = readOnnx(modelBytes({
    inputs: [valueInfoBody('x', 1, ['N', 3, null]), valueInfoBody('s', 7, []), valueInfoBody('u', 11, null)],
    outputs: [cat(str(1, 'seq'), msg(2, msg(4, msg(1, msg(1, vint(1, 1))))))],
    valueInfo: [valueInfoBody('h', 1, [1, 'batch'])],
  }));
  assert.equal(m.graph.inputs, [
    { name: 'x', elemType: 1, shape: ['N', 3, null] },
    { name: 's', elemType: 7, shape: [] },
    { name: 'u', elemType: 11, shape: null },
  ]);
  assert.equal(m.graph.outputs, [{ name: 'seq', elemType: 0, shape: null }]);
  assert.equal(m.graph.valueInfo, [{ name: 'h', elemType: 1, shape: [1, 'batch'] }]);
});

test('unknown fields of every wire type are skipped; repeated singular fields keep the last value', () => {
  const base = smallModel();
  const extra = cat(vint(500, 1), bytes(501, new Uint8Array([1, 2, 3])), f32(502, 1), key(503, 1), new Uint8Array(8), vint(1, 8));
  const m = readOnnx(cat(base, extra));
  assert.is(m.irVersion, 8);
  assert.is(m.graph.nodes.length, 2);
  const m2 = readOnnx(smallModel({ graphExtra: [vint(99, 1), str(2, 'renamed')] }));
  assert.is(m2.graph.name, 'renamed');
});

test('structural errors: no graph, empty input, duplicate initializers, sparse initializers', () => {
  throwsTyped(InputError, () => readOnnx(new Uint8Array(0), 'x.onnx'), 'x.onnx', 'empty file');
  throwsTyped(InputError, () => readOnnx(cat(vint(1, 7), str(2, 'p'))), 'has no graph');
  const w: TensorSpec = { name: 'W', dims: [1], dataType: 1, floatData: [1] };
  throwsTyped(InputError, () => readOnnx(modelBytes({ initializers: [w, w] })), "duplicate initializer name 'W'", 'ModelProto.graph.initializer[1]');
  throwsTyped(InputError, () => readOnnx(smallModel({ graphExtra: [msg(15, msg(1, tensorBody(w)))] })), 'sparse initializers are not supported');
  throwsTyped(InputError, () => readOnnx('not bytes' as never), 'expected the file\'s bytes as a Uint8Array');
  // Text and other non-protobuf files.
  throwsTyped(InputError, () => readOnnx(new TextEncoder().encode('{"not": "onnx"}')));
  throwsTyped(InputError, () => readOnnx(new Uint8Array([0x08, 0x07, 0x3a, 0x05, 0x0a])), 'ModelProto.graph', 'at byte 3');
});

test('every truncation of a valid model is an InputError naming the offset, or (cut between top-level fields after the graph) a valid prefix', () => {
  const full = smallModel({ valueInfo: [valueInfoBody('h', 1, ['batch', 2])] });
  readOnnx(full);
  let withOffset = 0;
  const accepted: number[] = [];
  for (let n = 0; n < full.length; n++) {
    try {
      readOnnx(full.subarray(0, n), 'cut.onnx');
      accepted.push(n);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      assert.ok(err.message.startsWith('cut.onnx'), err.message);
      if (/at byte \d+/.test(err.message)) withOffset++;
    }
  }
  // A protobuf message cut at a field boundary is a shorter valid message: here only the cut
  // before the opset_import field that follows the graph.
  assert.equal(accepted, [full.length - 6]);
  // All other cuts but those between the first top-level fields (→ "has no graph") name an offset.
  assert.ok(withOffset >= full.length - 6, `${withOffset} of ${full.length}`);
});

test('errors name the nested path and offset: a bad length inside node 1 of the graph', () => {
  const bad = modelBytes({ nodes: [{ op: 'A', inputs: [], outputs: ['a'] }, { op: 'B', inputs: ['a'], outputs: ['b'], attrs: [cat(str(1, 'k'), key(8, 2), new Uint8Array([0x7f]))] }] });
  throwsTyped(InputError, () => readOnnx(bad, 'm.onnx'), 'm.onnx: ModelProto.graph.node[1].attribute[0].ints', 'length 127 runs past the end of the enclosing message', 'at byte');
  const wt = cat(vint(1, 7), msg(7, msg(1, cat(str(4, 'A'), key(6, 3)))));
  throwsTyped(InputError, () => readOnnx(wt), 'ModelProto.graph.node[0]', 'unsupported wire type 3 (start-group)');
  const wrongWire = cat(vint(1, 7), msg(7, msg(1, vint(4, 5))));
  throwsTyped(InputError, () => readOnnx(wrongWire), 'ModelProto.graph.node[0].op_type', 'wire type 0 (varint), expected 2 (length-delimited)');
  const dimsWire = withTensor({ name: 'd', dims: [], dataType: 1, extra: [f32(1, 2)] });
  throwsTyped(InputError, () => readOnnx(dimsWire), 'ModelProto.graph.initializer[0].dims', 'for a repeated int64 field');
  void packedVarints;
});

test('readOnnxFile: a missing file is an InputError naming the path', () => {
  throwsTyped(InputError, () => readOnnxFile('/nonexistent/model.onnx'), "'/nonexistent/model.onnx'", 'no such file');
  throwsTyped(InputError, () => readOnnxFile(42 as never), 'expected a path');
});

test.run();
