/**
 * Fashion-MNIST ready for a model, as plain arrays (no tensors): pixels scaled to [0, 1],
 * optionally k×k average-pooled (a cheap way to get small models for CI-sized checks), plus the
 * images as fed to the model for report thumbnails. The CLI turns it into a Dataset in
 * src/cli/data-args.ts (fashionData).
 */
import { InputError } from '../errors.js';
import type { RawArrayOf } from './array.js';
import { DEBIAN_FASHION_MNIST_DIR, loadFashionMnist } from './datasets.js';
import { nodeFs } from './source.js';

export interface FashionPixelsOptions {
  /** Directory of the full set (e.g. Debian's); 'bundled' or undefined: the bundled 5000/1000 subset. */
  dir?: string;
  split?: 'train' | 'test';
  /** First `limit` images only. */
  limit?: number;
  /** Average-pool k×k pixel blocks (28 must be divisible by k): 1 = 784 features, 4 = 49, 7 = 16. */
  pool?: number;
}

export interface FashionPixels {
  /** float64 [n, side·side]: pooled pixels / 255. */
  x: RawArrayOf<'float64'>;
  /** uint8 [n, side, side] images as fed to the model (after pooling), for thumbnails. */
  images: Uint8Array;
  side: number;
  /** int32 [n] labels 0..9. */
  labels: Int32Array;
  /** Where the images came from (the directory, or the bundled subset). */
  source: string;
}

/** The directory a `--data fashion-mnist` run reads: Debian's full set when installed, else undefined (the bundled subset). */
export function defaultFashionDir(): string | undefined {
  return nodeFs('look for', DEBIAN_FASHION_MNIST_DIR).fs.existsSync(DEBIAN_FASHION_MNIST_DIR) ? DEBIAN_FASHION_MNIST_DIR : undefined;
}

/** Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) scaled to [0, 1] and optionally pooled, as plain arrays. */
export function fashionPixels(options: FashionPixelsOptions = {}): FashionPixels {
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
  return {
    x: { data: x, shape: [n, d], dtype: 'float64' },
    images, side, labels: Int32Array.from(raw.y.data),
    source: dir ?? 'bundled subset (data/fashion-mnist-subset)',
  };
}
