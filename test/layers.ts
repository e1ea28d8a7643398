import * as assert from 'uvu/assert';
import * as c from '../src/index.js';
import type { Random } from '../src/tensor/random.js';
import { relErr } from './helpers.js';

/** Shared pieces of the layer, capture and scoring tests. */

/** n class labels in [0, k). */
export function labels(rng: Random, n: number, k: number): c.Tensor {
  return c.tensor(Int32Array.from({ length: n }, () => rng.int(k)), [n], 'int32');
}

/** y = w ⊙ x with w of shape [width]: a parameterised layer with no capture, scoring or Kronecker rule (the fallback paths). */
export function elementwiseScale(width: number): c.Layer {
  return {
    kind: 'scale', params: [{ name: 'weight', shape: [width] }],
    apply: (p, x) => c.mul(x, p[0]!),
    init: (rng) => [Float64Array.from({ length: width }, () => 0.5 + rng.uniform())],
    describe: () => `Scale(${width})`,
  };
}

/** Row i of the reference: ∇θ ℓ(f(xᵢ; θ), yᵢ) by autodiff of the one-example batch. */
export function autodiffRows(obj: c.Objective<c.Model>, theta: c.Tensor, data: c.Dataset): Float64Array[] {
  const n = data.x.shape[0]!;
  return Array.from({ length: n }, (_, i) => c.tidy(() =>
    Float64Array.from(c.grad((t: c.Tensor) => obj.dataLoss(t, c.batchOf(data, i, 1)), theta).dataSync())));
}

/** Every row of G [n, P] against the reference rows, relative error ≤ tol. */
export function assertRows(G: c.Tensor, ref: Float64Array[], tol: number, what: string): void {
  const P = ref[0]!.length;
  assert.equal([...G.shape], [ref.length, P], `${what}: shape`);
  const g = G.dataSync();
  ref.forEach((r, i) => {
    const e = relErr(g.subarray(i * P, (i + 1) * P), r);
    assert.ok(e <= tol, `${what}, example ${i}: rel err ${e}`);
  });
}

/** The objective's per-example gradients (from captures) against one autodiff gradient per example. */
export function assertPerExampleGradients(obj: c.Objective<c.Model>, theta: c.Tensor, data: c.Dataset, tol: number, what: string): void {
  assertRows(obj.perSampleGradients(theta, data), autodiffRows(obj, theta, data), tol, what);
}

/**
 * hvpBatched of f at θ with k random directions equals k single forward-over-reverse HVPs
 * (≤ tol), and, with `reverseTol`, the reverse-over-reverse HVP agrees with them (≤ reverseTol).
 */
export function assertBatchedHvp(f: (t: c.Tensor) => c.Tensor, theta: c.Tensor, rng: Random, k: number, tol: number, reverseTol?: number): void {
  const P = theta.size;
  const V = c.tensor(Float64Array.from({ length: k * P }, () => rng.normal()), [k, P], 'float64');
  const hb = c.hvpBatched(f, theta, V).dataSync();
  for (let j = 0; j < k; j++) {
    const v = c.reshape(c.slice(V, [j, 0], [1, P]), [P]);
    const hv = c.hvp(f, theta, v).dataSync();
    assert.ok(relErr(hb.subarray(j * P, (j + 1) * P), hv) <= tol, `batched HVP ${j}`);
    if (reverseTol !== undefined) assert.ok(relErr(c.hvp(f, theta, v, 'reverse-over-reverse').dataSync(), hv) <= reverseTol, `HVP modes ${j}`);
  }
}
