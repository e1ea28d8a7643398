/**
 * Small float64 problems for the K-FAC / EK-FAC tests: the engine's model and data built from the
 * same description and arrays the independent references (kronecker-reference.ts) use.
 */
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { refData, type RefData, type RefLoss, type RefNet } from './kronecker-reference.js';

export const LOSS: Record<RefLoss, c.Loss> = { 'cross-entropy': c.crossEntropyLoss, mse: c.mseLoss, bce: c.bceWithLogitsLoss };

/** The engine's Sequential for a RefNet: Linear layers (bias per net.bias) with Tanh between them. */
export function modelOf(net: RefNet): c.Sequential {
  const layers: c.Layer[] = [];
  for (let l = 0; l + 1 < net.widths.length; l++) {
    if (l > 0) layers.push(c.Tanh());
    layers.push(new c.Linear(net.widths[l]!, net.widths[l + 1]!, net.bias?.[l] ?? true));
  }
  return new c.Sequential(layers);
}

export interface Problem {
  net: RefNet;
  loss: RefLoss;
  model: c.Sequential;
  objective: c.Objective;
  theta: c.Tensor;
  thetaArr: Float64Array;
  data: c.Dataset;
  ref: RefData;
}

/** A seeded problem: θ ~ the model's init (float64), n random examples, weight decay wd. */
export function problem(net: RefNet, loss: RefLoss, n: number, seed = 1, wd = 0): Problem {
  const model = modelOf(net);
  const objective = new c.Objective(model, LOSS[loss], wd);
  // Scale θ up a little (×2) so tanh is in its non-linear range and the softmax is not uniform.
  const init = model.init({ seed, dtype: 'float64' }).dataSync();
  const thetaArr = Float64Array.from(init, (v) => 2 * v);
  const theta = c.keep(c.tensor(thetaArr, [thetaArr.length], 'float64'));
  const ref = refData(net, loss, n, new Random(seed + 100));
  const inW = net.widths[0]!, outW = net.widths[net.widths.length - 1]!;
  const data = {
    x: c.keep(c.tensor(ref.x, [n, inW], 'float64')),
    y: c.keep(loss === 'cross-entropy' ? c.tensor(Int32Array.from(ref.y), [n], 'int32') : c.tensor(Float64Array.from(ref.y), [n, outW], 'float64')),
  };
  return { net, loss, model, objective, theta, thetaArr, data, ref };
}

export const arr = (t: c.Tensor): Float64Array => Float64Array.from(t.dataSync());
