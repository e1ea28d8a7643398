/**
 * Train/test splits of a feature matrix, as plain RawArrays (no tensors): the rows a permutation
 * puts first go to training, the rest to test, features standardised with the training split's
 * statistics. The bundled breast-cancer data's demo split is
 * `standardisedSplit(loadBreastCancer(), new Random(0).permutation(569))` (see src/cli/data-args.ts).
 */
import { ShapeError } from '../errors.js';
import { toFloat64, type RawArray, type RawArrayOf } from './array.js';

export interface RawSplitPart { x: RawArrayOf<'float64'>; y: RawArrayOf<'float64'> }

export interface RawSplit { train: RawSplitPart; test: RawSplitPart; trainIndex: Int32Array; testIndex: Int32Array }

/**
 * Splits the rows of x [n, d] and y [n] by `permutation` (a permutation of 0..n−1): its first
 * round(trainFraction·n) rows are the training split, the rest the test split. Every feature is
 * standardised with the training split's mean and (population) standard deviation, 1 where that
 * is 0; targets are returned as float64.
 */
export function standardisedSplit(data: { x: RawArray; y: RawArray }, permutation: ArrayLike<number>, trainFraction = 0.8): RawSplit {
  const [n, d] = data.x.shape as [number, number];
  if (data.x.shape.length !== 2) throw new ShapeError(`standardisedSplit: expected features [n, d], got [${data.x.shape.join(', ')}]`);
  if (data.y.shape[0] !== n || data.y.data.length !== n) throw new ShapeError(`standardisedSplit: ${n} rows of features but targets of shape [${data.y.shape.join(', ')}]`);
  if (permutation.length !== n) throw new ShapeError(`standardisedSplit: expected a permutation of ${n} rows, got ${permutation.length} indices`);
  const perm = Int32Array.from(permutation);
  const nTrain = Math.round(trainFraction * n);
  const trainIndex = perm.slice(0, nTrain), testIndex = perm.slice(nTrain);
  const x = toFloat64(data.x).data, y = toFloat64(data.y).data;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (const i of trainIndex) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / nTrain;
  for (const i of trainIndex) for (let j = 0; j < d; j++) std[j]! += (x[i * d + j]! - mean[j]!) ** 2 / nTrain;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const make = (idx: Int32Array): RawSplitPart => {
    const xs = new Float64Array(idx.length * d), ys = new Float64Array(idx.length);
    idx.forEach((i, r) => {
      for (let j = 0; j < d; j++) xs[r * d + j] = (x[i * d + j]! - mean[j]!) / std[j]!;
      ys[r] = y[i]!;
    });
    return { x: { data: xs, shape: [idx.length, d], dtype: 'float64' }, y: { data: ys, shape: [idx.length], dtype: 'float64' } };
  };
  return { train: make(trainIndex), test: make(testIndex), trainIndex, testIndex };
}
