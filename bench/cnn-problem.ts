import * as c from '../src/index.js';

/**
 * The W-CNN problem (bench/cnn.ts): Fashion-MNIST inputs [B, 1, 28, 28] →
 * Conv2d(1, c1, 3, padding 1) → ReLU → MaxPool2d(2) → Conv2d(c1, c2, 3, padding 1) → ReLU →
 * MaxPool2d(2) → Flatten → Linear(c2·49, 10), mean cross-entropy + (λ/2)‖θ‖², float32, as a
 * curvature Sequential (θ in torch.nn.Sequential's state_dict order). Issue 15's net has
 * c1 = 4, c2 = 8 (4,266 parameters); ../shared/WORKLOADS.md's W-CNN has c1 = 16, c2 = 32.
 * Inputs: the first B Fashion-MNIST training images /255 (Debian's dataset-fashion-mnist) when the
 * files are there, else seeded uniform [0, 1) with seeded labels; θ: PyTorch's default init,
 * seeded; v: seeded standard normal.
 */
export const WEIGHT_DECAY = 1e-3;

export interface CnnConfig { name: string; c1: number; c2: number }

export function cnnModel(c1: number, c2: number): c.Sequential {
  return new c.Sequential([
    new c.Conv2d(1, c1, 3, { padding: 1 }), c.activation('relu'), new c.MaxPool2d(2),
    new c.Conv2d(c1, c2, 3, { padding: 1 }), c.activation('relu'), new c.MaxPool2d(2),
    new c.Flatten(), new c.Linear(c2 * 49, 10),
  ]);
}

/** Host arrays of one problem, identical on every backend and in the peer. */
export interface CnnArrays { cfg: CnnConfig; batch: number; theta: Float32Array; x: Float32Array; y: Int32Array; v: Float32Array; source: string; numParams: number }

export function cnnArrays(cfg: CnnConfig, batch: number, seed = 0): CnnArrays {
  const model = cnnModel(cfg.c1, cfg.c2);
  const theta = Float32Array.from(model.init({ seed, dtype: 'float32' }).dataSync());
  const v = Float32Array.from(c.randomNormal([model.numParams], { seed: seed + 3, dtype: 'float32' }).dataSync());
  let x: Float32Array, y: Int32Array, source: string;
  try {
    const raw = c.loadFashionMnist({ dir: c.DEBIAN_FASHION_MNIST_DIR, split: 'train', limit: batch });
    x = Float32Array.from(raw.x.data, (p) => p / 255);
    y = Int32Array.from(raw.y.data);
    source = `the first ${batch} Fashion-MNIST training images /255 (${c.DEBIAN_FASHION_MNIST_DIR})`;
  } catch (err) {
    x = Float32Array.from(c.randomUniform([batch * 784], { seed: seed + 1, dtype: 'float32' }).dataSync());
    const rng = new c.Random(seed + 2);
    y = Int32Array.from({ length: batch }, () => rng.int(10));
    source = `seeded random inputs in [0, 1) and labels (Fashion-MNIST not readable: ${err instanceof Error ? err.message : String(err)})`;
  }
  return { cfg, batch, theta, x, y, v, source, numParams: model.numParams };
}

/** The problem on the active backend. */
export function cnnProblem(a: CnnArrays) {
  const model = cnnModel(a.cfg.c1, a.cfg.c2);
  const objective = new c.Objective(model, c.crossEntropyLoss, WEIGHT_DECAY);
  const theta = c.keep(c.tensor(a.theta, [a.numParams], 'float32'));
  const v = c.keep(c.tensor(a.v, [a.numParams], 'float32'));
  const data = { x: c.keep(c.tensor(a.x, [a.batch, 1, 28, 28], 'float32')), y: c.keep(c.tensor(a.y, [a.batch], 'int32')) };
  return { model, objective, theta, v, data, dispose: () => c.dispose([theta, v, data.x, data.y]) };
}

/**
 * Flops of one forward pass counted as GEMMs (2·M·N·K per conv — M = B·H·W output positions,
 * N = C_out, K = C_in·9 — and per linear layer); the gradient's floor is 3× that (backward ≈ 2×
 * forward: the input and the weight gradient of each layer).
 */
export function forwardFlops(c1: number, c2: number, batch: number): { conv1: number; conv2: number; linear: number; total: number } {
  const conv1 = 2 * batch * 28 * 28 * c1 * 9, conv2 = 2 * batch * 14 * 14 * c2 * c1 * 9, linear = 2 * batch * c2 * 49 * 10;
  return { conv1, conv2, linear, total: conv1 + conv2 + linear };
}
