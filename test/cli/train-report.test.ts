import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors } from '../../src/io/safetensors.js';
import { runCli, tinyFiles } from './fixture-files.js';
import { chromiumPath, dumpDom } from '../report/chromium.js';

/** `curvature train`, `influence --validate`, `--data` shortcuts and `report`, end to end through files. */
const dir = mkdtempSync(join(tmpdir(), 'curvature-train-'));
const bc = ['--data', 'breast-cancer', '--arch', '30,1', '--weight-decay', '0.01'];
const model = join(dir, 'bc.safetensors');

test('train: L-BFGS logistic regression on breast cancer, saved as a state_dict with metadata', () => {
  const r = runCli(['train', ...bc, '--grad-tol', '1e-10', '--out', model, '--json', join(dir, 'train.json')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /L-BFGS iterations: done/);
  const s = JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8'));
  assert.is(s.model.loss, 'bce-with-logits');
  assert.ok(s.gradNorm <= 1e-10 && s.converged);
  assert.ok(s.testAccuracy > 0.95, `test accuracy ${s.testAccuracy}`);
  const f = readSafetensors(model);
  assert.equal([...f.tensors.keys()].sort(), ['0.bias', '0.weight']);
  assert.equal(f.tensors.get('0.weight')!.shape, [1, 30]);
  assert.is(f.metadata['arch'], '30,1');
});

test('influence --validate loo: predicted vs retrained test-loss change correlate (Pearson ≥ 0.95); report renders', () => {
  const json = join(dir, 'loo.json'), html = join(dir, 'loo.html');
  const r = runCli(['influence', ...bc, '--model', model, '--test-index', '200', '--top', '5', '--json', json, '--report', html]);
  assert.is(r.status, 2, 'the breast-cancer test split has 114 rows');
  assert.match(r.stderr, /--test-index: index 200 is out of range: the test data has 114 rows/);
  assert.not.ok(existsSync(json) || existsSync(html), 'a failed run writes nothing');
  const ok = runCli(['influence', ...bc, '--model', model, '--top', '5', '--validate', 'loo', '--validate-top', '8', '--json', json, '--report', html, '--quiet']);
  assert.is(ok.status, 0, ok.stderr);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(s.validation.kind, 'loo');
  assert.match(s.validation.method, /chord Newton/);
  assert.ok(s.validation.maxGradNorm <= 1e-10);
  assert.is(s.validation.pairs.length, 114 * 8);
  assert.ok(s.validation.pearson >= 0.95, `Pearson ${s.validation.pearson}`);
  const page = readFileSync(html, 'utf8');
  assert.is((page.match(/<circle class="point"/g) ?? []).length, 114 * 8);
  // Re-rendering from the JSON gives the same page.
  const again = join(dir, 'again.html');
  const rr = runCli(['report', '--summary', json, '--out', again]);
  assert.is(rr.status, 0, rr.stderr);
  assert.is(readFileSync(again, 'utf8'), page);
});

test('influence --validate pbrf with damped Gauss-Newton influence (the PBRF linearisation): Pearson ≥ 0.95', () => {
  const json = join(dir, 'pbrf.json');
  const r = runCli(['influence', ...bc, '--model', model, '--hessian', 'gauss-newton', '--damping', '0.001', '--validate', 'pbrf', '--validate-top', '5', '--json', json, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(s.validation.kind, 'pbrf');
  assert.ok(s.validation.pearson >= 0.95, `Pearson ${s.validation.pearson}`);
});

test('--data fashion-mnist: train (Adam) and influence with images in the report; Chromium renders it', () => {
  const fm = ['--data', 'fashion-mnist', '--train-limit', '200', '--test-limit', '2', '--arch', '784,10', '--weight-decay', '0.01'];
  const m = join(dir, 'fm.safetensors');
  const t = runCli(['train', ...fm, '--optimizer', 'adam', '--epochs', '3', '--lr', '0.01', '--minibatch', '50', '--out', m, '--json', '-', '--quiet']);
  assert.is(t.status, 0, t.stderr);
  assert.is(JSON.parse(t.stdout).epochLosses.length, 3);
  const html = join(dir, 'fm.html');
  const r = runCli(['influence', ...fm, '--model', m, '--solver', 'cg', '--rtol', '1e-6', '--top', '3', '--report', html, '--json', join(dir, 'fm.json'), '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const page = readFileSync(html, 'utf8');
  assert.is((page.match(/<img class="thumb" src="data:image\/png;base64,/g) ?? []).length, 2 * 6 + 2);
  assert.is((page.match(/<polyline class="series"/g) ?? []).length, 2);
  const chromium = chromiumPath();
  assert.ok(chromium.path, `Chromium is needed for this check (.ci/run installs it): ${chromium.reason}`);
  const dom = dumpDom(chromium.path!, html);
  assert.is((dom.match(/<table class="influence"/g) ?? []).length, 2);
  assert.match(dom, /Ankle boot|T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag/);
});

test('bad input: clear message on stderr and a non-zero exit code', () => {
  const tiny = tinyFiles(2);
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"command":"train"}');
  const cases: [string[], RegExp, number][] = [
    [['influence', ...tiny.common, ...tiny.testFlags, '--hessian', 'fisher'], /argument 'fisher' is invalid. Allowed choices are exact, gauss-newton, empirical-fisher/, 2],
    [['influence', ...tiny.common, ...tiny.testFlags, '--validate', 'kfold'], /argument 'kfold' is invalid. Allowed choices are loo, pbrf/, 2],
    [['influence', ...tiny.common, ...tiny.testFlags, '--top', '0'], /--top: expected an integer ≥ 1, got '0'/, 2],
    [['influence', ...tiny.common, ...tiny.testFlags, '--chunk', '2.5'], /--chunk: expected an integer/, 2],
    [['influence', ...tiny.common], /nothing to compute/, 2],
    [['influence', ...tiny.common, '--self', '--validate', 'loo'], /--validate needs test data/, 2],
    [['influence', ...tiny.common, ...tiny.testFlags, '--hessian', 'empirical-fisher', '--solver', 'lissa'], /lissa/, 2],
    [['influence', '--model', model, '--arch', '30,1', '--data', 'mnist', '--self'], /--data: expected fashion-mnist/, 2],
    [['influence', ...tiny.common, '--data', 'breast-cancer'], /--data and --train-x cannot be combined/, 2],
    [['influence', '--model', model, '--arch', '784,10', '--data', 'breast-cancer', '--self'], /--arch 784,10 contradicts the model file .* trained with arch 30,1/, 2],
    [['influence', '--model', join(dir, 'fm.safetensors'), '--arch', '784,10', '--data', 'breast-cancer', '--self'], /ShapeError: training data: inputs have 30 features, .* expects 784/, 2],
    [['influence', '--model', model, '--arch', '30,1', '--data', 'fashion-mnist:/nonexistent', '--self'], /Fashion-MNIST file not found/, 2],
    [['influence', '--model', model, '--arch', '30,1', '--data', 'fashion-mnist', '--train-limit', '999999', '--self'], /limit 999999 exceeds/, 2],
    [['train', ...bc], /missing required flag --out/, 2],
    [['train', ...bc, '--out', join(dir, 'x.safetensors'), '--optimizer', 'newton'], /argument 'newton' is invalid. Allowed choices are lbfgs, adam, sgd/, 2],
    [['train', ...bc, '--out', join(dir, 'x.safetensors'), '--model', model], /unknown option '--model'/, 2],
    [['report', '--out', join(dir, 'r.html')], /missing required flag --summary/, 2],
    [['report', '--summary', join(dir, 'missing.json'), '--out', join(dir, 'r.html')], /cannot read a JSON summary/, 2],
    [['report', '--summary', notJson, '--out', join(dir, 'r.html')], /expected the JSON written by 'curvature influence --json', got a 'train' summary/, 2],
    [['report', '--summary', notJson, '--out', join(dir, 'r.html'), '--bogus'], /unknown option '--bogus'/, 2],
  ];
  for (const [args, pattern, code] of cases) {
    const r = runCli(args);
    assert.is(r.status, code, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.not.match(r.stderr, /internal error/);
  }
  assert.not.ok(existsSync(join(dir, 'r.html')));
});

test.run();
