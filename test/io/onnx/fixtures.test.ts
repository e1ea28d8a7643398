/**
 * readOnnxFile on the real PyTorch 1.13 exports in test/fixtures/models/ (scripts/fixtures/make-model-fixtures.py):
 * graph structure, attributes, and every initializer against θ in the .safetensors fixture written by the same
 * script; the two malformed files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ShapeError } from '../../../src/errors.js';
import { readOnnx, readOnnxFile } from '../../../src/io/onnx/index.js';
import type { OnnxModel } from '../../../src/io/onnx/index.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { repoRoot } from '../helpers.js';

const DIR = join(repoRoot(), 'test', 'fixtures', 'models');

interface Meta {
  params: { name: string; shape: number[]; numel: number }[];
  num_params: number;
  onnx: { op_types: string[]; node_op_sequence: string[]; initializers: { name: string; dims: number[] }[] };
}

function fixture(name: string): { model: OnnxModel; meta: Meta; theta: Float64Array } {
  const st = readSafetensors(join(DIR, `${name}.safetensors`));
  const meta = JSON.parse(st.metadata.json!) as Meta;
  assert.equal(JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')), meta);
  return { model: readOnnxFile(join(DIR, `${name}.onnx`)), meta, theta: st.tensors.get('theta')!.data as Float64Array };
}

/** Every parameter is an initializer of the same name and shape whose float32 values are θ's slice exactly. */
function checkInitializers(model: OnnxModel, meta: Meta, theta: Float64Array): void {
  let offset = 0;
  for (const p of meta.params) {
    const t = model.graph.initializers.get(p.name);
    assert.ok(t, `initializer ${p.name} missing; have ${[...model.graph.initializers.keys()].join(', ')}`);
    assert.is(t!.dtype, 'float32', p.name);
    assert.equal(t!.dims, p.shape, p.name);
    for (let k = 0; k < p.numel; k++) {
      if (t!.data[k] !== theta[offset + k]) assert.unreachable(`${p.name}[${k}] = ${t!.data[k]}, theta[${offset + k}] = ${theta[offset + k]}`);
    }
    offset += p.numel;
  }
  assert.is(offset, meta.num_params);
  assert.is(theta.length, meta.num_params);
}

test('cnn.onnx: Conv → Relu → MaxPool ×2 → Flatten → Gemm, initializers = θ', () => {
  const { model, meta, theta } = fixture('cnn');
  assert.is(model.irVersion, 7);
  assert.equal(model.opsets, [{ domain: '', version: 13 }]);
  assert.equal(model.producer, { name: 'pytorch', version: '1.13.0' });
  const ops = model.graph.nodes.map((n) => n.opType);
  assert.equal(ops, ['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Gemm']);
  assert.equal(ops, meta.onnx.node_op_sequence);
  assert.equal([...new Set(ops)].sort(), meta.onnx.op_types);
  const [conv0, , pool0, conv1, , , flatten, gemm] = model.graph.nodes;
  assert.equal(conv0!.inputs, ['input', 'features.0.weight', 'features.0.bias']);
  assert.equal(conv1!.inputs.slice(1), ['features.3.weight', 'features.3.bias']);
  const ints = (n: typeof conv0, k: string): unknown => (n!.attributes.get(k) as { value: unknown }).value;
  assert.equal([ints(conv0, 'kernel_shape'), ints(conv0, 'pads'), ints(conv0, 'strides'), ints(conv0, 'dilations'), ints(conv0, 'group')], [[3, 3], [1, 1, 1, 1], [1, 1], [1, 1], 1]);
  assert.equal([ints(pool0, 'kernel_shape'), ints(pool0, 'strides'), ints(pool0, 'pads'), ints(pool0, 'ceil_mode')], [[2, 2], [2, 2], [0, 0, 0, 0], 0]);
  assert.equal(ints(flatten, 'axis'), 1);
  assert.equal(gemm!.inputs.slice(1), ['classifier.weight', 'classifier.bias']);
  assert.equal([ints(gemm, 'alpha'), ints(gemm, 'beta'), ints(gemm, 'transB')], [1, 1, 1]);
  assert.equal(gemm!.outputs, ['logits']);
  assert.equal(model.graph.inputs, [{ name: 'input', elemType: 1, shape: ['batch', 1, 28, 28] }]);
  assert.equal(model.graph.outputs, [{ name: 'logits', elemType: 1, shape: ['batch', 10] }]);
  assert.equal([...model.graph.initializers.keys()], meta.onnx.initializers.map((i) => i.name));
  checkInitializers(model, meta, theta);
  assert.is(meta.num_params, 4266);
});

test('resmlp.onnx: the op types recorded in its metadata, every parameter an initializer equal to θ', () => {
  const { model, meta, theta } = fixture('resmlp');
  assert.equal(model.opsets, [{ domain: '', version: 13 }]);
  const ops = model.graph.nodes.map((n) => n.opType);
  assert.equal(ops, meta.onnx.node_op_sequence);
  assert.equal([...new Set(ops)].sort(), meta.onnx.op_types);
  // LayerNorm at opset 13 is decomposed; Linear is Gemm(transB=1); torch.cat is Concat(axis=1).
  assert.equal(ops, ['Gemm', 'Tanh', 'Gemm', 'ReduceMean', 'Sub', 'Constant', 'Pow', 'ReduceMean', 'Constant', 'Add', 'Sqrt', 'Div', 'Mul',
    'Add', 'Relu', 'Gemm', 'Add', 'Relu', 'Concat', 'Gemm']);
  const norm = model.graph.nodes.filter((n) => n.name.startsWith('/block/norm/'));
  assert.equal(norm.find((n) => n.opType === 'Mul')!.inputs[1], 'block.norm.weight');
  assert.equal(norm.find((n) => n.opType === 'ReduceMean')!.attributes.get('axes'), { name: 'axes', type: 'ints', value: [-1] });
  const consts = norm.filter((n) => n.opType === 'Constant').map((n) => Array.from((n.attributes.get('value') as { value: { data: Float32Array } }).value.data));
  assert.equal(consts, [[2], [Math.fround(1e-5)]]);
  assert.equal(model.graph.inputs, [{ name: 'input', elemType: 1, shape: ['batch', 20] }]);
  assert.equal(model.graph.outputs, [{ name: 'logits', elemType: 1, shape: ['batch', 5] }]);
  const concat = model.graph.nodes.find((n) => n.opType === 'Concat')!;
  assert.equal(concat.attributes.get('axis'), { name: 'axis', type: 'int', value: 1 });
  // Constants feeding the decomposed LayerNorm (Pow's exponent, the epsilon) are float32 scalars.
  for (const n of model.graph.nodes.filter((n) => n.opType === 'Constant')) {
    const v = n.attributes.get('value');
    assert.ok(v?.type === 'tensor' && v.value.dtype === 'float32' && v.value.dims.length === 0, n.name);
  }
  assert.equal(meta.onnx.initializers.map((i) => i.name), [...model.graph.initializers.keys()]);
  checkInitializers(model, meta, theta);
  assert.is(meta.num_params, 1077);
});

test('cnn-unsupported-op.onnx reads; it holds HardSigmoid (nn.Hardswish at opset 13) instead of the first Relu', () => {
  const model = readOnnxFile(join(DIR, 'cnn-unsupported-op.onnx'));
  const ops = model.graph.nodes.map((n) => n.opType);
  assert.ok(ops.includes('HardSigmoid'), ops.join(' '));
  assert.is(ops.filter((o) => o === 'Relu').length, 1);
});

test('cnn-bad-shape.onnx reads (the file is well formed) with features.3.weight dims [4, 8, 3, 3]', () => {
  const model = readOnnxFile(join(DIR, 'cnn-bad-shape.onnx'));
  const w = model.graph.initializers.get('features.3.weight')!;
  assert.equal(w.dims, [4, 8, 3, 3]);
  assert.is(w.data.length, 288);
});

test('cnn.onnx with bytes cut off or a dims value changed: typed errors naming the initializer', () => {
  const bytes = new Uint8Array(readFileSync(join(DIR, 'cnn.onnx')));
  for (const n of [1, 100, bytes.length >> 1, bytes.length - 40]) {
    try {
      readOnnx(bytes.subarray(0, n), 'cut.onnx');
      assert.unreachable(`cut at ${n} accepted`);
    } catch (err) {
      assert.instance(err, InputError, String(err));
      assert.match((err as Error).message, /^cut\.onnx: ModelProto.* at byte \d+/);
    }
  }
  // onnx writes dims unpacked (proto2 `repeated int64 dims = 1`): features.3.weight's are 08 08 08 04 08 03 08 03.
  const at = Buffer.from(bytes).indexOf(Buffer.from([0x08, 0x08, 0x08, 0x04, 0x08, 0x03, 0x08, 0x03]));
  assert.ok(at > 0);
  const bad = bytes.slice();
  bad[at + 7] = 2; // [8, 4, 3, 2]: 192 elements, raw_data holds 288
  try {
    readOnnx(bad, 'bad.onnx');
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, ShapeError, String(err));
    assert.match((err as Error).message, /bad\.onnx: ModelProto\.graph\.initializer\[2\] 'features\.3\.weight': dims \[8, 4, 3, 2\] hold 192 float32 elements, but raw_data has 1152 bytes/);
  }
});

test.run();
