import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { get, loadFixture } from '../fixtures.js';
import { skipBecause } from '../skip.js';
import { frob, layerFrobenius, maxRel, perExample, refCorrections, refFactors, refLayerGaussNewton, refLayers, type RefNet } from './kronecker-reference.js';
import { arr } from './kronecker-problem.js';

/**
 * Issue 12, items 1 and 3 on a real network: mlp-small's model (784-16-10 tanh, θ from
 * test/fixtures/mlp-small.safetensors, cross-entropy, weight decay 1e-3) on the first N = 500 of its
 * Fashion-MNIST training images (the dense GN of 5,000 images is 12,730² — and its layer-0 block
 * 12,560² — so a subset, and a matrix-free Frobenius formula for layer 0: layerFrobenius in
 * kronecker-reference.ts, checked against dense matrices in kronecker-exact.test.ts).
 *
 * What is compared: each Linear layer's diagonal block of the data Gauss–Newton matrix
 * (1/N)Σₙ Jₙᵀ(diag p − ppᵀ)Jₙ (no weight decay) against the same block of K-FAC (G ⊗ A) and of EK-FAC,
 * both fitted on the same 500 images: ‖EK-FAC_l − GN_l‖_F ≤ ‖K-FAC_l − GN_l‖_F for both layers.
 * Both approximations are block-diagonal, so the off-diagonal blocks add the same error to both.
 * Along the way the fitted factors and corrections are checked against the definitions (≤ 1e-10).
 */
const s = suite('mlp-small (500 images): K-FAC factors and EK-FAC ≤ K-FAC Frobenius error');
const fx = loadFixture('mlp-small');
const NET: RefNet = { widths: [784, 16, 10] };
const N = 500;
const NAME = 'factors, corrections and per-layer Frobenius errors to the GN blocks';

let train: c.Dataset | null = null, rawX: Float64Array | null = null, rawY: Int32Array | null = null;
let missing = '';
c.setBackend('js');
try {
  const d = loadFashionMnist({ split: 'train', limit: N });
  rawX = Float64Array.from(d.x.data as Uint8Array, (v) => v / 255);
  rawY = Int32Array.from(d.y.data as Int32Array);
  train = { x: c.keep(c.tensor(rawX, [N, 784], 'float64')), y: c.keep(c.tensor(rawY, [N], 'int32')) };
} catch (err) {
  missing = `the Fashion-MNIST images are not available (${(err as Error).message})`;
}

if (!train) {
  skipBecause(s, NAME, missing);
} else {
  const data = train, ref = { n: N, x: rawX!, y: rawY! };
  s.before(() => { c.setBackend('js'); });
  s(NAME, () => {
    const model = c.Sequential.mlp([784, 16, 10], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
    const thetaArr = get(fx, 'theta').data;
    const theta = c.tensor(thetaArr, [thetaArr.length], 'float64');
    const kf = c.KroneckerCurvature.fit(objective, theta, data);
    const ek = c.KroneckerCurvature.fit(objective, theta, data, { corrected: true });
    const ex = perExample(NET, 'cross-entropy', thetaArr, ref);
    const factors = refFactors(NET, 'cross-entropy', thetaArr, ref);
    refLayers(NET).forEach((l, k) => {
      // Factors and corrections against the definitions (float64 sums of 500·10 products: round-off ~1e-14).
      const eA = maxRel(arr(kf.layers[k]!.A), factors[k]!.A), eG = maxRel(arr(kf.layers[k]!.G), factors[k]!.G);
      assert.ok(eA <= 1e-10 && eG <= 1e-10, `layer ${k}: A maxRel ${eA}, G maxRel ${eG}`);
      const qA = arr(ek.layers[k]!.qA), qG = arr(ek.layers[k]!.qG), lambda = arr(ek.layers[k]!.corrections!);
      const eL = maxRel(lambda, refCorrections(l, k, ex, qA, qG));
      assert.ok(eL <= 1e-10, `layer ${k}: corrections maxRel ${eL}`);
      // Frobenius errors, matrix-free, with the fitted factors and corrections.
      const fK = layerFrobenius(l, k, ex, { kind: 'kfac', A: arr(kf.layers[k]!.A), G: arr(kf.layers[k]!.G) });
      const fE = layerFrobenius(l, k, ex, { kind: 'ekfac', qA, qG, lambda });
      console.log(`    mlp-small layer ${k} (${l.size} parameters, N = ${N}): ‖GN_l‖_F = ${fK.gn.toExponential(4)}, ` +
        `‖K-FAC − GN‖ = ${fK.err.toExponential(4)} (${(fK.err / fK.gn).toFixed(4)}), ‖EK-FAC − GN‖ = ${fE.err.toExponential(4)} (${(fE.err / fE.gn).toFixed(4)})`);
      // EK-FAC's Λ minimises the error among matrices diagonal in the Kronecker eigenbasis (K-FAC is one): a theorem; 1e-9·‖GN‖ slack for round-off.
      assert.ok(fE.err <= fK.err + 1e-9 * fK.gn, `layer ${k}: EK-FAC error ${fE.err} > K-FAC error ${fK.err}`);
    });
    // Layer 1 (170 parameters) also densely, through the operators themselves: the same errors.
    const l1 = refLayers(NET)[1]!;
    const gn1 = refLayerGaussNewton(l1, 1, ex);
    const errs = [kf, ek].map((curv) => frob(arr(c.toDense(c.restrictToBlock(c.kroneckerOperator(curv, { shift: 0 }), l1.offset, l1.size))), gn1));
    const f1 = [
      layerFrobenius(l1, 1, ex, { kind: 'kfac', A: arr(kf.layers[1]!.A), G: arr(kf.layers[1]!.G) }).err,
      layerFrobenius(l1, 1, ex, { kind: 'ekfac', qA: arr(ek.layers[1]!.qA), qG: arr(ek.layers[1]!.qG), lambda: arr(ek.layers[1]!.corrections!) }).err,
    ];
    console.log(`    mlp-small layer 1 dense: ‖K-FAC − GN‖ = ${errs[0]!.toExponential(4)}, ‖EK-FAC − GN‖ = ${errs[1]!.toExponential(4)}`);
    assert.ok(errs[1]! <= errs[0]!, `layer 1 dense: EK-FAC ${errs[1]} > K-FAC ${errs[0]}`);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(errs[i]! - f1[i]!) <= 1e-8 * frob(gn1), `layer 1: dense ${errs[i]} vs formula ${f1[i]}`);
    kf.dispose(); ek.dispose();
  });
}

s.run();
