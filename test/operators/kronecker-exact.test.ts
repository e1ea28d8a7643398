import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import {
  addIdentity, block, frob, layerFrobenius, maxRel, numParams, perExample, refCorrections, refEigenDense, refFactors, refGaussNewton,
  refKfacDense, refLayerGaussNewton, refLayers, type RefLoss, type RefNet,
} from './kronecker-reference.js';
import { arr, problem } from './kronecker-problem.js';

/**
 * Issue 12, items 2 and 3 (small problems): the K-FAC / EK-FAC operators as dense matrices against
 * dense matrices built here from the definitions (kronecker-reference.ts). Tolerances: maxRel
 * ≤ 1e-10 (entries within 1e-10 of the largest): float64 products of O(1) numbers, round-off ~1e-15,
 * while an index or transposition mistake moves entries by O(1).
 */
const s = suite('K-FAC / EK-FAC as dense matrices: exactness and Frobenius error');
s.before(() => { c.setBackend('js'); });
const TOL = 1e-10;

/** Zero outside the layers' diagonal blocks. */
function blockDiagonalPart(net: RefNet, M: Float64Array): Float64Array {
  const P = numParams(net);
  const R = new Float64Array(P * P);
  for (const l of refLayers(net)) {
    for (let i = 0; i < l.size; i++) for (let j = 0; j < l.size; j++) R[(l.offset + i) * P + l.offset + j] = M[(l.offset + i) * P + l.offset + j]!;
  }
  return R;
}

const ONE_LAYER: [string, RefNet, RefLoss][] = [
  ['Linear(5, 3), cross-entropy', { widths: [5, 3] }, 'cross-entropy'],
  ['Linear(5, 3, bias=false), cross-entropy', { widths: [5, 3], bias: [false] }, 'cross-entropy'],
  ['Linear(5, 3), mse', { widths: [5, 3] }, 'mse'],
];

for (const [name, net, loss] of ONE_LAYER) {
  s(`${name}, ONE example: EK-FAC (corrected) and K-FAC with shift 0 equal the dense data GN (≤ 1e-10)`, () => {
    // One example, one Linear layer: GN = Σₖ (cₖ ⊗ ã)(cₖ ⊗ ã)ᵀ = (Σₖ cₖcₖᵀ) ⊗ ããᵀ = G ⊗ A exactly, and
    // EK-FAC's Λ = λ_G λ_Aᵀ there, so both must reproduce the GN to round-off.
    const p = problem(net, loss, 1, 3);
    const want = refGaussNewton(p.net, p.loss, p.thetaArr, p.ref);
    const gn = arr(c.toDense(c.gaussNewtonOperator(p.objective, p.theta, p.data)));
    assert.ok(maxRel(gn, want) <= 1e-12, `reference vs gaussNewtonOperator: ${maxRel(gn, want)}`);
    for (const corrected of [true, false]) {
      const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected });
      const dense = arr(c.toDense(c.kroneckerOperator(curv, { shift: 0 })));
      const e = maxRel(dense, want);
      assert.ok(e <= TOL, `${corrected ? 'EK-FAC' : 'K-FAC'} vs dense GN maxRel ${e}`);
      curv.dispose();
    }
  });
}

s('tanh MLP 5-4-3, ONE example: K-FAC and EK-FAC equal the layer-diagonal blocks of the GN (≤ 1e-10)', () => {
  // With one example A_l = ã ãᵀ is rank one, so every layer's GN block Σₖ (δₖ ⊗ ã)(δₖ ⊗ ã)ᵀ = G_l ⊗ A_l.
  for (const net of [{ widths: [5, 4, 3] }, { widths: [5, 4, 3], bias: [false, true] }] as RefNet[]) {
    const p = problem(net, 'cross-entropy', 1, 4);
    const want = blockDiagonalPart(net, refGaussNewton(p.net, p.loss, p.thetaArr, p.ref));
    for (const corrected of [true, false]) {
      const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected });
      const e = maxRel(arr(c.toDense(c.kroneckerOperator(curv, { shift: 0 }))), want);
      assert.ok(e <= TOL, `${JSON.stringify(net.bias ?? [])} ${corrected ? 'EK-FAC' : 'K-FAC'} maxRel ${e}`);
      curv.dispose();
    }
  }
});

s('tanh MLP 5-4-3, N = 20: the K-FAC operator is G ⊗ A per layer in θ\'s row-major layout, and operator({ shift }) adds shift·I', () => {
  for (const net of [{ widths: [5, 4, 3] }, { widths: [5, 4, 3], bias: [false, true] }] as RefNet[]) {
    const p = problem(net, 'cross-entropy', 20, 5);
    const P = numParams(net);
    const want = refKfacDense(net, refFactors(p.net, p.loss, p.thetaArr, p.ref));
    const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data);
    const e = maxRel(arr(c.toDense(c.kroneckerOperator(curv, { shift: 0 }))), want);
    assert.ok(e <= TOL, `K-FAC dense vs G ⊗ A maxRel ${e}`);
    const e2 = maxRel(arr(c.toDense(c.kroneckerOperator(curv, { shift: 0.3 }))), addIdentity(want, P, 0.3));
    assert.ok(e2 <= TOL, `shift 0.3: maxRel ${e2}`);
    curv.dispose();
  }
});

s('tanh MLP 5-4-3, N = 20: the EK-FAC operator is Σ Λᵢⱼ uᵢⱼuᵢⱼᵀ in the Kronecker eigenbasis with Λ from the definition', () => {
  const p = problem({ widths: [5, 4, 3] }, 'cross-entropy', 20, 5);
  const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected: true });
  const ex = perExample(p.net, p.loss, p.thetaArr, p.ref);
  const parts = refLayers(p.net).map((l, k) => {
    const qA = arr(curv.layers[k]!.qA), qG = arr(curv.layers[k]!.qG);
    return { qA, qG, lambda: refCorrections(l, k, ex, qA, qG) };
  });
  const e = maxRel(arr(c.toDense(c.kroneckerOperator(curv, { shift: 0 }))), refEigenDense(p.net, parts));
  assert.ok(e <= TOL, `EK-FAC dense maxRel ${e}`);
  curv.dispose();
});

s('Frobenius error to the dense GN (layer-diagonal blocks): EK-FAC ≤ K-FAC per layer — tanh MLP 5-4-3 and 6-5-4 (bias-free first layer), N = 20', () => {
  // Both approximations are block-diagonal, so we compare each layer's diagonal block of the data GN.
  // EK-FAC's Λ is the Frobenius-optimal diagonal in the Kronecker eigenbasis and K-FAC is another
  // diagonal in that basis, so the inequality is a theorem (George et al. 2018, §3); 1e-12 slack for round-off.
  for (const [net, loss] of [[{ widths: [5, 4, 3] }, 'cross-entropy'], [{ widths: [6, 5, 4], bias: [false, true] }, 'cross-entropy'], [{ widths: [5, 4, 3] }, 'mse']] as [RefNet, RefLoss][]) {
    const p = problem(net, loss, 20, 6);
    const P = numParams(net);
    const gn = refGaussNewton(p.net, p.loss, p.thetaArr, p.ref);
    const kf = c.KroneckerCurvature.fit(p.objective, p.theta, p.data);
    const ek = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected: true });
    const dk = arr(c.toDense(c.kroneckerOperator(kf, { shift: 0 }))), de = arr(c.toDense(c.kroneckerOperator(ek, { shift: 0 })));
    for (const l of refLayers(net)) {
      const g = block(gn, P, l.offset, l.size);
      const errK = frob(block(dk, P, l.offset, l.size), g), errE = frob(block(de, P, l.offset, l.size), g), nG = frob(g);
      console.log(`    ${net.widths.join('-')} ${loss} layer @${l.offset}: ‖GN_l‖ ${nG.toFixed(4)}, K-FAC error ${errK.toExponential(3)}, EK-FAC error ${errE.toExponential(3)}`);
      assert.ok(errE <= errK + 1e-12 * nG, `layer at ${l.offset}: EK-FAC ${errE} > K-FAC ${errK}`);
    }
    kf.dispose(); ek.dispose();
  }
});

s('the matrix-free Frobenius formula (used on mlp-small) equals the dense one here (≤ 1e-8 relative)', () => {
  // Validates kronecker-reference.ts's layerFrobenius, which the mlp-small test needs because layer 0
  // there is 12,560² — cancellation in ‖GN‖² − 2⟨GN, K⟩ + ‖K‖² costs a few digits, hence 1e-8.
  const net: RefNet = { widths: [5, 4, 3] };
  const p = problem(net, 'cross-entropy', 20, 6);
  const P = numParams(net);
  const gn = refGaussNewton(p.net, p.loss, p.thetaArr, p.ref);
  const ex = perExample(p.net, p.loss, p.thetaArr, p.ref);
  const factors = refFactors(p.net, p.loss, p.thetaArr, p.ref);
  const kd = refKfacDense(net, factors);
  refLayers(net).forEach((l, k) => {
    const g = block(gn, P, l.offset, l.size);
    assert.ok(maxRel(refLayerGaussNewton(l, k, ex), g) <= 1e-14, 'refLayerGaussNewton = the block of refGaussNewton');
    const fk = layerFrobenius(l, k, ex, { kind: 'kfac', ...factors[k]! });
    assert.ok(Math.abs(fk.gn - frob(g)) <= 1e-10 * frob(g), `‖GN_l‖: ${fk.gn} vs ${frob(g)}`);
    const dk = frob(block(kd, P, l.offset, l.size), g);
    assert.ok(Math.abs(fk.err - dk) <= 1e-8 * frob(g), `K-FAC error: ${fk.err} vs dense ${dk}`);
    // Any orthonormal bases will do for checking the formula: a random rotation for A's, the identity for G's.
    const qA = randomOrthogonal(l.inDim, 40 + k), qG = randomOrthogonal(l.outF, 0);
    const lambda = refCorrections(l, k, ex, qA, qG);
    const parts = refLayers(net).map((m, j) => j === k ? { qA, qG, lambda } : { qA: randomOrthogonal(m.inDim, 0), qG: randomOrthogonal(m.outF, 0), lambda: new Float64Array(m.outF * m.inDim) });
    const de = frob(block(refEigenDense(net, parts), P, l.offset, l.size), g);
    const fe = layerFrobenius(l, k, ex, { kind: 'ekfac', qA, qG, lambda });
    assert.ok(Math.abs(fe.err - de) <= 1e-8 * frob(g), `EK-FAC error: ${fe.err} vs dense ${de}`);
  });
});

/** A random orthogonal n×n matrix (Gram–Schmidt of a seeded Gaussian matrix; seed 0: the identity). */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const Q = new Float64Array(n * n);
  if (seed === 0) { for (let i = 0; i < n; i++) Q[i * n + i] = 1; return Q; }
  const rng = new Random(seed);
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    for (let r = 0; r < j; r++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[i * n + r]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= d * Q[i * n + r]!;
    }
    const nv = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (let i = 0; i < n; i++) Q[i * n + j] = v[i]! / nv;
  }
  return Q;
}

s.run();
