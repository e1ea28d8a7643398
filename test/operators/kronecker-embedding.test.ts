import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { testBackends } from '../helpers.js';

/**
 * K-FAC/EK-FAC for Embedding (its table W [V, D] is the transpose of the [out = D, in = V] matrix a
 * Linear layer on one-hot rows would hold): A = (1/N)·Σₙ Σₜ onehot·onehotᵀ (id frequencies), G over
 * the positions' output gradients with KFC's 1/(N·T), float64 ≤ 1e-10 against sums written out;
 * the operator's block equals the dense G ⊗ A read in θ's [V, D] layout (catches a transposition);
 * EK-FAC's corrections equal the per-example gradients' second moments in the eigenbasis; the ekfac
 * solver inverts its operator.
 */
for (const backend of testBackends()) {
  const s = suite(`K-FAC for Embedding [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const N = 6, T = 3, V = 5, D = 2, K = 3;
  const rng = new Random(21);
  const model = c.GraphModel.fromLayers({ shape: [T] }, [
    { name: 'embed', inputs: ['input'], layer: new c.Embedding(V, D) },
    { name: 'act', inputs: ['embed'], layer: c.activation('tanh') },
    { name: 'flat', inputs: ['act'], layer: new c.Flatten() },
    { name: 'out', inputs: ['flat'], layer: new c.Linear(T * D, K) },
  ], 'out');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const ids = Array.from({ length: N * T }, () => rng.int(V));
  const data = { x: c.tensor(Float64Array.from(ids), [N, T], 'float64'), y: c.tensor(Int32Array.from({ length: N }, () => rng.int(K)), [N], 'int32') };
  const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => 0.7 * rng.normal()), [model.numParams], 'float64');
  const E = V * D;
  const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
    let e = 0, m = 0;
    for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(got[i]! - want[i]!)); m = Math.max(m, Math.abs(want[i]!)); }
    return e / m;
  };

  s('factors: A = id frequencies (1/N), G over positions (1/(N·T)), ≤ 1e-10; the block is G ⊗ A in θ\'s [V, D] layout', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { form: 'empirical-fisher' });
    const l = kc.layers.find((x) => x.name === 'embed')!;
    assert.equal([l.inDim, l.outFeatures], [V, D]);
    const A = new Float64Array(V * V), G = new Float64Array(D * D);
    for (const id of ids) A[id * V + id]! += 1 / N;
    const d = objective.capture(theta, data).layers.find((x) => x.name === 'embed')!.outputGrad.dataSync(); // [N, T, D]
    for (let r = 0; r < N * T; r++) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) G[a * D + b]! += (d[r * D + a]! * d[r * D + b]!) / (N * T);
    assert.ok(maxRel(l.A.dataSync(), A) <= 1e-10, `A: ${maxRel(l.A.dataSync(), A)}`);
    assert.ok(maxRel(l.G.dataSync(), G) <= 1e-10, `G: ${maxRel(l.G.dataSync(), G)}`);
    const block = c.toDense(c.restrictToBlock(c.kroneckerOperator(kc), 0, E)).dataSync();
    const want = new Float64Array(E * E);
    for (let v = 0; v < V; v++) for (let a = 0; a < D; a++) for (let w = 0; w < V; w++) for (let b = 0; b < D; b++) {
      want[(v * D + a) * E + (w * D + b)] = A[v * V + w]! * G[a * D + b]!;   // θ index of W[v, a] is v·D + a
    }
    assert.ok(maxRel(block, want) <= 1e-10, `operator block vs G ⊗ A: ${maxRel(block, want)}`);
    kc.dispose();
  });

  s('EK-FAC corrections: second moments of the per-example table gradients in the eigenbasis; the ekfac solver inverts', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { form: 'empirical-fisher', corrected: true });
    const l = kc.layers.find((x) => x.name === 'embed')!;
    const g = objective.perSampleGradients(theta, data).dataSync(), P = model.numParams;
    const qA = l.qA.dataSync(), qG = l.qG.dataSync();
    const want = new Float64Array(D * V);
    for (let n = 0; n < N; n++) {
      for (let a = 0; a < D; a++) for (let b = 0; b < V; b++) {
        let acc = 0;   // (Q_Gᵀ·Mₙ·Q_A)[a, b] with Mₙ[o, i] = ∂ℓₙ/∂W[i, o]
        for (let o = 0; o < D; o++) for (let i = 0; i < V; i++) acc += qG[o * D + a]! * g[n * P + i * D + o]! * qA[i * V + b]!;
        want[a * V + b]! += (acc * acc) / N;
      }
    }
    assert.ok(maxRel(l.corrections!.dataSync(), want) <= 1e-10, `Λ: ${maxRel(l.corrections!.dataSync(), want)}`);
    const op = c.gaussNewtonOperator(objective, theta, data);
    const solver = c.fitSolver('ekfac', op, { damping: 0.1 });
    const b = c.tensor(Float64Array.from({ length: P }, () => rng.normal()), [P], 'float64');
    const x = solver.solve(b).x;
    const kg = c.KroneckerCurvature.fit(objective, theta, data, { corrected: true });
    const back = c.add(c.kroneckerOperator(kg).matvec(x), c.mul(x, 0.1)).dataSync();
    assert.ok(maxRel(back, b.dataSync()) <= 1e-10, `(K + λ)·x = b: ${maxRel(back, b.dataSync())}`);
    kg.dispose();
    kc.dispose();
    solver.dispose();
  });

  s.run();
}
