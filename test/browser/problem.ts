/**
 * The computation the headless-Chromium loader test runs twice: in the browser on the wasm backend
 * (loaded with loadWasmFromUrl over fetch) and in Node on the js reference backend. It runs on
 * whatever backend is active and returns plain arrays, so the two results can be compared after a
 * JSON round trip. Float64 throughout: the two backends then agree to ~1e-12.
 */
import * as c from '../../src/index.js';

export interface BrowserResults {
  backend: string;
  /** A[7×5]·B[5×3], row-major. */
  matmul: number[];
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
      hvp,
      cg: { x: Array.from(sol.x.dataSync()), iterations: sol.iterations, residualNorm: sol.residualNorm, converged: sol.converged },
    };
  });
}
