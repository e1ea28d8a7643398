import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn } from '../helpers.js';

/**
 * A small float64 problem for the influence tests: by default a 4-5-3 tanh MLP (43 parameters) with
 * cross-entropy and weight decay 1e-2 on 30 random training points, fitted by L-BFGS to ‖∇J‖ ≤ 1e-12
 * (so H is the Hessian at a minimum, as influence functions assume), and 4 test points.
 * Tensors are created on the active backend.
 */
export function smallProblem(seed = 5, nTrain = 30, nTest = 4, widths: number[] = [4, 5, 3]) {
  const rng = new Random(seed);
  const model = c.Sequential.mlp(widths, 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
  const data = (n: number) => ({
    x: c.keep(randn(rng, [n, 4])),
    y: c.keep(c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32')),
  });
  const train = data(nTrain), test = data(nTest);
  const { theta } = c.fitLbfgs(objective, model.init({ seed, dtype: 'float64' }), train, { gradTol: 1e-12, maxIter: 2000 });
  c.keep(theta);
  return { model, objective, theta, train, test, rng };
}

/** Dense reference: −A·H⁻¹·Bᵀ with H the dense (damped) Hessian, A [m, P], B [n, P]. */
export function denseScores(h: c.Tensor, a: c.Tensor, b: c.Tensor): Float64Array {
  const x = c.direct(c.denseOperator(h), c.transpose(b)).x; // [P, n]
  return Float64Array.from(c.neg(c.matmul(a, x)).dataSync());
}
