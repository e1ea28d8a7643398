import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { relErr, throwsType } from '../../helpers.js';
import { attr, modelBytes, valueInfoBody, type NodeSpec, type TensorSpec } from '../../io/onnx/proto-builder.js';

/**
 * The ONNX operator rules on graphs built byte by byte (test/io/onnx/proto-builder.ts), each
 * against the same function written with tensor ops (float64, ≤ 1e-12): torch's `x.view(x.size(0),
 * -1)` shape plumbing (Shape → Gather → Unsqueeze → Concat → Reshape), MatMul + Add fused into a
 * Linear with its bias, a Pad joined to the Conv after it, BatchNormalization with running
 * statistics, GlobalAveragePool, Gemm with transB = 0 and alpha ≠ 1, Gather as an embedding, Softmax;
 * then the refusals, each naming the node.
 */
const rng = new Random(5);
const floats = (n: number): number[] => Array.from({ length: n }, () => Math.fround(rng.normal()));
const init = (name: string, dims: number[], data: number[]): TensorSpec => ({ name, dims, dataType: 1, floatData: data });
const ints = (name: string, data: number[]): TensorSpec => ({ name, dims: [data.length], dataType: 7, int64Data: data });
const graph = (nodes: NodeSpec[], initializers: TensorSpec[], input: (number | string)[], output = 'y') => modelBytes({
  nodes, initializers, inputs: [valueInfoBody('input', 1, input)], outputs: [valueInfoBody(output, 1, null)],
});
const t64 = (data: number[], shape: number[]) => c.tensor(Float64Array.from(data), shape, 'float64');
const run = (bytes: Uint8Array, x: c.Tensor) => {
  const m = c.loadOnnx(bytes, 'test.onnx');
  return { m, y: m.model.apply(c.tensor(m.theta, [m.model.numParams], 'float64'), x) };
};

test('view(N, -1) plumbing, MatMul + Add → Linear with bias, Softmax', () => {
  const W = floats(24), b = floats(4);
  const bytes = graph([
    { op: 'Shape', name: '/Shape', inputs: ['input'], outputs: ['s'] },
    { op: 'Constant', name: '/Constant', inputs: [], outputs: ['zero'], attrs: [attr.tensor('value', { dims: [], dataType: 7, int64Data: [0] })] },
    { op: 'Gather', name: '/Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: [attr.int('axis', 0)] },
    { op: 'Unsqueeze', name: '/Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
    { op: 'Concat', name: '/Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: [attr.int('axis', 0)] },
    { op: 'Reshape', name: '/Reshape', inputs: ['input', 'shape'], outputs: ['flat'] },
    { op: 'MatMul', name: '/fc/MatMul', inputs: ['flat', 'onnx::MatMul_9'], outputs: ['mm'] },
    { op: 'Add', name: '/fc/Add', inputs: ['fc.bias', 'mm'], outputs: ['z'] },
    { op: 'Softmax', name: '/Softmax', inputs: ['z'], outputs: ['y'], attrs: [attr.int('axis', -1)] },
  ], [init('fc.bias', [4], b), init('onnx::MatMul_9', [6, 4], W), ints('axes', [0]), ints('minus1', [-1])], ['N', 2, 3]);
  const x = t64(floats(12), [2, 2, 3]);
  const { m, y } = run(bytes, x);
  assert.equal(m.model.flatParams.map((p) => p.name), ['fc.weight', 'fc.bias']);
  const want = c.softmax(c.add(c.matmul(c.reshape(x, [2, 6]), t64(W, [6, 4])), t64(b, [4])), -1);
  assert.ok(relErr(y.dataSync(), want.dataSync()) <= 1e-12);
});

test('Pad → Conv, BatchNormalization, Relu, GlobalAveragePool, Flatten, Gemm (transB 0, alpha 2)', () => {
  const w = floats(3 * 2 * 3 * 3), cb = floats(3), gamma = floats(3), beta = floats(3), mean = floats(3), variance = [0.5, 1.5, 2];
  const G = floats(3 * 4), gb = floats(4);
  const bytes = graph([
    { op: 'Pad', name: '/Pad', inputs: ['input', 'pads', 'padval'], outputs: ['p'], attrs: [attr.string('mode', 'constant')] },
    { op: 'Conv', name: '/features/features.0/Conv', inputs: ['p', 'features.0.weight', 'features.0.bias'], outputs: ['c1'],
      attrs: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 1]), attr.ints('pads', [0, 0, 0, 0])] },
    { op: 'BatchNormalization', name: '/features/features.1/BatchNormalization', inputs: ['c1', 'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var'], outputs: ['bn'],
      attrs: [attr.float('epsilon', 1e-5), attr.float('momentum', 0.9)] },
    { op: 'Relu', name: '/features/features.2/Relu', inputs: ['bn'], outputs: ['r'] },
    { op: 'GlobalAveragePool', name: '/pool/GlobalAveragePool', inputs: ['r'], outputs: ['gp'] },
    { op: 'Flatten', name: '/Flatten', inputs: ['gp'], outputs: ['f'], attrs: [attr.int('axis', 1)] },
    { op: 'Gemm', name: '/head/Gemm', inputs: ['f', 'head.weight', 'head.bias'], outputs: ['y'], attrs: [attr.float('alpha', 2), attr.int('transB', 0)] },
  ], [init('features.0.weight', [3, 2, 3, 3], w), init('features.0.bias', [3], cb), init('features.1.weight', [3], gamma), init('features.1.bias', [3], beta),
    init('features.1.running_mean', [3], mean), init('features.1.running_var', [3], variance), init('head.weight', [3, 4], G), init('head.bias', [4], gb),
    ints('pads', [0, 0, 1, 1, 0, 0, 1, 1]), { name: 'padval', dims: [], dataType: 1, floatData: [0] }], ['N', 2, 5, 4]);
  const x = t64(floats(2 * 2 * 5 * 4), [2, 2, 5, 4]);
  const { m, y } = run(bytes, x);
  assert.equal(m.model.flatParams.map((p) => p.name), ['features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'head.weight', 'head.bias']);
  const conv = new c.Conv2d(2, 3, 3, { stride: [2, 1], padding: 1 });
  const bn = new c.BatchNorm(3, { runningMean: mean, runningVar: variance });
  let h = c.relu(bn.apply([t64(gamma, [3]), t64(beta, [3])], conv.apply([t64(w, [3, 2, 3, 3]), t64(cb, [3])], x)));
  h = c.mean(h, [2, 3]);
  const want = c.add(c.mul(c.matmul(h, t64(G, [3, 4])), 2), t64(gb, [4]));
  assert.ok(relErr(y.dataSync(), want.dataSync()) <= 1e-12, `${relErr(y.dataSync(), want.dataSync())}`);
});

test('Gather of a table by the input ids is an Embedding named by its table', () => {
  const table = floats(5 * 2), W = floats(6 * 3);
  const bytes = graph([
    { op: 'Gather', name: '/embed/Gather', inputs: ['embed.weight', 'input'], outputs: ['e'] },
    { op: 'Flatten', name: '/Flatten', inputs: ['e'], outputs: ['f'] },
    { op: 'Gemm', name: '/out/Gemm', inputs: ['f', 'out.weight'], outputs: ['y'], attrs: [attr.int('transB', 1)] },
  ], [init('embed.weight', [5, 2], table), init('out.weight', [3, 6], W)], ['N', 3]);
  const x = t64([4, 0, 2, 1, 1, 3], [2, 3]);
  const { m, y } = run(bytes, x);
  assert.equal(m.model.flatParams.map((p) => p.name), ['embed.weight', 'out.weight']);
  const e = c.reshape(c.gather(t64(table, [5, 2]), c.tensor(Int32Array.from([4, 0, 2, 1, 1, 3]), [6], 'int32')), [2, 6]);
  assert.ok(relErr(y.dataSync(), c.matmul(e, t64(W, [3, 6]), { transB: true }).dataSync()) <= 1e-12);
});

test('refusals name the node: Erf (torch 1.13\'s GELU), a reshape across the batch, a broadcasting Add, auto_pad; two inputs', () => {
  const lin = (extra: NodeSpec[], inits: TensorSpec[] = [], input: (number | string)[] = ['N', 4]) => graph([
    { op: 'Gemm', name: '/fc/Gemm', inputs: ['input', 'fc.weight', 'fc.bias'], outputs: ['h'], attrs: [attr.int('transB', 1)] }, ...extra,
  ], [init('fc.weight', [4, 4], floats(16)), init('fc.bias', [4], floats(4)), ...inits], input);
  throwsType(() => c.loadOnnx(lin([{ op: 'Erf', name: '/act/Erf', inputs: ['h'], outputs: ['y'] }]), 'g.onnx'), c.UnsupportedLayerError, /node '\/act\/Erf' \(Erf\) is not supported/);
  throwsType(() => c.loadOnnx(lin([{ op: 'Reshape', name: '/Reshape', inputs: ['h', 'shape'], outputs: ['y'] }], [ints('shape', [2, -1])]), 'g.onnx'),
    c.UnsupportedLayerError, /'\/Reshape'.*does not keep the batch axis first/);
  throwsType(() => c.loadOnnx(lin([
    { op: 'Gemm', name: '/g/Gemm', inputs: ['input', 'g.weight'], outputs: ['h2'], attrs: [attr.int('transB', 1)] },
    { op: 'Add', name: '/res/Add', inputs: ['h', 'h2'], outputs: ['y'] },
  ], [init('g.weight', [1, 4], floats(4))]), 'g.onnx'), c.UnsupportedLayerError, /'\/res\/Add'.*\[4\] and \[1\] \(broadcasting/);
  const conv = graph([{ op: 'Conv', name: '/c/Conv', inputs: ['input', 'c.weight'], outputs: ['y'], attrs: [attr.string('auto_pad', 'SAME_UPPER')] }],
    [init('c.weight', [1, 1, 3, 3], floats(9))], ['N', 1, 4, 4]);
  throwsType(() => c.loadOnnx(conv, 'g.onnx'), c.UnsupportedLayerError, /'\/c\/Conv' \(Conv\): auto_pad SAME_UPPER is not supported/);
  const two = modelBytes({
    nodes: [{ op: 'Add', name: '/Add', inputs: ['a', 'b'], outputs: ['y'] }],
    inputs: [valueInfoBody('a', 1, ['N', 2]), valueInfoBody('b', 1, ['N', 2])], outputs: [valueInfoBody('y', 1, null)],
  });
  throwsType(() => c.loadOnnx(two, 'g.onnx'), c.InputError, /exactly one input, got 2 \(a, b\)/);
});

test.run();
