import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { fitStoreChild } from './fit-store-children.js';
import { smallProblem } from './problem.js';

const s = suite('influence fit store (save → load in another process)');
const root = mkdtempSync(join(tmpdir(), 'curv-fit-store-'));
s.before(() => { c.setBackend('js'); });
s.after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (name: string): string => join(root, `${name}-${++counter}`);

const CASES: [string, c.InfluenceOptions][] = [
  ['direct', { solver: 'direct' }],
  ['cg + jacobi', { solver: 'cg', solverOptions: { preconditioner: 'jacobi', rtol: 1e-10 } }],
  ['cg + nystrom', { solver: 'cg', solverOptions: { preconditioner: 'nystrom', rank: 6, rtol: 1e-10 } }],
  ['block-cg + jacobi', { solver: 'block-cg', hessian: 'gauss-newton', solverOptions: { preconditioner: 'jacobi', rtol: 1e-10 } }],
  ['nystrom', { solver: 'nystrom', hessian: 'gauss-newton', solverOptions: { rank: 6 } }],
  ['arnoldi', { solver: 'arnoldi', solverOptions: { rank: 6 } }],
  ['datainf', { solver: 'datainf', hessian: 'empirical-fisher', damping: 1e-2 }],
  ['diagonal', { solver: 'diagonal', hessian: 'gauss-newton' }],
  ['lissa (tuned)', { solver: 'lissa', hessian: 'gauss-newton', damping: 0.1, solverOptions: { depth: 40 } }],
  ['neumann', { solver: 'neumann', hessian: 'gauss-newton', damping: 0.1, solverOptions: { maxIter: 30 } }],
  ['block-diagonal direct', { solver: 'direct', solverOptions: { blockDiagonal: true } }],
  ['block-diagonal nystrom', { solver: 'nystrom', hessian: 'gauss-newton', solverOptions: { blockDiagonal: true, rank: 4 } }],
];

s('direct, cg (jacobi, nystrom), block-cg, nystrom, arnoldi, datainf, diagonal, lissa, neumann, block-diagonal: scores after load in fresh processes equal the fitting process\'s bit for bit', () => {
  const dir = freshDir('cases');
  const cases = CASES.map(([name, o]): [string, c.InfluenceOptions] => [name.replace(/\W+/g, '-'), o]);
  const saved = fitStoreChild('save', dir, cases);
  for (const [name] of cases) assert.ok(existsSync(join(dir, name, 'manifest.json')) && existsSync(join(dir, name, 'solver.safetensors')), name);
  assert.is(readdirSync(dir).filter((f) => f.endsWith('.partial')).length, 0, 'no temporary directory is left');
  const loaded = fitStoreChild('load', dir, cases);
  // With no options the manifest supplies them.
  const bare = fitStoreChild('load', dir, cases.map(([name]) => [name, {}]));
  for (const [name] of cases) {
    assert.is(loaded.get(name), saved.get(name), `${name}: loaded with the same options`);
    assert.is(bare.get(name), saved.get(name), `${name}: loaded with the manifest's options`);
  }
});

s('a load never refits: the operator sees no product while direct is restored', () => {
  const { objective, theta, train } = smallProblem();
  const dir = freshDir('no-refit');
  const fitted = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  const manifest = fitted.save(dir);
  assert.is(manifest.solver, 'direct');
  assert.is(manifest.trainSize, 30);
  assert.is(manifest.stages['solver']!.info['factorization'], 'cholesky');
  let products = 0;
  const loaded = c.InfluenceModel.load(dir, objective, theta, train, { onProduct: () => { products++; } });
  assert.is(products, 0);
  fitted.dispose(); loaded.dispose();
});

function expectMismatch(f: () => unknown, field: RegExp): void {
  try {
    f();
  } catch (err) {
    assert.instance(err, c.FitMismatchError);
    assert.instance(err, c.InputError);
    assert.match((err as c.FitMismatchError).field, field);
    return;
  }
  assert.unreachable('expected a FitMismatchError');
}

s('a load against a different θ, N, loss, weight decay, solver or option is refused with FitMismatchError', () => {
  const { model, objective, theta, train } = smallProblem();
  const dir = freshDir('mismatch');
  const fitted = c.InfluenceModel.fit(objective, theta, train, { solver: 'cg', solverOptions: { preconditioner: 'jacobi' } });
  fitted.save(dir);
  fitted.dispose();
  const t = Float64Array.from(theta.dataSync());
  t[7] = t[7]! + 1e-12;
  expectMismatch(() => c.InfluenceModel.load(dir, objective, c.tensor(t, theta.shape, 'float64'), train), /θ/);
  const fewer = { x: c.slice(train.x, [0, 0], [29, 4]), y: c.slice(train.y, [0], [29]) };
  expectMismatch(() => c.InfluenceModel.load(dir, objective, theta, fewer), /training-set size/);
  expectMismatch(() => c.InfluenceModel.load(dir, new c.Objective(model, c.mseLoss, 1e-2), theta, train), /loss/);
  expectMismatch(() => c.InfluenceModel.load(dir, new c.Objective(model, c.crossEntropyLoss, 1e-3), theta, train), /weight decay/);
  expectMismatch(() => c.InfluenceModel.load(dir, objective, theta, train, { solver: 'direct' }), /solver/);
  expectMismatch(() => c.InfluenceModel.load(dir, objective, theta, train, { damping: 0.5 }), /damping/);
  expectMismatch(() => c.InfluenceModel.load(dir, objective, theta, train, { hessian: 'gauss-newton' }), /hessian/);
  expectMismatch(() => c.InfluenceModel.load(dir, objective, theta, train, { solverOptions: { preconditioner: 'nystrom' } }), /preconditioner/);
  const other = c.Sequential.mlp([4, 6, 3], 'tanh');
  expectMismatch(() => c.InfluenceModel.load(dir, new c.Objective(other, c.crossEntropyLoss, 1e-2), other.init({ seed: 1, dtype: 'float64' }), train), /architecture|parameter/);
});

s('a missing, corrupted or foreign manifest or stage file is an InputError, never an internal error', () => {
  const { objective, theta, train } = smallProblem();
  const dir = freshDir('corrupt');
  const fitted = c.InfluenceModel.fit(objective, theta, train, { solver: 'arnoldi', solverOptions: { rank: 4 } });
  fitted.save(dir);
  fitted.dispose();
  const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8');
  const stage = readFileSync(join(dir, 'solver.safetensors'));
  const refused = (what: string, pattern: RegExp): void => {
    try {
      c.InfluenceModel.load(dir, objective, theta, train);
    } catch (err) {
      assert.instance(err, c.InputError, `${what}: ${String(err)}`);
      assert.not.instance(err, c.FitMismatchError, what);
      assert.match((err as Error).message, pattern, what);
      return;
    }
    assert.unreachable(`${what}: expected an InputError`);
  };
  c.InfluenceModel.load(join(dir), objective, theta, train).dispose();
  writeFileSync(join(dir, 'manifest.json'), manifest.slice(0, 100));
  refused('truncated manifest', /not valid JSON/);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...JSON.parse(manifest), version: 99 }));
  refused('future version', /version 99/);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...JSON.parse(manifest), theta: 3 }));
  refused('malformed field', /theta/);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([1, 2]));
  refused('not an object', /JSON object/);
  rmSync(join(dir, 'manifest.json'));
  refused('missing manifest', /no saved fit/);
  writeFileSync(join(dir, 'manifest.json'), manifest);
  const bad = Uint8Array.from(stage);
  bad[bad.length - 3] ^= 1;
  writeFileSync(join(dir, 'solver.safetensors'), bad);
  refused('flipped bit in the stage file', /SHA-256/);
  rmSync(join(dir, 'solver.safetensors'));
  refused('missing stage file', /cannot read solver\.safetensors/);
  assert.throws(() => c.InfluenceModel.load(freshDir('nothing'), objective, theta, train), (e: unknown) => e instanceof c.InputError);
});

s('save replaces an older fit, refuses a non-empty foreign directory, and refuses an unsaveable solver', () => {
  const { objective, theta, train } = smallProblem();
  const dir = freshDir('replace');
  const a = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  a.save(dir);
  const b = c.InfluenceModel.fit(objective, theta, train, { solver: 'diagonal' });
  b.save(dir);
  assert.is(c.readFitManifest(dir).solver, 'diagonal');
  assert.equal(readdirSync(dir).sort(), ['manifest.json', 'solver.safetensors']);
  const foreign = freshDir('foreign');
  writeFileSync(join(root, 'x.txt'), 'x');
  assert.throws(() => a.save(root), /not empty and holds no fit/);
  assert.not.ok(existsSync(foreign));
  const f = c.InfluenceModel.fit(objective, theta, train, { solver: 'cg', solverOptions: { preconditioner: (r: c.Tensor) => r } });
  assert.throws(() => f.save(freshDir('fn')), (e: unknown) => e instanceof c.InputError);
  a.dispose(); b.dispose(); f.dispose();
});

s.run();
