import { DEBIAN_FASHION_MNIST_DIR } from '../io/datasets.js';
import { InputError } from '../errors.js';
import { breastCancerSplit } from '../jobs/breast-cancer.js';
import { fashionData } from '../jobs/fashion-data.js';
import type { Dataset } from '../nn/objective.js';
import type { DType } from '../backend/types.js';
import { cast as castTensor } from '../tensor/index.js';
import { numberFlag, type Flags } from './model-args.js';

/** Where a dataset came from, recorded in JSON summaries so `curvature report` can find images again. */
export type DataSource =
  | { kind: 'fashion-mnist'; dir: string | null; trainLimit: number | null; testLimit: number | null }
  | { kind: 'breast-cancer' }
  | { kind: 'npy'; trainX: string; testX: string | null };

export interface NamedData { train: Dataset; test: Dataset; source: DataSource; loss: string; features: number }

/** The flags behind `--data`. */
export const DATA_FLAGS = {
  data: { type: 'string' }, 'train-limit': { type: 'string' }, 'test-limit': { type: 'string' },
} as const;

/**
 * `--data fashion-mnist[:DIR]` (the bundled 5000/1000 subset, or the full set from DIR; `:debian`
 * is Debian's /usr/share/datasets/fashion-mnist) or `--data breast-cancer` (standardised, the
 * fixed 80/20 split of the demo). Fashion-MNIST pixels are scaled to [0, 1] and its loss is
 * cross-entropy; breast cancer uses BCE with logits.
 */
export function namedData(flags: Flags, dtype: DType): NamedData {
  const spec = String(flags['data']);
  const limit = (name: string): number | undefined => flags[name] === undefined ? undefined : numberFlag(flags, name, { integer: true, min: 1 });
  if (spec === 'breast-cancer') {
    if (flags['train-limit'] !== undefined || flags['test-limit'] !== undefined) throw new InputError('--train-limit/--test-limit apply to --data fashion-mnist only');
    const s = breastCancerSplit();
    const cast = (d: Dataset): Dataset => dtype === 'float64' ? d : { x: castTensor(d.x, dtype), y: castTensor(d.y, dtype) };
    return { train: cast(s.train), test: cast(s.test), source: { kind: 'breast-cancer' }, loss: 'bce-with-logits', features: 30 };
  }
  if (spec === 'fashion-mnist' || spec.startsWith('fashion-mnist:')) {
    let dir: string | undefined = spec.slice('fashion-mnist:'.length) || undefined;
    if (dir === 'debian') dir = DEBIAN_FASHION_MNIST_DIR;
    const trainLimit = limit('train-limit'), testLimit = limit('test-limit');
    const train = fashionData({ split: 'train', dtype, ...(dir ? { dir } : {}), ...(trainLimit ? { limit: trainLimit } : {}) });
    const test = fashionData({ split: 'test', dtype, ...(dir ? { dir } : {}), ...(testLimit ? { limit: testLimit } : {}) });
    return {
      train: train.data, test: test.data, loss: 'cross-entropy', features: 784,
      source: { kind: 'fashion-mnist', dir: dir ?? null, trainLimit: trainLimit ?? null, testLimit: testLimit ?? null },
    };
  }
  throw new InputError(`--data: expected fashion-mnist, fashion-mnist:DIR, fashion-mnist:debian or breast-cancer, got '${spec}'`);
}
