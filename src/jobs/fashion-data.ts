import { existsSync } from 'node:fs';
import type { DType } from '../backend/types.js';
import { InputError } from '../errors.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from '../io/datasets.js';
import type { Dataset } from '../nn/objective.js';
import { tensor } from '../tensor/index.js';

export interface FashionDataOptions {
  /** Directory of the full set (e.g. Debian's); 'bundled' or undefined: the bundled 5000/1000 subset. */
  dir?: string;
  split?: 'train' | 'test';
  /** First `limit` images only. */
  limit?: number;
  /** Average-pool k×k pixel blocks (28 must be divisible by k): 1 = 784 features, 4 = 49, 7 = 16. */
  pool?: number;
  dtype?: DType;
}

/** A Fashion-MNIST split as a Dataset (pixels / 255, int32 labels) plus the raw images for reports. */
export interface FashionData {
  data: Dataset;
  /** uint8 [n, side, side] images as fed to the model (after pooling), for thumbnails. */
  images: Uint8Array;
  side: number;
  labels: Int32Array;
  source: string;
}

/** The directory a `--data fashion-mnist` run reads: Debian's full set when installed, else the bundled subset. */
export function defaultFashionDir(): string | undefined {
  return existsSync(DEBIAN_FASHION_MNIST_DIR) ? DEBIAN_FASHION_MNIST_DIR : undefined;
}

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) ready for a model: features scaled to [0, 1],
 * optionally k×k average-pooled (a cheap way to get small models for CI-sized checks).
 */
export function fashionData(options: FashionDataOptions = {}): FashionData {
  const pool = options.pool ?? 1;
  if (!Number.isInteger(pool) || pool < 1 || 28 % pool !== 0) {
    throw new InputError(`Fashion-MNIST pooling: expected a divisor of 28 (1, 2, 4, 7, 14, 28), got ${pool}`);
  }
  const dir = options.dir === 'bundled' ? undefined : options.dir;
  const raw = loadFashionMnist({ split: options.split ?? 'train', ...(dir ? { dir } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  const n = raw.y.shape[0]!, side = 28 / pool, d = side * side;
  const images = new Uint8Array(n * d);
  const x = new Float64Array(n * d);
  const src = raw.x.data;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        let acc = 0;
        for (let dr = 0; dr < pool; dr++) for (let dc = 0; dc < pool; dc++) acc += src[i * 784 + (r * pool + dr) * 28 + c * pool + dc]!;
        const v = acc / (pool * pool);
        images[i * d + r * side + c] = Math.round(v);
        x[i * d + r * side + c] = v / 255;
      }
    }
  }
  const labels = Int32Array.from(raw.y.data);
  return {
    data: { x: tensor(x, [n, d], options.dtype ?? 'float64'), y: tensor(labels, [n], 'int32') },
    images, side, labels,
    source: dir ?? 'bundled subset (data/fashion-mnist-subset)',
  };
}
