import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { get, loadFixture } from '../fixtures.js';
import { relErr } from '../helpers.js';
import { pearsonRef } from '../operators/kronecker-reference.js';
import { skipBecause } from '../skip.js';

/**
 * Issue 12, item 5: K-FAC / EK-FAC influence on mlp-small (784-16-10 tanh, θ from
 * test/fixtures/mlp-small.safetensors, weight decay 1e-3, its 5,000 Fashion-MNIST training images)
 * against the PyTorch float64 reference test/fixtures/mlp-small-ekfac.safetensors (README there):
 * hessian 'gauss-newton', solver 'ekfac' / 'kfac', damping λ = 0.1 and 0.01 (operator damping, so the
 * inverse adds 1e-3 + λ to every eigenvalue, as the reference does), influence of test points 0..9
 * on training points 0..99.
 *   - exact expectation over the labels (the GN form, as the reference): Pearson ≥ 0.99, and since it is
 *     the same float64 mathematics, relative error ≤ 1e-8 too (eigensolvers and summation orders
 *     differ between the two implementations: ~1e-12 expected; measured ~1e-14);
 *   - sampled labels (fisherSamples 1, seed 0): Pearson ≥ 0.95;
 *   - the Pearson against the exact influence is printed, not asserted beyond being positive (the
 *     reference gets 0.41–0.42 at λ = 0.1 and 0.85–0.86 at λ = 0.01: the method's limit, not a target).
 */
const fx = loadFixture('mlp-small');
const ek = loadFixture('mlp-small-ekfac');
const P = 12730;
const s = suite('mlp-small K-FAC / EK-FAC influence vs the PyTorch reference');

function images(split: 'train' | 'test', n: number) {
  const d = loadFashionMnist({ split, limit: n });
  const x = Float64Array.from(d.x.data as Uint8Array, (v) => v / 255);
  return { x: c.keep(c.tensor(x, [n, 784], 'float64')), y: c.keep(c.tensor(d.y.data as Int32Array, [n], 'int32')) };
}

let data: { train: c.Dataset; test: c.Dataset } | null = null;
let missing = '';
c.setBackend('js');
try {
  data = { train: images('train', 5000), test: images('test', 10) };
} catch (err) {
  missing = `the Fashion-MNIST images are not available (${(err as Error).message})`;
}

const CASES: [string, 'ekfac' | 'kfac', number][] = [
  ['EK-FAC, λ = 0.1', 'ekfac', 0.1], ['K-FAC, λ = 0.1', 'kfac', 0.1],
  ['EK-FAC, λ = 0.01', 'ekfac', 0.01], ['K-FAC, λ = 0.01', 'kfac', 0.01],
];
const SAMPLED = 1;

if (!data) {
  for (const [name] of CASES) skipBecause(s, name, missing);
} else {
  const { train, test } = data;
  s.before(() => { c.setBackend('js'); });
  const model = c.Sequential.mlp([784, 16, 10], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const theta = c.keep(c.tensor(get(fx, 'theta').data, [P], 'float64'));
  const train100 = c.batchOf(train, 0, 100);
  const report: string[] = [];
  s.after(() => { console.log(report.join('\n')); });

  for (const [name, solver, lambda] of CASES) {
    s(`${name}: Pearson ≥ 0.99 with the reference (exact expectation), ≥ 0.95 with sampled labels (fisherSamples ${SAMPLED})`, () => {
      const tag = `${solver}_influence_damping_${lambda}`;
      const want = get(ek, tag).data, exact = get(ek, `exact_influence_damping_${lambda}`).data;
      const m = c.InfluenceModel.fit(objective, theta, train, { hessian: 'gauss-newton', solver, damping: lambda });
      const got = Float64Array.from(m.influence(test, train100).scores.dataSync());
      m.dispose();
      assert.is(got.length, 1000);
      const r = pearsonRef(got, want), rExact = pearsonRef(got, exact), e = relErr(got, want);
      const sm = c.InfluenceModel.fit(objective, theta, train, { hessian: 'gauss-newton', solver, damping: lambda, solverOptions: { fisherSamples: SAMPLED, seed: 0 } });
      const sampled = Float64Array.from(sm.influence(test, train100).scores.dataSync());
      sm.dispose();
      const rs = pearsonRef(sampled, want), rsExact = pearsonRef(sampled, exact);
      report.push(`    mlp-small ${name}: Pearson vs reference ${r.toFixed(6)} (rel err ${e.toExponential(2)}), vs exact ${rExact.toFixed(4)} ` +
        `(reference vs exact ${pearsonRef(want, exact).toFixed(4)}); sampled (fisherSamples ${SAMPLED}): vs reference ${rs.toFixed(4)}, vs exact ${rsExact.toFixed(4)}`);
      assert.ok(r >= 0.99, `${name}: Pearson vs reference ${r}`);
      assert.ok(e <= 1e-8, `${name}: relative error vs reference ${e}`);
      assert.ok(rs >= 0.95, `${name}: sampled Pearson vs reference ${rs}`);
      assert.ok(rExact > 0, `${name}: Pearson vs exact ${rExact}`);
    });
  }
}

s.run();
