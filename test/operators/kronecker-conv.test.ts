import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { testBackends } from '../helpers.js';
import { Random } from '../../src/tensor/random.js';

/**
 * K-FAC/EK-FAC for Conv2d (KFC, Grosse & Martens 2016): A over unfolded patches with the bias as a
 * homogeneous coordinate, A = (1/N)·Σₙ Σₜ ãₙₜãₙₜᵀ, and G over spatial positions,
 * G = (1/(N·T))·Σₙ Σₜ δₙₜδₙₜᵀ — checked against patches cut out by hand and output gradients from
 * the model's capture (empirical Fisher form), float64, ≤ 1e-10; EK-FAC's corrections against the
 * whole per-example gradients in the Kronecker eigenbasis; EK-FAC nearer the Gauss–Newton conv block
 * than K-FAC; a grouped convolution is unfactored (typed error, or a fallback solver).
 */
for (const backend of testBackends()) {
  const s = suite(`K-FAC for Conv2d [${backend}]`);
  c.setBackend(backend);
  s.before(() => { c.setBackend(backend); });
  const N = 5, C = 2, H = 5, W = 4, OUT = 3;
  const conv = new c.Conv2d(C, OUT, [2, 3], { padding: [1, 1], stride: [2, 1] });
  const [, , HO, WO] = conv.outputShape([N, C, H, W]) as [number, number, number, number];
  const T = HO * WO;
  const model = new c.Sequential([conv, c.activation('tanh'), new c.Flatten(), new c.Linear(OUT * T, 3)]);
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const rng = new Random(11);
  const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => 0.5 * rng.normal()), [model.numParams], 'float64');
  const xs = Float64Array.from({ length: N * C * H * W }, () => rng.normal());
  const data = { x: c.tensor(xs, [N, C, H, W], 'float64'), y: c.tensor(Int32Array.from({ length: N }, () => rng.int(3)), [N], 'int32') };
  const K = C * 2 * 3, IN = K + 1;

  function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
    let e = 0, m = 0;
    for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(got[i]! - want[i]!)); m = Math.max(m, Math.abs(want[i]!)); }
    return e / m;
  }

  /** Example n's homogeneous patch at output pixel (i, j), in the weight's [C, kh, kw] order. */
  function patch(n: number, i: number, j: number): number[] {
    const g = conv.geometry, out: number[] = [];
    for (let ch = 0; ch < C; ch++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) {
      const h = i * g.stride[0] - g.padding[0] + a * g.dilation[0], w = j * g.stride[1] - g.padding[1] + b * g.dilation[1];
      out.push(h < 0 || h >= H || w < 0 || w >= W ? 0 : xs[((n * C + ch) * H + h) * W + w]!);
    }
    return [...out, 1];
  }

  s('conv factors: A over unfolded patches, G over spatial positions (KFC scaling), ≤ 1e-10', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { form: 'empirical-fisher', batchSize: 2 });
    const l = kc.layers[0]!;
    assert.equal([l.inDim, l.outFeatures], [IN, OUT]);
    const A = new Float64Array(IN * IN), G = new Float64Array(OUT * OUT);
    const d = objective.capture(theta, data).layers[0]!.outputGrad.dataSync(); // [N, OUT, HO, WO]
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < HO; i++) for (let j = 0; j < WO; j++) {
        const p = patch(n, i, j);
        for (let a = 0; a < IN; a++) for (let b = 0; b < IN; b++) A[a * IN + b]! += (p[a]! * p[b]!) / N;
        for (let a = 0; a < OUT; a++) for (let b = 0; b < OUT; b++) {
          G[a * OUT + b]! += (d[((n * OUT + a) * HO + i) * WO + j]! * d[((n * OUT + b) * HO + i) * WO + j]!) / (N * T);
        }
      }
    }
    assert.ok(maxRel(l.A.dataSync(), A) <= 1e-10, `A: ${maxRel(l.A.dataSync(), A)}`);
    assert.ok(maxRel(l.G.dataSync(), G) <= 1e-10, `G: ${maxRel(l.G.dataSync(), G)}`);
    kc.dispose();
  });

  s('conv EK-FAC corrections: second moments of the whole per-example gradients in the Kronecker eigenbasis', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { form: 'empirical-fisher', corrected: true, batchSize: 3 });
    const l = kc.layers[0]!;
    const g = objective.perSampleGradients(theta, data).dataSync(), P = model.numParams;
    const qA = l.qA.dataSync(), qG = l.qG.dataSync();
    const want = new Float64Array(OUT * IN);
    for (let n = 0; n < N; n++) {
      const m = new Float64Array(OUT * IN);
      for (let o = 0; o < OUT; o++) {
        for (let i = 0; i < K; i++) m[o * IN + i] = g[n * P + o * K + i]!;
        m[o * IN + K] = g[n * P + OUT * K + o]!;
      }
      for (let a = 0; a < OUT; a++) for (let b = 0; b < IN; b++) {
        let s = 0;
        for (let o = 0; o < OUT; o++) for (let i = 0; i < IN; i++) s += qG[o * OUT + a]! * m[o * IN + i]! * qA[i * IN + b]!;
        want[a * IN + b]! += (s * s) / N;
      }
    }
    assert.ok(maxRel(l.corrections!.dataSync(), want) <= 1e-10, `Λ: ${maxRel(l.corrections!.dataSync(), want)}`);
    kc.dispose();
  });

  s('EK-FAC is nearer the Gauss–Newton conv block than K-FAC (Frobenius); the ekfac solver inverts it exactly', () => {
    const gn = c.gaussNewtonOperator(objective, theta, data);
    const size = conv.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
    const block = c.toDense(c.restrictToBlock(gn, 0, size)).dataSync();
    const err = (corrected: boolean): number => {
      const kc = c.KroneckerCurvature.fit(objective, theta, data, { corrected });
      const k = c.toDense(c.restrictToBlock(c.kroneckerOperator(kc), 0, size)).dataSync();
      kc.dispose();
      let e = 0, nrm = 0;
      for (let i = 0; i < block.length; i++) { e += (k[i]! - block[i]!) ** 2; nrm += block[i]! ** 2; }
      return Math.sqrt(e / nrm);
    };
    const kfac = err(false), ekfac = err(true);
    console.log(`conv block, relative Frobenius error to the GN: K-FAC ${kfac.toFixed(4)}, EK-FAC ${ekfac.toFixed(4)}`);
    assert.ok(ekfac <= kfac, `EK-FAC ${ekfac} > K-FAC ${kfac}`);
    const solver = c.fitSolver('ekfac', gn, { damping: 0.1 });
    const b = c.tensor(Float64Array.from({ length: model.numParams }, () => rng.normal()), [model.numParams], 'float64');
    const x = solver.solve(b).x;
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { corrected: true });
    const back = c.add(c.kroneckerOperator(kc).matvec(x), c.mul(x, 0.1)).dataSync();
    assert.ok(maxRel(back, b.dataSync()) <= 1e-10, `(K + λ)·x = b: ${maxRel(back, b.dataSync())}`);
    kc.dispose();
    solver.dispose();
  });

  s('a grouped convolution has no Kronecker factors: UnsupportedLayerError naming it, or a fallback solver for its block', () => {
    const grouped = new c.Sequential([new c.Conv2d(2, 4, 2, { groups: 2 }), c.activation('tanh'), new c.Flatten(), new c.Linear(4 * 4 * 3, 3)]);
    const obj = new c.Objective(grouped, c.crossEntropyLoss, 0.01);
    const th = c.tensor(Float64Array.from({ length: grouped.numParams }, () => 0.3 * rng.normal()), [grouped.numParams], 'float64');
    const op = c.gaussNewtonOperator(obj, th, data);
    assert.throws(() => c.fitSolver('ekfac', op), (e: unknown) => e instanceof c.UnsupportedLayerError && /groups=2/.test((e as Error).message));
    const s = c.fitSolver('ekfac', op, { kroneckerFallback: 'direct', damping: 0.1 });
    const r = s.solve(c.tensor(Float64Array.from({ length: grouped.numParams }, () => rng.normal()), [grouped.numParams], 'float64'));
    assert.ok(r.x.dataSync().every(Number.isFinite));
    assert.equal((r.info!['fallback'] as { block: string }[]).map((f) => f.block), ['0']);
    s.dispose();
  });


  s.run();
}
