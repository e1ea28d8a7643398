/**
 * The computation the headless-Chromium loader test runs twice: in the browser on the wasm backend
 * (loaded with loadWasmFromUrl over fetch) and in Node on the js reference backend. It runs on
 * whatever backend is active and returns plain arrays, so the two results can be compared after a
 * JSON round trip. Float64 throughout (the two backends then agree to ~1e-12), except one float32
 * product large enough for the packed GEMM's micro-kernel (the fused multiply-adds of the FMA build).
 */
import * as c from '../../src/index.js';

export interface BrowserResults {
  backend: string;
  /** A[7×5]·B[5×3], row-major. */
  matmul: number[];
  /** float32 P[40×70]·Q[70×50], row-major. */
  sgemm: number[];
  /** H·v of a 4-6-3 tanh MLP with mean cross-entropy and L2 weight 1e-2 (forward-over-reverse). */
  hvp: number[];
  /** CG solve of (H + I)·x = v (damped Hessian operator). */
  cg: { x: number[]; iterations: number; residualNorm: number; converged: boolean };
}

export function runBrowserProblem(): BrowserResults {
  return c.tidy(() => {
    const a = c.randomNormal([7, 5], { seed: 11, dtype: 'float64' });
    const b = c.randomNormal([5, 3], { seed: 12, dtype: 'float64' });
    const matmul = Array.from(c.matmul(a, b).dataSync());
    const p = c.randomNormal([40, 70], { seed: 15, dtype: 'float32' });
    const q = c.randomNormal([70, 50], { seed: 16, dtype: 'float32' });
    const sgemm = Array.from(c.matmul(p, q).dataSync());

    const model = c.Sequential.mlp([4, 6, 3], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = model.init({ seed: 5, dtype: 'float64' });
    const x = c.randomNormal([9, 4], { seed: 13, dtype: 'float64' });
    const y = c.tensor([0, 1, 2, 2, 1, 0, 1, 2, 0], [9], 'int32');
    const data = { x, y };
    const v = c.randomNormal([model.numParams], { seed: 14, dtype: 'float64' });
    const hvp = Array.from(c.hvp((t) => objective.dataLoss(t, data), theta, v).dataSync());

    const H = c.hessianOperator(objective, theta, data, { damping: 1 });
    const sol = c.cg(H, v, { rtol: 1e-12, maxIter: 200 });
    return {
      backend: c.getBackend().name,
      matmul,
      sgemm,
      hvp,
      cg: { x: Array.from(sol.x.dataSync()), iterations: sol.iterations, residualNorm: sol.residualNorm, converged: sol.converged },
    };
  });
}
