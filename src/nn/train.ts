import { valueAndGrad } from '../autodiff/api.js';
import { add, keep, tensor, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, subset, type Dataset, type Objective } from './objective.js';
import { lbfgs, type LbfgsOptions, type LbfgsResult } from './optim/lbfgs.js';
import type { Optimizer } from './optim/first-order.js';

/**
 * Full-batch L-BFGS on the objective (to ‖∇J‖ ≤ gradTol, default 1e-8). The iterate lives in
 * float64 on the host; each evaluation runs the model in θ's dtype.
 */
export function fitLbfgs(objective: Objective, theta0: Tensor, data: Dataset, options: LbfgsOptions & { batchSize?: number } = {}): { theta: Tensor; result: LbfgsResult } {
  objective.model.checkTheta(theta0);
  const dtype = theta0.dtype;
  const fg = (x: Float64Array) => tidy(() => objective.fullValueAndGrad(tensor(x, [x.length], dtype), data, options.batchSize));
  const result = lbfgs(fg, Float64Array.from(theta0.dataSync()), options);
  return { theta: tensor(result.x, [result.x.length], dtype), result };
}

/** Minibatch training with a first-order optimiser, shuffled each epoch from a seed. */
export function fitMinibatch(objective: Objective, theta0: Tensor, data: Dataset, optimizer: Optimizer,
  options: { epochs: number; batchSize: number; seed?: number; onEpoch?: (epoch: number, meanLoss: number) => void }): Tensor {
  const rng = new Random(options.seed ?? 0);
  const n = data.x.shape[0]!;
  let theta = keep(add(theta0, 0));
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const perm = rng.permutation(n);
    let total = 0;
    for (let start = 0; start < n; start += options.batchSize) {
      const next = tidy(() => {
        const b = subset(data, perm.subarray(start, Math.min(n, start + options.batchSize)));
        const { value, grad } = valueAndGrad((t: Tensor) => objective.value(t, b), theta);
        total += value.item() * b.x.shape[0]!;
        return optimizer.step(theta, grad);
      });
      theta.dispose();
      theta = keep(next);
    }
    options.onEpoch?.(epoch, total / n);
  }
  return theta;
}

export { batchOf };
