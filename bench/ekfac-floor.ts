/**
 * GEMM flop counts of the W-EKFAC stages (bench/ekfac.ts) for an MLP of Linear layers with bias,
 * widths d₀ → d₁ → … → d_L, N training examples, C output columns of the loss Hessian's square
 * root (C = number of classes for cross-entropy), T test points. Divided by the GEMM rate measured
 * in the same run they give each stage's floor: the time the stage would take if every flop ran
 * at the rate of a large square GEMM and nothing else cost anything. Elementwise work (tanh,
 * softmax, squares) and memory traffic are left out: a floor, not a model.
 *
 * Per layer l: in = d_{l−1}, out = d_l, inDim = in + 1 (homogeneous input ã = [a; 1]).
 *   forward(n)          Σ_l 2·n·in·out
 *   backward(n, K)      K cotangents pulled back to every layer output: Σ_{l≥2} 2·n·K·in·out (the
 *                       input of layer 1 is data: no input gradient)
 *   A accumulation      Σ_l 2·n·inDim²  (as a GEMM ÃᵀÃ; a symmetric product, syrk, needs
 *                       n·inDim·(inDim + 1): `covariancesSymmetric` counts A and G that way)
 *   G accumulation      Σ_l 2·n·C·out²
 *   eigendecomposition  Σ_l 9·(inDim³ + out³): an estimate for a dense symmetric eigensolver
 *                       (tridiagonal reduction 4/3·n³ + accumulating Q 4/3·n³ + QR/divide-and-
 *                       conquer on the tridiagonal and back-transformation, ~9n³ in Golub–Van Loan's
 *                       count for eigenvalues and eigenvectors); most of it is not GEMM-shaped,
 *                       so this floor is loose.
 *   corrections         forward + backward(N, C) + projections ÃQ_A (2·n·inDim²) and Q_Gᵀδ
 *                       (2·n·C·out²) + the squared accumulation Λ += (Σ_k δ'²)ᵀ·(ã'²): 2·n·out·inDim
 *                       (the square of a rank-one δ'ₖã'ᵀ is the outer product of the squares, so
 *                       the C columns are summed before the GEMM)
 *   scoring             test side: forward(T) + backward(T, 1) + the EK-FAC solve per test point
 *                       Q_G[(Q_GᵀGQ_A) ⊘ (Λ+λ)]Q_Aᵀ: 4 GEMMs, 2·T·2·(out²·inDim + out·inDim²);
 *                       training side: forward(N) + backward(N, 1) + the contraction of every
 *                       (test, train) pair, 2·T·N·out·inDim per layer (2·T·N·P in all)
 */
export interface EkfacFlops {
  covariances: number;
  eigendecompositions: number;
  corrections: number;
  scoring: number;
  /** The covariances with A and G accumulated as symmetric products (one triangle and the diagonal). */
  covariancesSymmetric?: number;
  /** The parts, for RESULTS.md. */
  parts: Record<string, number>;
}

export function ekfacFlops(widths: readonly number[], N: number, C: number, T: number): EkfacFlops {
  const L = widths.length - 1;
  const layers = Array.from({ length: L }, (_, l) => ({ inp: widths[l]!, out: widths[l + 1]!, inDim: widths[l]! + 1, first: l === 0 }));
  const sum = (f: (x: (typeof layers)[number]) => number): number => layers.reduce((s, x) => s + f(x), 0);
  const forward = (n: number) => sum((x) => 2 * n * x.inp * x.out);
  const backward = (n: number, k: number) => sum((x) => (x.first ? 0 : 2 * n * k * x.inp * x.out));
  const accA = sum((x) => 2 * N * x.inDim ** 2);
  const accG = sum((x) => 2 * N * C * x.out ** 2);
  const eig = sum((x) => 9 * (x.inDim ** 3 + x.out ** 3));
  const square = sum((x) => 2 * N * x.out * x.inDim);
  const solve = sum((x) => 4 * T * (x.out ** 2 * x.inDim + x.out * x.inDim ** 2));
  const contraction = sum((x) => 2 * T * N * x.out * x.inDim);
  const parts = {
    'forward (N)': forward(N), 'backward of C columns (N)': backward(N, C), 'A accumulation': accA, 'G accumulation': accG,
    'eigendecompositions (9n³ estimate)': eig, 'projections ÃQ_A and Q_Gᵀδ': accA + accG, 'squared accumulation': square,
    'test gradients + EK-FAC solves (T)': forward(T) + backward(T, 1) + solve, 'training gradients (N)': forward(N) + backward(N, 1),
    'score contraction (2·T·N·P)': contraction,
  };
  return {
    covariances: forward(N) + backward(N, C) + accA + accG,
    covariancesSymmetric: forward(N) + backward(N, C) + sum((x) => N * x.inDim * (x.inDim + 1) + N * C * x.out * (x.out + 1)),
    eigendecompositions: eig,
    corrections: forward(N) + backward(N, C) + accA + accG + square,
    scoring: forward(T) + backward(T, 1) + solve + forward(N) + backward(N, 1) + contraction,
    parts,
  };
}
