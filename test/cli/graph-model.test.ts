import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { readNpy } from '../../src/io/npy.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { breastCancerSplit } from '../../src/cli/data-args.js';
import { relErr } from '../helpers.js';
import { runCli } from './fixture-files.js';

/**
 * A hand-written JSON graph in the CLI: `train --arch-file` fits it and stores the architecture in
 * the model file; `influence` reads it back (no architecture flag) and gives the library's scores for
 * the same model, θ and data; --arch beside a graph and a contradicting --arch-file exit 2.
 */
const dir = mkdtempSync(join(tmpdir(), 'curvature-graph-cli-'));
const graph: c.GraphSpec = {
  format: 'curvature-graph', version: 1, input: { name: 'x', shape: [30] }, output: 'out',
  nodes: [
    { name: 'fc', inputs: ['x'], layer: { kind: 'linear', inFeatures: 30, outFeatures: 4 } },
    { name: 'act', inputs: ['fc'], layer: { kind: 'tanh' } },
    { name: 'skip', inputs: ['x'], layer: { kind: 'linear', inFeatures: 30, outFeatures: 4, bias: false } },
    { name: 'sum', inputs: ['act', 'skip'], op: 'add' },
    { name: 'out', inputs: ['sum'], layer: { kind: 'linear', inFeatures: 4, outFeatures: 1 } },
  ],
};
const archFile = join(dir, 'graph.json');
writeFileSync(archFile, JSON.stringify(graph));
const modelFile = join(dir, 'model.safetensors');

test('train --arch-file stores the graph; influence reads it back and gives the library\'s scores (≤ 1e-12)', () => {
  const t = runCli(['train', '--arch-file', archFile, '--data', 'breast-cancer', '--weight-decay', '0.01', '--out', modelFile, '--quiet']);
  assert.is(t.status, 0, t.stderr);
  const file = readSafetensors(modelFile);
  assert.equal(JSON.parse(file.metadata['architecture']!), graph);
  assert.equal([...file.tensors.keys()], ['fc.weight', 'fc.bias', 'skip.weight', 'out.weight', 'out.bias']);
  const out = join(dir, 'scores.npy');
  const r = runCli(['influence', '--model', modelFile, '--data', 'breast-cancer', '--solver', 'direct', '--test-limit', '3', '--out', out, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const model = new c.GraphModel(graph);
  const objective = new c.Objective(model, c.bceWithLogitsLoss, 0.01);
  const theta = c.loadStateDict(model, file.tensors, 'float64', modelFile);
  const { train, test: testSet } = breastCancerSplit();
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  const want = infl.influence(c.batchOf(testSet, 0, 3)).scores.dataSync();
  infl.dispose();
  const got = readNpy(readFileSync(out)).data as Float64Array;
  assert.ok(relErr(got, want) <= 1e-12, `CLI vs library ${relErr(got, want)}`);
});

test('a graph model refuses --arch; a contradicting --arch-file exits 2 unless --override-metadata', () => {
  const arch = runCli(['influence', '--model', modelFile, '--data', 'breast-cancer', '--arch', '30,1', '--quiet']);
  assert.is(arch.status, 2);
  assert.match(arch.stderr, /--arch does not apply to a graph model/);
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...graph, nodes: graph.nodes.map((n) => (n.name === 'act' ? { ...n, layer: { kind: 'relu' } } : n)) }));
  const contra = runCli(['influence', '--model', modelFile, '--data', 'breast-cancer', '--arch-file', other, '--quiet']);
  assert.is(contra.status, 2);
  assert.match(contra.stderr, /contradicts the architecture stored in/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"format": "curvature-graph", "version": 1, "input": {"name": "x", "shape": [30]}, "nodes": [], "output": "x"}');
  const b = runCli(['train', '--arch-file', bad, '--data', 'breast-cancer', '--out', join(dir, 'b.safetensors'), '--quiet']);
  assert.is(b.status, 2);
  assert.match(b.stderr, /'nodes' must be a non-empty array/);
});

test.run();
