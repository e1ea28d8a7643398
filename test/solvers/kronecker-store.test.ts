import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { FIT_STORE_CHILD, fitStoreChild } from '../influence/fit-store-children.js';
import { smallProblem } from '../influence/problem.js';

/**
 * Issue 12, item 8: an InfluenceModel with solver 'ekfac' / 'kfac' (and CG preconditioned by
 * EK-FAC) saved and loaded gives the same scores bit for bit — in the same process and in fresh
 * processes (the fit-store child of test/influence/fit-store.test.ts, which prints the scores' float64
 * bytes as hex).
 */
const s = suite('K-FAC / EK-FAC fits: save → load gives identical scores');
s.before(() => { c.setBackend('js'); });
const root = mkdtempSync(join(tmpdir(), 'curv-kfac-store-'));
s.after(() => rmSync(root, { recursive: true, force: true }));
const hex = (t: c.Tensor): string => Buffer.from(Float64Array.from(t.dataSync()).buffer).toString('hex');

const CASES: [string, c.InfluenceOptions][] = [
  ['ekfac', { solver: 'ekfac', hessian: 'gauss-newton', damping: 0.1 }],
  ['kfac', { solver: 'kfac', hessian: 'gauss-newton', damping: 0.01 }],
  ['ekfac-sampled', { solver: 'ekfac', hessian: 'gauss-newton', damping: 0.1, solverOptions: { fisherSamples: 2, seed: 3 } }],
  ['ekfac-ef', { solver: 'ekfac', hessian: 'empirical-fisher', damping: 0.1 }],
  ['ekfac-heuristic', { solver: 'ekfac', hessian: 'gauss-newton', solverOptions: { dampingHeuristic: true } }],
  ['cg-ekfac', { solver: 'cg', solverOptions: { preconditioner: 'ekfac', rtol: 1e-10 } }],
];

s('same process: ekfac, kfac, sampled, empirical Fisher, damping heuristic, cg + ekfac preconditioner', () => {
  const { objective, theta, train, test } = smallProblem();
  for (const [name, options] of CASES) {
    const dir = join(root, `same-${name}`);
    const fitted = c.InfluenceModel.fit(objective, theta, train, options);
    const manifest = fitted.save(dir);
    assert.is(manifest.solver, options.solver, name);
    const a = fitted.influence(test).scores, sa = fitted.selfInfluence(train).scores;
    let products = 0;
    const loaded = c.InfluenceModel.load(dir, objective, theta, train, { ...options, onProduct: () => { products++; } });
    const b = loaded.influence(test).scores, sb = loaded.selfInfluence(train).scores;
    assert.is(hex(b), hex(a), `${name}: test × train scores`);
    assert.is(hex(sb), hex(sa), `${name}: self-influence`);
    if (options.solver !== 'cg') assert.is(products, 0, `${name}: loading and scoring with a Kronecker solver needs no curvature product`);
    fitted.dispose(); loaded.dispose();
  }
});

s('fresh processes: the scores after load equal the fitting process\'s bit for bit', () => {
  assert.ok(existsSync(FIT_STORE_CHILD), `fit-store child at ${FIT_STORE_CHILD}`);
  const dir = join(root, 'processes');
  const run = (mode: 'save' | 'load', cases: [string, c.InfluenceOptions][]): Map<string, string> => fitStoreChild(mode, dir, cases);
  const saved = run('save', CASES);
  const loaded = run('load', CASES);
  const bare = run('load', CASES.map(([name]) => [name, {}]));
  for (const [name] of CASES) {
    assert.is(loaded.get(name), saved.get(name), `${name}: loaded with the same options`);
    assert.is(bare.get(name), saved.get(name), `${name}: loaded with the manifest's options`);
  }
});

s.run();
