import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as c from '../src/index.js';

/**
 * The W-EKFAC problem (../shared/WORKLOADS.md): the W-HVP MLP 784 → 128 → tanh → 128 → tanh → 10
 * (118,282 parameters), mean cross-entropy, on the first `n` Fashion-MNIST training images (all
 * 60,000 in the workload) and the first `t` test images, from Debian's dataset-fashion-mnist.
 * Pixels are (u8 / 255) computed in float64 and rounded to the working dtype — exactly what
 * bench/peers/ekfac_torch.py computes from the same files. θ is the model's seeded initialisation
 * (the stages' cost does not depend on θ), written as raw little-endian values for the peer.
 */
export const WIDTHS = [784, 128, 128, 10] as const;

export interface EkfacProblem {
  model: c.Sequential;
  objective: c.Objective;
  theta: c.Tensor;
  train: c.Dataset;
  test: c.Dataset;
  dtype: c.FloatDType;
  dispose(): void;
}

function split(which: 'train' | 'test', limit: number, dtype: c.FloatDType): c.Dataset {
  const raw = c.loadFashionMnist({ dir: c.DEBIAN_FASHION_MNIST_DIR, split: which, limit });
  const px = raw.x.data;
  const x = dtype === 'float32' ? new Float32Array(px.length) : new Float64Array(px.length);
  for (let i = 0; i < px.length; i++) x[i] = px[i]! / 255;
  return { x: c.keep(c.tensor(x, [limit, 784], dtype)), y: c.keep(c.tensor(Int32Array.from(raw.y.data), [limit], 'int32')) };
}

export function ekfacProblem(n: number, t: number, dtype: c.FloatDType, seed = 0): EkfacProblem {
  const model = c.Sequential.mlp([...WIDTHS], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const theta = c.keep(model.init({ seed, dtype }));
  const train = split('train', n, dtype), test = split('test', t, dtype);
  return {
    model, objective, theta, train, test, dtype,
    dispose: () => c.dispose([theta, train.x, train.y, test.x, test.y]),
  };
}

/** Rows [0, count) of a dataset (for the warm-up; may be the dataset's own tensors when count covers it all). */
export function head(d: c.Dataset, count: number): c.Dataset {
  return { x: c.keep(c.slice(d.x, [0, 0], [count, d.x.shape[1]!])), y: c.keep(c.slice(d.y, [0], [count])) };
}

/** θ as raw little-endian values in the working dtype: dir/theta.bin, for the peer. */
export function writeTheta(p: EkfacProblem, dir: string): void {
  const v = p.theta.dataSync();
  const arr = p.dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v);
  writeFileSync(join(dir, 'theta.bin'), new Uint8Array(arr.buffer));
}
