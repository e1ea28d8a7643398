import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';
import { labels, elementwiseScale } from '../layers.js';

/**
 * Influence scoring from captures (no per-example gradient matrix of the training data) against the
 * explicit product −s_test·Gᵀ with G = objective.perSampleGradients(θ, train), in float64.
 * Tolerance 1e-12 relative: the same sums of products in another order. Gauss–Newton with damping
 * keeps every curvature positive definite at a θ that is not a minimum.
 */
const TOL = 1e-12;

interface Case { name: string; model: c.Sequential; loss: c.Loss; data: (rng: Random, n: number) => c.Dataset }

const cases: Case[] = [
  { name: 'MLP 4-5-3', model: c.Sequential.mlp([4, 5, 3], 'tanh'), loss: c.crossEntropyLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 4]), y: labels(rng, n, 3) }) },
  { name: 'Linear(4, 3) without bias', model: new c.Sequential([new c.Linear(4, 3, false)]), loss: c.mseLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 4]), y: randn(rng, [n, 3]) }) },
  { name: 'rank-3 inputs (sequence model)', model: new c.Sequential([new c.Linear(4, 3), c.Tanh(), new c.Linear(3, 2, false)]), loss: c.mseLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 3, 4]), y: randn(rng, [n, 3, 2]) }) },
  { name: 'rank-3 inputs, Flatten', model: new c.Sequential([new c.Linear(4, 2), c.GELU(), new c.Flatten(), new c.Linear(6, 3)]), loss: c.crossEntropyLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 3, 4]), y: labels(rng, n, 3) }) },
  { name: 'a layer without a scoring rule', model: new c.Sequential([new c.Linear(4, 5), elementwiseScale(5), c.Tanh(), new c.Linear(5, 3)]), loss: c.crossEntropyLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 4]), y: labels(rng, n, 3) }) },
];

for (const backend of testBackends()) {
  const s = suite(`influence scoring from captures [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  for (const [k, cs] of cases.entries()) {
    s(`${cs.name}: influence, streaming and group scores equal −s_test·Gᵀ of explicit per-example gradients`, async () => {
      const rng = new Random(40 + k);
      const objective = new c.Objective(cs.model, cs.loss, 1e-2);
      const theta = cs.model.init({ seed: k + 1, dtype: 'float64' });
      const train = cs.data(rng, 13), test = cs.data(rng, 3);
      objective.validate(train);
      // batchSize 4: 13 training points in four batches, the last one short.
      const infl = c.InfluenceModel.fit(objective, theta, train, { hessian: 'gauss-newton', damping: 1e-2, batchSize: 4 });
      const { s: sTest } = infl.sTest(test);
      const G = objective.perSampleGradients(theta, train); // [13, P], the path the scores avoid
      const want = c.neg(c.matmul(sTest, G, { transB: true })).dataSync();
      const { scores, stats } = infl.influence(test);
      assert.equal([...scores.shape], [3, 13]);
      assert.is(stats.queryRank, undefined);
      const e = relErr(scores.dataSync(), want);
      assert.ok(e <= TOL, `influence: rel err ${e}`);
      // from a chunk source (chunks of 5, 5, 3; chunk sources hold [rows, features] inputs)
      if (train.x.rank === 2) {
        const chunks = c.arrayChunkSource([c.batchOf(train, 0, 5), c.batchOf(train, 5, 5), c.batchOf(train, 10, 5)]);
        const fromChunks = infl.influence(test, chunks).scores.dataSync();
        assert.ok(relErr(fromChunks, want) <= TOL, 'influence over a chunk source');
      }
      // streamed
      const streamed = await c.streamInfluence(infl, test, c.chunked(train, 6));
      assert.ok(relErr(streamed.scores!, want) <= TOL, `streamInfluence: rel err ${relErr(streamed.scores!, want)}`);
      // groups: (1/N)·s·Σ_{z∈S} ∇ℓ(z)
      const groups = [[0, 3, 12], [5]];
      const got = c.groupInfluence(infl, test, groups).dataSync();
      const sums = c.concat(groups.map((g) => c.expandDims(c.sum(c.subset({ x: G, y: G }, g).x, 0), 0)), 0);
      const gWant = c.mul(c.matmul(sTest, sums, { transB: true }), 1 / 13).dataSync();
      assert.ok(relErr(got, gWant) <= TOL, `groupInfluence: rel err ${relErr(got, gWant)}`);
      infl.dispose();
    });
  }

  s.run();
}
