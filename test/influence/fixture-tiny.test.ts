import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { get, loadFixture, row } from '../fixtures.js';
import { relErr, testBackends } from '../helpers.js';

/**
 * Against PyTorch float64 (test/fixtures/mlp-tiny: 49-8-10 tanh MLP, 490 parameters, 500 training
 * points, κ ≈ 4.9e4). Tolerances: 1e-9 for quantities computed by exact algebra in both frameworks
 * (only summation order differs), 1e-8 for a direct solve (κ·u ≈ 1e-11, with margin), 1e-6 for CG
 * stopped at rtol 1e-10 (error ≤ κ·rtol ≈ 5e-6 worst case; observed far lower) and for influence.
 */
const fx = loadFixture('mlp-tiny');
const P = 490;

function problem(dtype: 'float32' | 'float64') {
  const model = c.Sequential.mlp([49, 8, 10], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const theta = c.keep(c.tensor(get(fx, 'theta').data, [P], dtype));
  const data = (split: 'train' | 'test', n: number) => ({
    x: c.keep(c.tensor(get(fx, `${split}_x`).data, [n, 49], dtype)),
    y: c.keep(c.tensor(Int32Array.from(get(fx, `${split}_y`).data), [n], 'int32')),
  });
  return { model, objective, theta, train: data('train', 500), test: data('test', 100) };
}

for (const backend of testBackends()) {
  const s = suite(`PyTorch fixture mlp-tiny [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const p = problem('float64');

  s('grad_test: single-point CE gradients, rel ≤ 1e-9', () => {
    const g = p.objective.perSampleGradients(p.theta, c.batchOf(p.test, 0, 10)).dataSync();
    for (let i = 0; i < 10; i++) {
      const e = relErr(g.subarray(i * P, (i + 1) * P), row(get(fx, 'grad_test'), i));
      assert.ok(e <= 1e-9, `grad_test[${i}] rel err ${e}`);
    }
  });

  s('hvp_v (exact Hessian, both modes) and gnhvp_v, rel ≤ 1e-9', () => {
    const v = c.tensor(get(fx, 'v').data, [P], 'float64');
    for (const mode of ['forward-over-reverse', 'reverse-over-reverse'] as const) {
      const hv = c.hessianOperator(p.objective, p.theta, p.train, { mode }).matvec(v).dataSync();
      assert.ok(relErr(hv, get(fx, 'hvp_v').data) <= 1e-9, `hvp ${mode}: ${relErr(hv, get(fx, 'hvp_v').data)}`);
    }
    const gv = c.gaussNewtonOperator(p.objective, p.theta, p.train).matvec(v).dataSync();
    assert.ok(relErr(gv, get(fx, 'gnhvp_v').data) <= 1e-9, `gnhvp: ${relErr(gv, get(fx, 'gnhvp_v').data)}`);
  });

  s('dense Hessian from the operator equals PyTorch\'s, rel ≤ 1e-9; eigenvalues', () => {
    const h = c.toDense(c.hessianOperator(p.objective, p.theta, p.train));
    assert.ok(relErr(h.dataSync(), get(fx, 'hessian').data) <= 1e-9);
    const w = c.eigvalsh(h).dataSync();
    const top = Array.from(w).reverse().slice(0, 20);
    assert.ok(relErr(top, get(fx, 'eigenvalues_desc').data) <= 1e-9, `eigenvalues: ${relErr(top, get(fx, 'eigenvalues_desc').data)}`);
    assert.ok(Math.abs(w[0]! - (fx.meta['hessian_lambda_min'] as number)) <= 1e-9 * (fx.meta['hessian_lambda_max'] as number));
  });

  s('ihvp_grad_test by direct (rel ≤ 1e-8) and by CG at rtol 1e-10 (rel ≤ 1e-6)', () => {
    const g = c.tensor(get(fx, 'grad_test').data, [10, P], 'float64');
    const op = c.hessianOperator(p.objective, p.theta, p.train);
    const direct = c.direct(op, c.transpose(g));
    assert.is(direct.info?.['factorization'], 'cholesky');
    const cgIters: number[] = [];
    for (let i = 0; i < 10; i++) {
      const want = row(get(fx, 'ihvp_grad_test'), i);
      const xd = c.reshape(c.slice(direct.x, [0, i], [P, 1]), [P]).dataSync();
      assert.ok(relErr(xd, want) <= 1e-8, `direct ${i}: ${relErr(xd, want)}`);
      const r = c.cg(op, c.reshape(c.slice(g, [i, 0], [1, P]), [P]), { rtol: 1e-10 });
      assert.ok(r.converged);
      cgIters.push(r.iterations);
      assert.ok(relErr(r.x.dataSync(), want) <= 1e-6, `cg ${i}: ${relErr(r.x.dataSync(), want)}`);
    }
    console.log(`    mlp-tiny CG (rtol 1e-10) iterations: ${cgIters.join(', ')}`);
  });

  for (const solver of ['direct', 'cg'] as const) {
    s(`influence_test_train and self_influence_train with ${solver}, rel ≤ 1e-6`, () => {
      const infl = c.InfluenceModel.fit(p.objective, p.theta, p.train, { solver, solverOptions: { rtol: 1e-10 } });
      const { scores } = infl.influence(c.batchOf(p.test, 0, 10), c.batchOf(p.train, 0, 100));
      assert.equal(scores.shape, [10, 100]);
      const e1 = relErr(scores.dataSync(), get(fx, 'influence_test_train').data);
      assert.ok(e1 <= 1e-6, `influence rel err ${e1}`);
      // One solve per training point: CG checks the first 10 (≈430 iterations each), direct all 100.
      const m = solver === 'cg' ? 10 : 100;
      const self = infl.selfInfluence(c.batchOf(p.train, 0, m)).scores.dataSync();
      const e2 = relErr(self, get(fx, 'self_influence_train').data.subarray(0, m));
      assert.ok(e2 <= 1e-6, `self-influence rel err ${e2}`);
      infl.dispose();
    });
  }

  s('float32: figures reported, loose bounds (single precision, κ ≈ 5e4)', () => {
    const q = problem('float32');
    const v = c.tensor(get(fx, 'v').data, [P], 'float32');
    const hv = c.hessianOperator(q.objective, q.theta, q.train).matvec(v).dataSync();
    const g = q.objective.perSampleGradients(q.theta, c.batchOf(q.test, 0, 10)).dataSync();
    const eH = relErr(hv, get(fx, 'hvp_v').data), eG = relErr(g, get(fx, 'grad_test').data);
    const infl = c.InfluenceModel.fit(q.objective, q.theta, q.train, { solver: 'direct' });
    const eI = relErr(infl.influence(c.batchOf(q.test, 0, 10), c.batchOf(q.train, 0, 100)).scores.dataSync(), get(fx, 'influence_test_train').data);
    infl.dispose();
    console.log(`    mlp-tiny float32 relative errors: hvp ${eH.toExponential(2)}, grad_test ${eG.toExponential(2)}, influence (direct) ${eI.toExponential(2)}`);
    assert.ok(eH < 1e-4 && eG < 1e-4, 'float32 products within 1e-4');
    assert.ok(eI < 5e-2, 'float32 influence within 5e-2 (κ·u_f32 ≈ 3e-3, with margin)');
  });

  s.run();
}
