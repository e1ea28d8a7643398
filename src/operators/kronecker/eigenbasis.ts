import { matmul, mul, reshape, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { KroneckerLayout } from './layout.js';

/**
 * Q_G·[(Q_Gᵀ·M·Q_A) ⊙ S]·Q_Aᵀ for each of k gradient matrices M [k, out, inDim]: a function of
 * the Kronecker-factored block (G ⊗ A in θ's row-major layout: vec(M) ↦ vec(G·M·A)) applied in
 * its eigenbasis. S = λ_G·λ_Aᵀ gives K-FAC, S = Λ EK-FAC, S = 1/(Λ + λ) their damped inverses
 * (George et al. 2018, eqs. 7–9). Four GEMMs over all k columns at once.
 */
export function applyInEigenbasis(l: KroneckerLayout, qA: Tensor, qG: Tensor, m: Tensor, scale: Tensor): Tensor {
  const k = m.shape[0]!, out = l.outFeatures, inDim = l.inDim;
  const right = matmul(m, qA); // [k, out, inDim]
  const t = k === 1 ? reshape(right, [out, inDim]) : reshape(transpose(right, [1, 0, 2]), [out, k * inDim]);
  const projected = reshape(matmul(qG, t, { transA: true }), [out, k, inDim]);
  const scaled = reshape(mul(projected, reshape(scale, [out, 1, inDim])), [out, k * inDim]);
  const back = reshape(matmul(qG, scaled), [out, k, inDim]);
  const left = k === 1 ? reshape(back, [1, out, inDim]) : transpose(back, [1, 0, 2]);
  return matmul(left, qA, { transB: true });
}
