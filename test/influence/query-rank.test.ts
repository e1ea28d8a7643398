import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { norm, randn, relErr, testBackends, throwsType } from '../helpers.js';
import { labels, elementwiseScale } from '../layers.js';

/**
 * Low-rank queries (InfluenceOptions.queryRank; Kronfluence's query rank, Grosse et al. 2023).
 * The reference builds each rank-r approximation independently of the code under test: per Linear
 * layer and query, S = [W | b] [out, inDim], S_r = S·V_r·V_rᵀ with V_r the top eigenvectors of SᵀS
 * (the code uses the smaller Gram matrix, S·Sᵀ when out ≤ inDim), then scores −s̃·Gᵀ with explicit
 * per-example gradients G. Tolerances: 1e-10 for scores (exact algebra through one eigh, f64), 1e-8
 * relative on the reported errors (eigenvectors from two different Gram matrices agree to
 * ≈ ε·κ, and the singular values of random matrices are well separated).
 */

/** s̃: every Linear block of every row of s [m, P] replaced by its best rank-r approximation. */
function lowRankReference(model: c.Model, s: Float64Array, m: number, rank: number): Float64Array {
  const P = model.numParams, out = new Float64Array(s);
  for (const site of model.trackedLayers()) {
    if (!(site.layer instanceof c.Linear)) continue;
    const { inFeatures: inF, outFeatures: o, bias } = site.layer;
    const inDim = inF + (bias ? 1 : 0), r = Math.min(rank, o, inDim);
    for (let t = 0; t < m; t++) {
      const S = new Float64Array(o * inDim);
      for (let i = 0; i < o; i++) {
        for (let j = 0; j < inF; j++) S[i * inDim + j] = s[t * P + site.offset + i * inF + j]!;
        if (bias) S[i * inDim + inF] = s[t * P + site.offset + o * inF + i]!;
      }
      const Sr = c.tidy(() => {
        const St = c.tensor(S, [o, inDim], 'float64');
        const V = c.slice(c.eigh(c.matmul(St, St, { transA: true })).vectors, [0, inDim - r], [inDim, r]);
        return c.matmul(c.matmul(St, V), V, { transB: true }).dataSync();
      });
      for (let i = 0; i < o; i++) {
        for (let j = 0; j < inF; j++) out[t * P + site.offset + i * inF + j] = Sr[i * inDim + j]!;
        if (bias) out[t * P + site.offset + o * inF + i] = Sr[i * inDim + inF]!;
      }
    }
  }
  return out;
}

interface Case { name: string; model: c.Sequential; loss: c.Loss; data: (rng: Random, n: number) => c.Dataset }

const cases: Case[] = [
  // Linear(2, 6): out > inDim (the code's SᵀS path); Linear(6, 3): out < inDim (S·Sᵀ); Scale: not Linear.
  { name: 'MLP with a Scale layer', model: new c.Sequential([new c.Linear(2, 6), elementwiseScale(6), c.Tanh(), new c.Linear(6, 3)]), loss: c.crossEntropyLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 2]), y: labels(rng, n, 3) }) },
  { name: 'rank-3 inputs, no bias', model: new c.Sequential([new c.Linear(4, 3), c.Tanh(), new c.Linear(3, 4, false)]), loss: c.mseLoss,
    data: (rng, n) => ({ x: randn(rng, [n, 2, 4]), y: randn(rng, [n, 2, 4]) }) },
];

for (const backend of testBackends()) {
  const s = suite(`influence query rank [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  for (const [k, cs] of cases.entries()) {
    s(`${cs.name}: full rank equals exact scores; lower ranks equal the scores of the truncated-SVD queries`, async () => {
      const rng = new Random(60 + k);
      const objective = new c.Objective(cs.model, cs.loss, 1e-2);
      const theta = cs.model.init({ seed: k + 3, dtype: 'float64' });
      const train = cs.data(rng, 11), test = cs.data(rng, 4);
      const opts = { hessian: 'gauss-newton' as const, damping: 1e-2, batchSize: 5 };
      const exact = c.InfluenceModel.fit(objective, theta, train, opts);
      const exactScores = exact.influence(test).scores.dataSync();
      const { s: sTest } = exact.sTest(test);
      const sData = Float64Array.from(sTest.dataSync()), m = 4, P = cs.model.numParams;
      const G = objective.perSampleGradients(theta, train);

      // rank ≥ min(out, inDim) of every layer: no approximation
      const full = c.InfluenceModel.fit(objective, theta, train, { ...opts, queryRank: 10 });
      const fr = full.influence(test);
      assert.ok(relErr(fr.scores.dataSync(), exactScores) <= 1e-10, `full rank: rel err ${relErr(fr.scores.dataSync(), exactScores)}`);
      assert.is(fr.stats.queryRank!.rank, 10);
      assert.is(fr.stats.queryRank!.relativeError.length, m);
      assert.ok(fr.stats.queryRank!.maxRelativeError <= 1e-12, `full rank error ${fr.stats.queryRank!.maxRelativeError}`);

      for (const rank of [1, 2]) {
        const infl = c.InfluenceModel.fit(objective, theta, train, { ...opts, queryRank: rank });
        const { scores, stats } = infl.influence(test);
        const ref = lowRankReference(cs.model, sData, m, rank);
        const wantErr = Array.from({ length: m }, (_, t) => relErr(ref.subarray(t * P, (t + 1) * P), sData.subarray(t * P, (t + 1) * P)));
        const q = stats.queryRank!;
        assert.is(q.rank, rank);
        q.relativeError.forEach((e, t) => assert.ok(Math.abs(e - wantErr[t]!) <= 1e-8 * wantErr[t]!, `rank ${rank}, query ${t}: error ${e} vs ${wantErr[t]}`));
        assert.is(q.maxRelativeError, Math.max(...q.relativeError));
        assert.ok(q.maxRelativeError > 1e-3, `rank ${rank} truncates: error ${q.maxRelativeError}`);
        const want = c.neg(c.matmul(c.tensor(ref, [m, P], 'float64'), G, { transB: true })).dataSync();
        const got = scores.dataSync();
        assert.ok(relErr(got, want) <= 1e-10, `rank ${rank}: scores rel err ${relErr(got, want)}`);
        // the scores differ from the exact ones by the queries' error: ‖ΔS‖ ≤ ‖s − s̃‖·‖G‖
        const diff = relErr(got, exactScores);
        assert.ok(diff > 1e-6, `rank ${rank}: scores should differ from the exact ones (${diff})`);
        const dsNorm = norm(Float64Array.from(ref, (v, i) => v - sData[i]!));
        const gFro = norm(G.dataSync());
        assert.ok(norm(Float64Array.from(got, (v, i) => v - exactScores[i]!)) <= dsNorm * gFro * (1 + 1e-12));
        // the streaming scorer reports the same approximation
        const streamed = await c.streamInfluence(infl, test, c.chunked(train, 4));
        assert.ok(relErr(streamed.scores!, got) <= 1e-12);
        assert.equal(streamed.stats.queryRank!.relativeError, q.relativeError);
        infl.dispose();
      }
      full.dispose();
      exact.dispose();
    });
  }

  s('queryRank must be a positive integer (InputError)', () => {
    const rng = new Random(70);
    const model = c.Sequential.mlp([3, 2], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = model.init({ seed: 1, dtype: 'float64' });
    const train = { x: randn(rng, [6, 3]), y: labels(rng, 6, 2) };
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number]) {
      throwsType(() => c.InfluenceModel.fit(objective, theta, train, { hessian: 'gauss-newton', damping: 1e-2, queryRank: bad }), c.InputError, /queryRank must be a positive integer/);
    }
  });

  s.run();
}
