import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { get, loadFixture } from '../fixtures.js';
import { fixturePath, relErr } from '../helpers.js';
import { runCli } from './fixture-files.js';

/**
 * `--model model.onnx` in the CLI (issue 15): the CNN exported by torch.onnx.export, inputs as .npy
 * arrays of the model's input shape [N, 1, 28, 28], loss and weight decay as flags. Its scores
 * equal the library's for the same fit (EK-FAC; the import itself is checked against PyTorch
 * float64 in test/nn/onnx/import.test.ts, the CNN's dense solve in scripts/validate); flags that do not apply to an ONNX model, or a missing one, exit 2 with
 * a message naming them.
 */
const fx = loadFixture('models/cnn');
const dir = mkdtempSync(join(tmpdir(), 'curvature-onnx-cli-'));
const labels = (name: string) => ({ data: BigInt64Array.from(get(fx, name).data, (v) => BigInt(v)), shape: [get(fx, name).shape[0]!], dtype: 'int64' as const });
writeNpy(join(dir, 'train_x.npy'), { data: get(fx, 'x_train').data, shape: get(fx, 'x_train').shape, dtype: 'float64' });
writeNpy(join(dir, 'test_x.npy'), { data: get(fx, 'x_test').data, shape: get(fx, 'x_test').shape, dtype: 'float64' });
writeNpy(join(dir, 'train_y.npy'), labels('y_train'));
writeNpy(join(dir, 'test_y.npy'), labels('y_test'));
const files = ['--model', fixturePath('models/cnn.onnx'), '--train-x', join(dir, 'train_x.npy'), '--train-y', join(dir, 'train_y.npy'),
  '--test-x', join(dir, 'test_x.npy'), '--test-y', join(dir, 'test_y.npy'), '--loss', 'cross-entropy'];

test('influence --model cnn.onnx with [N, 1, 28, 28] .npy inputs: the library\'s scores (EK-FAC, ≤ 1e-12)', () => {
  const out = join(dir, 'scores.npy'), json = join(dir, 'summary.json');
  const damping = fx.meta['ihvp_damping'] as number;
  const r = runCli(['influence', ...files, '--weight-decay', '1e-3', '--solver', 'ekfac', '--hessian', 'gauss-newton', '--damping', String(damping),
    '--dtype', 'float64', '--out', out, '--json', json, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const scores = readNpy(readFileSync(out));
  assert.equal(scores.shape, [6, 48]);
  // The same fit in the library (test/nn/onnx/import.test.ts checks the import against PyTorch float64).
  const { model, theta } = c.loadOnnx(fixturePath('models/cnn.onnx'));
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const data = (s: 'train' | 'test') => ({ x: c.tensor(get(fx, `x_${s}`).data, get(fx, `x_${s}`).shape, 'float64'), y: c.tensor(Int32Array.from(get(fx, `y_${s}`).data), [get(fx, `y_${s}`).shape[0]!], 'int32') });
  const infl = c.InfluenceModel.fit(objective, c.tensor(theta, [model.numParams], 'float64'), data('train'), { solver: 'ekfac', hessian: 'gauss-newton', damping });
  const want = infl.influence(data('test')).scores.dataSync();
  infl.dispose();
  const e = relErr(scores.data as Float64Array, want);
  assert.ok(e <= 1e-12, `CLI vs library: ${e}`);
  const summary = JSON.parse(readFileSync(json, 'utf8')) as { model: { description: string; parameters: number; arch: string } };
  assert.is(summary.model.parameters, 4266);
  assert.is(summary.model.arch, 'cnn.onnx');
  assert.match(summary.model.description, /ONNX model cnn\.onnx .*Conv2d\(1, 4/);
});

test('an ONNX model: --arch is refused, --weight-decay is required, an unsupported operator names its node', () => {
  const arch = runCli(['influence', ...files, '--weight-decay', '0', '--arch', '784,10', '--quiet']);
  assert.is(arch.status, 2);
  assert.match(arch.stderr, /--arch does not apply to an ONNX model/);
  const wd = runCli(['influence', ...files, '--quiet']);
  assert.is(wd.status, 2);
  assert.match(wd.stderr, /does not record the weight decay: pass --weight-decay/);
  const bad = runCli(['influence', ...files.map((f) => (f.endsWith('cnn.onnx') ? fixturePath('models/cnn-unsupported-op.onnx') : f)), '--weight-decay', '0', '--quiet']);
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /HardSigmoid/);
});

test.run();
