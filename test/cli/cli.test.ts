import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import * as c from '../../src/index.js';
import { get, loadFixture } from '../fixtures.js';
import { relErr, repoRoot } from '../helpers.js';

/** The CLI end to end on the mlp-tiny PyTorch fixture, through files, as a user runs it. */
const fx = loadFixture('mlp-tiny');
const dir = mkdtempSync(join(tmpdir(), 'curvature-cli-'));
const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

const model = c.Sequential.mlp([49, 8, 10], 'tanh');
const theta = c.tensor(get(fx, 'theta').data, [490], 'float64');
writeSafetensors(join(dir, 'model.safetensors'), c.stateDict(model, theta));
const f64 = (name: string) => ({ data: get(fx, name).data, shape: get(fx, name).shape, dtype: 'float64' as const });
writeNpy(join(dir, 'train_x.npy'), f64('train_x'));
writeNpy(join(dir, 'test_x.npy'), { ...f64('test_x'), data: get(fx, 'test_x').data.slice(0, 10 * 49), shape: [10, 49] });
writeNpy(join(dir, 'train_y.npy'), { data: BigInt64Array.from(get(fx, 'train_y').data, (v) => BigInt(v)), shape: [500], dtype: 'int64' });
writeNpy(join(dir, 'test_y.npy'), { data: BigInt64Array.from(get(fx, 'test_y').data.slice(0, 10), (v) => BigInt(v)), shape: [10], dtype: 'int64' });
writeNpy(join(dir, 'v.npy'), f64('v'));

const common = ['--model', join(dir, 'model.safetensors'), '--arch', '49,8,10', '--activation', 'tanh', '--loss', 'cross-entropy',
  '--train-x', join(dir, 'train_x.npy'), '--train-y', join(dir, 'train_y.npy'), '--weight-decay', '1e-3'];

function run(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

for (const solver of ['direct', 'cg', 'block-cg']) {
  test(`influence --solver ${solver}: scores .npy and JSON summary match PyTorch (rel ≤ 1e-6)`, () => {
    const out = join(dir, `scores-${solver}.npy`), json = join(dir, `summary-${solver}.json`);
    const r = run(['influence', ...common, '--test-x', join(dir, 'test_x.npy'), '--test-y', join(dir, 'test_y.npy'),
      '--solver', solver, ...(solver === 'direct' ? [] : ['--rtol', '1e-10']), '--out', out, '--json', json]);
    assert.is(r.status, 0, r.stderr);
    const scores = readNpy(out);
    assert.is(scores.dtype, 'float64');
    assert.equal(scores.shape, [10, 500]);
    const block = new Float64Array(1000);
    for (let i = 0; i < 10; i++) block.set((scores.data as Float64Array).subarray(i * 500, i * 500 + 100), i * 100);
    assert.ok(relErr(block, get(fx, 'influence_test_train').data) <= 1e-6);
    const summary = JSON.parse(readFileSync(json, 'utf8'));
    assert.is(summary.solver, solver);
    assert.is(summary.converged, true);
    assert.equal(summary.shapes.scores, [10, 500]);
    assert.ok(typeof summary.timings.scoreSeconds === 'number');
  });
}

test('hvp: H·v matches PyTorch (rel ≤ 1e-9); gauss-newton too', () => {
  for (const [kind, ref] of [['exact', 'hvp_v'], ['gauss-newton', 'gnhvp_v']] as const) {
    const out = join(dir, `hv-${kind}.npy`);
    const r = run(['hvp', ...common, '--hessian', kind, '--vector', join(dir, 'v.npy'), '--out', out, '--json', join(dir, 'hvp.json')]);
    assert.is(r.status, 0, r.stderr);
    assert.ok(relErr(readNpy(out).data as Float64Array, get(fx, ref).data) <= 1e-9);
  }
});

test('bad input: typed errors on stderr with non-zero exit codes', () => {
  const cases: [string[], RegExp, number][] = [
    [['influence', ...common.map((a) => (a === join(dir, 'model.safetensors') ? join(dir, 'missing.safetensors') : a))], /InputError/, 2],
    [['hvp', ...common.map((a) => (a === '49,8,10' ? '49,9,10' : a)), '--vector', join(dir, 'v.npy'), '--out', join(dir, 'x.npy')], /ShapeError/, 2],
    [['hvp', ...common, '--out', join(dir, 'x.npy')], /missing required flag --vector/, 2],
    [['influence', ...common, '--test-x', join(dir, 'test_x.npy'), '--test-y', join(dir, 'test_y.npy'), '--solver', 'magic'], /--solver/, 2],
    [['influence', ...common, '--bogus'], /unknown option '--bogus'/, 2],
    [['frobnicate'], /unknown command 'frobnicate'/, 2],
    [['hvp', ...common, '--vector', join(dir, 'train_x.npy'), '--out', join(dir, 'x.npy')], /vector has/, 2],
  ];
  for (const [args, pattern, code] of cases) {
    const r = run(args);
    assert.is(r.status, code, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  // NaN in the inputs is caught before any computation.
  const bad = get(fx, 'train_x').data.slice();
  bad[7] = NaN;
  writeNpy(join(dir, 'nan_x.npy'), { data: bad, shape: [500, 49], dtype: 'float64' });
  const r = run(['hvp', ...common.map((a) => (a === join(dir, 'train_x.npy') ? join(dir, 'nan_x.npy') : a)), '--vector', join(dir, 'v.npy'), '--out', join(dir, 'x.npy')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /non-finite|NaN/);
  // Labels out of range.
  writeNpy(join(dir, 'bad_y.npy'), { data: BigInt64Array.from({ length: 500 }, () => 12n), shape: [500], dtype: 'int64' });
  const r2 = run(['hvp', ...common.map((a) => (a === join(dir, 'train_y.npy') ? join(dir, 'bad_y.npy') : a)), '--vector', join(dir, 'v.npy'), '--out', join(dir, 'x.npy')]);
  assert.is(r2.status, 2);
  assert.match(r2.stderr, /outside \[0, 10\)/);
  writeFileSync(join(dir, 'garbage.npy'), 'not an npy file');
  const r3 = run(['hvp', ...common, '--vector', join(dir, 'garbage.npy'), '--out', join(dir, 'x.npy')]);
  assert.is(r3.status, 2);
});

test('help prints usage', () => {
  for (const args of [['help'], ['--help'], []]) {
    const r = run(args);
    assert.is(r.status, 0, args.join(' '));
    assert.match(r.stdout, /Usage: curvature \[options\] \[command\]/);
    assert.match(r.stdout, /influence \[options\]/);
  }
});

test.run();
