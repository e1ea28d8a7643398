import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { assertBatchedHvp, assertPerExampleGradients, labels } from '../layers.js';

/**
 * GraphModel: a residual MLP with LayerNorm and a concatenation, against the same function written
 * with tensor ops (≤ 1e-13, float64); per-example gradients from captures against one autodiff
 * gradient per example (≤ 1e-12); batched HVPs; θ in a given state_dict order; the JSON format's
 * round trip and its typed errors; K-FAC on the graph's Linear layers with a fallback for LayerNorm.
 */
const residualSpec = (withOrder = false): c.GraphSpec => ({
  format: 'curvature-graph', version: 1, input: { name: 'x', shape: [5] }, output: 'head',
  nodes: [
    { name: 'fc_in', inputs: ['x'], layer: { kind: 'linear', inFeatures: 5, outFeatures: 6, bias: true } },
    { name: 'block.fc1', inputs: ['fc_in'], layer: { kind: 'linear', inFeatures: 6, outFeatures: 6, bias: true } },
    { name: 'block.norm', inputs: ['block.fc1'], layer: { kind: 'layernorm', normalizedShape: [6] } },
    { name: 'block.act', inputs: ['block.norm'], layer: { kind: 'tanh' } },
    { name: 'block.fc2', inputs: ['block.act'], layer: { kind: 'linear', inFeatures: 6, outFeatures: 6, bias: false } },
    { name: 'res', inputs: ['fc_in', 'block.fc2'], op: 'add' },
    { name: 'relu', inputs: ['res'], layer: { kind: 'relu' } },
    { name: 'cat', inputs: ['res', 'relu'], op: 'concat', axis: 1 },
    { name: 'head', inputs: ['cat'], layer: { kind: 'linear', inFeatures: 12, outFeatures: 3, bias: true } },
  ],
  ...(withOrder ? { parameters: ['block.fc1.weight', 'block.fc1.bias', 'fc_in.weight', 'fc_in.bias', 'block.norm.weight', 'block.norm.bias', 'block.fc2.weight', 'head.weight', 'head.bias'] } : {}),
});

/** The same function written out with tensor ops, parameters looked up by name. */
function residualByHand(model: c.GraphModel, theta: c.Tensor, x: c.Tensor): c.Tensor {
  const p = (name: string): c.Tensor => {
    const f = model.flatParams.find((q) => q.name === name)!;
    return c.reshape(c.slice(theta, [f.offset], [f.size]), f.shape);
  };
  const lin = (h: c.Tensor, w: string, b?: string): c.Tensor => { const y = c.matmul(h, p(w), { transB: true }); return b ? c.add(y, p(b)) : y; };
  const h = lin(x, 'fc_in.weight', 'fc_in.bias');
  const z = lin(h, 'block.fc1.weight', 'block.fc1.bias');
  const mu = c.mean(z, [1], true), cz = c.sub(z, mu);
  const ln = c.add(c.mul(c.div(cz, c.sqrt(c.add(c.mean(c.square(cz), [1], true), 1e-5))), p('block.norm.weight')), p('block.norm.bias'));
  const res = c.add(h, lin(c.tanh(ln), 'block.fc2.weight'));
  return lin(c.concat([res, c.relu(res)], 1), 'head.weight', 'head.bias');
}

for (const backend of testBackends()) {
  const s = suite(`GraphModel [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('a residual MLP with LayerNorm and concat equals the hand-written function; names, θ order, shapes', () => {
    const rng = new Random(3);
    for (const ordered of [false, true]) {
      const model = new c.GraphModel(residualSpec(ordered));
      assert.is(model.numParams, 36 + 42 + 12 + 36 + 39);
      assert.equal(model.flatParams.map((p) => p.name).slice(0, 2), ordered ? ['block.fc1.weight', 'block.fc1.bias'] : ['fc_in.weight', 'fc_in.bias']);
      assert.equal(model.trackedLayers().map((t) => t.name), ordered ? ['block.fc1', 'fc_in', 'block.norm', 'block.fc2', 'head'] : ['fc_in', 'block.fc1', 'block.norm', 'block.fc2', 'head']);
      const theta = randn(rng, [model.numParams]);
      const x = randn(rng, [4, 5]);
      assert.ok(relErr(model.apply(theta, x).dataSync(), residualByHand(model, theta, x).dataSync()) <= 1e-13, `ordered=${ordered}`);
      assert.equal([...model.checkInput(x)], [4, 3]);
      assert.is(model.outFeatures, 3);
      assert.equal(c.blocksFromModel(model).map((b) => b.name), model.trackedLayers().map((t) => t.name));
    }
  });

  s('per-example gradients from captures, batched HVPs, and a JSON round trip', () => {
    const rng = new Random(5);
    const model = new c.GraphModel(residualSpec(true));
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = c.mul(randn(rng, [model.numParams]), 0.5);
    const data = { x: randn(rng, [6, 5]), y: labels(rng, 6, 3) };
    objective.validate(data);
    assertPerExampleGradients(objective, theta, data, 1e-12, 'residual graph');
    assertBatchedHvp((t: c.Tensor) => objective.value(t, data), theta, rng, 3, 1e-12, 1e-10);
    const again = c.GraphModel.fromJSON(JSON.stringify(model.toJSON()));
    assert.ok(relErr(again.apply(theta, data.x).dataSync(), model.apply(theta, data.x).dataSync()) === 0);
    const viaSpec = c.modelFromSpec(JSON.parse(JSON.stringify(c.modelSpec(model))));
    assert.equal(viaSpec.flatParams.map((p) => p.name), model.flatParams.map((p) => p.name));
    const seq = c.Sequential.mlp([5, 4, 3]);
    const seq2 = c.modelFromSpec(JSON.parse(JSON.stringify(c.modelSpec(seq))));
    assert.is(seq2.describe(), seq.describe());
  });

  s('K-FAC factors the graph\'s Linear layers and takes a fallback for LayerNorm', () => {
    const rng = new Random(9);
    const model = new c.GraphModel(residualSpec());
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = c.mul(randn(rng, [model.numParams]), 0.5);
    const data = { x: randn(rng, [8, 5]), y: labels(rng, 8, 3) };
    const op = c.gaussNewtonOperator(objective, theta, data);
    assert.throws(() => c.fitSolver('ekfac', op), (e: unknown) => e instanceof c.UnsupportedLayerError && /block\.norm/.test((e as Error).message));
    const sol = c.fitSolver('ekfac', op, { kroneckerFallback: 'direct', damping: 0.1 });
    const b = randn(rng, [model.numParams]);
    const r = sol.solve(b);
    assert.equal((r.info!['fallback'] as { block: string; size: number }[]).map((f) => [f.block, f.size]), [['block.norm', 12]]);
    assert.ok(r.x.dataSync().every(Number.isFinite));
    sol.dispose();
  });

  s.run();
}

const e = suite('GraphModel: typed errors for malformed graphs');
e('each malformed graph names what is wrong', () => {
  const base = residualSpec();
  const withNodes = (nodes: unknown[]): unknown => ({ ...base, nodes });
  const cases: [unknown, RegExp, typeof c.InputError | typeof c.ShapeError][] = [
    [{ ...base, format: 'onnx' }, /format 'curvature-graph'/, c.InputError],
    [{ ...base, input: { name: 'x', shape: [0] } }, /'input' must be/, c.InputError],
    [withNodes([...base.nodes, { ...base.nodes[0]!, name: 'head' }]), /used twice/, c.InputError],
    [withNodes([{ ...base.nodes[1]!, inputs: ['fc_in'] }, ...base.nodes]), /not the graph input or an earlier node/, c.InputError],
    [withNodes(base.nodes.map((n) => (n.name === 'cat' ? { ...n, axis: 0 } : n))), /axis.*other than 0/, c.InputError],
    [withNodes(base.nodes.map((n) => (n.name === 'res' ? { ...n, inputs: ['fc_in', 'x'] } : n))), /node 'res'.*add needs inputs of one shape/, c.ShapeError],
    [withNodes(base.nodes.map((n) => (n.name === 'head' ? { ...n, layer: { kind: 'linear', inFeatures: 7, outFeatures: 3 } } : n))), /node 'head'.*\[N, …, 7\]/, c.ShapeError],
    [withNodes([...base.nodes, { name: 'dead', inputs: ['x'], layer: { kind: 'linear', inFeatures: 5, outFeatures: 2 } }]), /'dead' has parameters but does not lead to the output/, c.InputError],
    [withNodes(base.nodes.map((n) => (n.name === 'relu' ? { ...n, layer: { kind: 'swish' } } : n))), /unknown layer kind 'swish'/, c.InputError],
    [withNodes(base.nodes.map((n) => (n.name === 'fc_in' ? { ...n, layer: { kind: 'linear', inFeatures: '5', outFeatures: 6 } } : n))), /'inFeatures' of a linear layer must be an integer/, c.InputError],
    [{ ...base, output: 'x' }, /'output' must name a node/, c.InputError],
    [{ ...base, parameters: ['head.weight'] }, /'parameters' must list each/, c.InputError],
    [{ ...base, parameters: residualSpec(true).parameters!.map((p) => (p === 'head.weight' ? 'head.bias' : p === 'head.bias' ? 'head.weight' : p)) }, /node 'head' must come together.*weight, bias/, c.InputError],
  ];
  for (const [spec, re, type] of cases) throwsType(() => c.GraphModel.fromJSON(JSON.stringify(spec)), type, re);
  throwsType(() => c.GraphModel.fromJSON('{not json'), c.InputError, /not valid JSON/);
  const model = new c.GraphModel(base);
  throwsType(() => model.checkInput({ shape: [3, 4] }), c.ShapeError, /takes inputs \[N, 5\], got \[3, 4\]/);
  throwsType(() => model.apply(c.zeros([3]), c.zeros([1, 5])), c.ShapeError, /parameters, got θ of shape \[3\]/);
});
e.run();
