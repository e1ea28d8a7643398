import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy } from '../../src/io/npy.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { breastCancerModels } from './breast-cancer-models.js';
import { runCli, tinyFiles } from './fixture-files.js';

/** Issue 9 item 3: the model file carries its settings; flags that contradict it, and files without it. */
const { dir, lr, rough } = breastCancerModels();
const tiny = tinyFiles(2); // a PyTorch state_dict without metadata

test('train writes arch, loss and weight decay (activation only with a hidden layer) into the model file', () => {
  assert.equal(readSafetensors(lr).metadata, { arch: '30,1', loss: 'bce-with-logits', weight_decay: '0.01' });
  assert.equal(readSafetensors(rough).metadata, { arch: '30,3,1', activation: 'tanh', loss: 'bce-with-logits', weight_decay: '0' });
});

test('influence on a trained model needs no architecture flags and gives the same scores as with them', () => {
  const a = join(dir, 'a.npy'), b = join(dir, 'b.npy');
  const r1 = runCli(['influence', '--model', rough, '--data', 'breast-cancer', '--hessian', 'gauss-newton', '--damping', '0.01', '--out', a, '--quiet']);
  assert.is(r1.status, 0, r1.stderr);
  const r2 = runCli(['influence', '--model', rough, '--data', 'breast-cancer', '--hessian', 'gauss-newton', '--damping', '0.01', '--out', b, '--quiet',
    '--arch', '30,3,1', '--activation', 'tanh', '--loss', 'bce-with-logits', '--weight-decay', '0']);
  assert.is(r2.status, 0, r2.stderr);
  assert.equal(readNpy(a).data, readNpy(b).data);
  assert.equal(readNpy(a).shape, [114, 455]);
});

test('a flag that contradicts the metadata is an error; --override-metadata uses it with a warning', () => {
  const base = ['influence', '--model', rough, '--data', 'breast-cancer', '--test-index', '0', '--hessian', 'gauss-newton', '--damping', '0.01'];
  for (const [flag, value, key, stored] of [['--weight-decay', '0.1', 'weight_decay', '0'], ['--activation', 'relu', 'activation', 'tanh'], ['--loss', 'mse', 'loss', 'bce-with-logits'], ['--arch', '30,4,1', 'arch', '30,3,1']] as const) {
    const r = runCli([...base, flag, value, '--quiet']);
    assert.is(r.status, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} ${value} contradicts the model file .*trained with ${key} ${stored}.*--override-metadata`));
  }
  const ok = runCli([...base, '--weight-decay', '0.1', '--override-metadata', '--json', '-', '--quiet']);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /warning: using --weight-decay 0\.1 instead of the model file's weight_decay 0 \(--override-metadata\)/);
  assert.is(JSON.parse(ok.stdout).model.weightDecay, 0.1);
  // The same value written differently is no contradiction.
  const same = runCli([...base, '--weight-decay', '0.0', '--arch', '30, 3, 1', '--quiet']);
  assert.is(same.status, 0, same.stderr);
});

test('a model file without metadata needs every setting as a flag; a missing one is named (never a silent weight decay of 0)', () => {
  const full = tiny.common; // --model --arch --activation --loss --train-x --train-y --weight-decay
  const without = (name: string): string[] => {
    const i = full.indexOf(`--${name}`);
    return [...full.slice(0, i), ...full.slice(i + 2)];
  };
  for (const [name, what] of [['weight-decay', 'weight decay'], ['arch', 'architecture'], ['activation', 'hidden activation'], ['loss', 'loss']]) {
    const r = runCli(['influence', ...without(name), ...tiny.testFlags, '--quiet']);
    assert.is(r.status, 2, `without --${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`does not record its ${what} .*: pass --${name}`));
  }
  const ok = runCli(['influence', ...full, ...tiny.testFlags, '--quiet']);
  assert.is(ok.status, 0, ok.stderr);
});

test('--activation on a model without a hidden layer is ignored with a warning', () => {
  const r = runCli(['influence', '--model', lr, '--data', 'breast-cancer', '--test-index', '0', '--activation', 'relu']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: --activation relu is ignored: a 30,1 model has no hidden layer/);
  assert.ok(readFileSync(lr).length > 0);
});

test.run();
