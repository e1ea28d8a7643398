import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';

/**
 * The influence API on a small softmax regression in float64, against explicit dense algebra:
 * scores by the s_test trick must equal −g_testᵀ·H⁻¹·g_train formed pair by pair (rel 1e-10).
 */
for (const backend of testBackends()) {
  const s = suite(`influence API [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(11);
  const model = c.Sequential.mlp([4, 3], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
  const data = (n: number) => ({
    x: c.keep(randn(rng, [n, 4])),
    y: c.keep(c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32')),
  });
  const train = data(40), test = data(5);
  const { theta } = c.fitLbfgs(objective, model.init({ dtype: 'float64' }), train, { gradTol: 1e-12 });
  c.keep(theta);

  s('s_test trick equals pairwise −g_testᵀ H⁻¹ g_train; parameter and self-influence', () => {
    const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    const { scores } = infl.influence(test);
    const h = c.toDense(c.hessianOperator(objective, theta, train));
    const gTest = objective.perSampleGradients(theta, test), gTrain = objective.perSampleGradients(theta, train);
    const hinvGTrain = c.direct(c.denseOperator(h), c.transpose(gTrain)).x; // [P, 40]
    const want = c.neg(c.matmul(gTest, hinvGTrain));
    assert.ok(relErr(scores.dataSync(), want.dataSync()) < 1e-10);
    const self = infl.selfInfluence().scores.dataSync();
    const selfWant = c.sum(c.mul(gTrain, c.transpose(hinvGTrain)), 1).dataSync();
    assert.ok(relErr(self, selfWant) < 1e-10);
    assert.ok(Array.from(self).every((v) => v > 0), 'self-influence is positive for a positive-definite H');
    const pinf = infl.parameterInfluence(c.batchOf(train, 0, 3)).dataSync();
    assert.ok(relErr(pinf, c.neg(c.transpose(c.slice(hinvGTrain, [0, 0], [15, 3]))).dataSync()) < 1e-10);
    infl.dispose();
  });

  s('Gauss–Newton influence with damping equals the dense damped GN solve; CG agrees with direct', () => {
    const opts = { hessian: 'gauss-newton' as const, damping: 1e-3 };
    const d = c.InfluenceModel.fit(objective, theta, train, { ...opts, solver: 'direct' });
    const g = c.InfluenceModel.fit(objective, theta, train, { ...opts, solver: 'cg', solverOptions: { rtol: 1e-12 } });
    const a = d.influence(test).scores.dataSync(), b = g.influence(test).scores.dataSync();
    assert.ok(relErr(b, a) < 1e-8, `cg vs direct ${relErr(b, a)}`);
    const gn = c.toDense(c.gaussNewtonOperator(objective, theta, train, { damping: 1e-3 }));
    const gTest = objective.perSampleGradients(theta, test), gTrain = objective.perSampleGradients(theta, train);
    const want = c.neg(c.matmul(gTest, c.direct(c.denseOperator(gn), c.transpose(gTrain)).x));
    assert.ok(relErr(a, want.dataSync()) < 1e-10);
  });

  s('removing a training point: −I_up,loss/N predicts the retrained test-loss change', () => {
    const infl = c.InfluenceModel.fit(objective, theta, train);
    const scores = infl.influence(test).scores.dataSync();
    const loo = c.leaveOneOut(objective, theta, train, test, [0, 1, 2, 3, 4, 5], { gradTol: 1e-12 });
    const predicted: number[] = [], actual: number[] = [];
    loo.deltas.forEach((d, j) => d.forEach((v, i) => { predicted.push(-scores[i * 40 + j]! / 40); actual.push(v); }));
    const r = c.pearson(predicted, actual);
    assert.ok(r > 0.95, `Pearson ${r}`);
  });

  s('bad input: shapes, labels, NaN, empty data, options — typed errors, model still usable', () => {
    const wrongWidth = { x: randn(rng, [5, 3]), y: test.y };
    assert.throws(() => c.InfluenceModel.fit(objective, theta, wrongWidth), (e: unknown) => e instanceof c.ShapeError);
    const badLabels = { x: test.x, y: c.tensor([0, 1, 2, 3, 0], [5], 'int32') };
    const infl = c.InfluenceModel.fit(objective, theta, train);
    assert.throws(() => infl.influence(badLabels), (e: unknown) => e instanceof c.InputError && /outside \[0, 3\)/.test((e as Error).message));
    const nan = c.tensor(Float64Array.from({ length: 20 }, (_, i) => (i === 6 ? NaN : 0)), [5, 4], 'float64');
    assert.throws(() => infl.influence({ x: nan, y: test.y }), (e: unknown) => e instanceof c.InputError && /NaN/.test((e as Error).message));
    assert.throws(() => infl.influence({ x: c.zeros([0, 4], 'float64'), y: c.tensor([], [0], 'int32') }), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => infl.influence({ x: test.x, y: c.tensor([0, 1], [2], 'int32') }), (e: unknown) => e instanceof c.ShapeError);
    assert.throws(() => c.InfluenceModel.fit(objective, c.zeros([3], 'float64'), train), (e: unknown) => e instanceof c.ShapeError);
    assert.throws(() => c.InfluenceModel.fit(objective, theta, train, { damping: -1 }), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => c.InfluenceModel.fit(objective, theta, train, { solver: 'nope' as 'cg' }), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => c.InfluenceModel.fit(objective, theta, train, { hessian: 'nope' as 'exact' }), (e: unknown) => e instanceof c.InputError);
    // The fitted model still answers after the failures.
    assert.equal(infl.influence(test).scores.shape, [5, 40]);
    infl.dispose();
  });

  s('indefinite Hessian: CG refuses (NotPositiveDefiniteError), direct falls back to eigh', () => {
    // A tanh MLP far from its optimum has an indefinite Hessian.
    const mlp = c.Sequential.mlp([4, 6, 3], 'tanh');
    const obj = new c.Objective(mlp, c.crossEntropyLoss, 1e-3); // weight decay removes the softmax shift null space
    const t0 = c.mul(mlp.init({ seed: 3, dtype: 'float64' }), 4);
    const op = c.hessianOperator(obj, t0, train);
    const w = c.eigvalsh(c.toDense(op)).dataSync();
    assert.ok(w[0]! < 0, 'the test needs an indefinite Hessian');
    const b = randn(rng, [mlp.numParams]);
    assert.throws(() => c.cg(op, b, { rtol: 1e-12, maxIter: 1000 }), (e: unknown) => e instanceof c.NotPositiveDefiniteError);
    const r = c.direct(op, b);
    assert.is(r.info?.['factorization'], 'eigh');
    assert.ok(r.residualNorm < 1e-8);
  });

  s.run();
}
