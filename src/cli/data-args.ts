/**
 * The data a command reads: a bundled dataset (--data) or the user's files (--train-x/--train-y,
 * --test-x/--test-y as .npy or .csv, or one .csv per split with --label-column), with row limits
 * (--train-limit, --test-limit) and a selection of test rows (--test-index).
 */
import { DEBIAN_FASHION_MNIST_DIR, loadBreastCancer } from '../io/datasets.js';
import { InputError } from '../errors.js';
import { toFloat64, toInt32, type RawArray } from '../io/array.js';
import { readCsv, csvToMatrix } from '../io/csv.js';
import { fashionPixels, type FashionPixels, type FashionPixelsOptions } from '../io/fashion-pixels.js';
import { readNpy } from '../io/npy.js';
import { standardisedSplit } from '../io/splits.js';
import { batchOf, subset, type Dataset } from '../nn/objective.js';
import type { DType } from '../backend/types.js';
import { cast as castTensor, tensor } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { numberFlag, required, type Flags } from './flags.js';

/** Where a dataset came from, recorded in JSON summaries so `curvature report` can find images again. */
export type DataSource =
  | { kind: 'fashion-mnist'; dir: string | null; trainLimit: number | null; testLimit: number | null; testIndex?: number[] | null }
  | { kind: 'breast-cancer'; testIndex?: number[] | null }
  | { kind: 'files'; trainX: string; testX: string | null; trainLimit: number | null; testLimit: number | null; testIndex: number[] | null };

export interface LoadedData { train: Dataset; test: Dataset | null; source: DataSource }

/** Inputs as floats [N, features], flattening trailing axes (images [N, 28, 28] → [N, 784]). */
export function inputsFrom(raw: RawArray, dtype: DType, path: string): Tensor {
  if (raw.shape.length < 1) throw new InputError(`${path}: expected inputs of shape [N, ...], got a scalar`);
  const n = raw.shape[0]!;
  const f = toFloat64(raw);
  for (let i = 0; i < f.data.length; i++) {
    if (!Number.isFinite(f.data[i]!)) throw new InputError(`${path}: non-finite value ${f.data[i]} at element ${i}`);
  }
  return tensor(f.data, [n, n === 0 ? 0 : f.data.length / n], dtype);
}

/** Targets: int32 class indices for cross-entropy, floats otherwise ([N, 1] columns of a CSV become [N]). */
export function targetsFrom(raw: RawArray, loss: string, dtype: DType, path: string): Tensor {
  const shape = raw.shape.length === 2 && raw.shape[1] === 1 ? [raw.shape[0]!] : raw.shape.length ? [...raw.shape] : [1];
  if (loss === 'cross-entropy') {
    const labels = toInt32({ ...raw, shape }, path);
    return tensor(labels.data, [labels.data.length], 'int32');
  }
  const f = toFloat64(raw);
  return tensor(f.data, shape, dtype);
}

export interface BreastCancerSplit { train: Dataset; test: Dataset; trainIndex: Int32Array; testIndex: Int32Array }

/**
 * The bundled breast-cancer data (569×30) as float64 Datasets, split 80/20 by a seeded permutation,
 * features standardised with the training split's mean and standard deviation; targets 1 = benign
 * (`--data breast-cancer` and `curvature demo`).
 */
export function breastCancerSplit(seed = 0): BreastCancerSplit {
  const bc = loadBreastCancer();
  const s = standardisedSplit(bc, new Random(seed).permutation(bc.x.shape[0]!));
  const dataset = (part: typeof s.train): Dataset => ({ x: tensor(part.x.data, part.x.shape, 'float64'), y: tensor(part.y.data, part.y.shape, 'float64') });
  return { train: dataset(s.train), test: dataset(s.test), trainIndex: s.trainIndex, testIndex: s.testIndex };
}

export interface FashionDataOptions extends FashionPixelsOptions { dtype?: DType }

/** A Fashion-MNIST split as a Dataset (pixels / 255, int32 labels) plus the raw images for reports. */
export interface FashionData extends FashionPixels { data: Dataset }

/** Fashion-MNIST as a Dataset (io's fashionPixels, features in `dtype`, default float64): `--data fashion-mnist`. */
export function fashionData(options: FashionDataOptions = {}): FashionData {
  const { dtype, ...rest } = options;
  const px = fashionPixels(rest);
  const n = px.labels.length;
  return { ...px, data: { x: tensor(px.x.data, px.x.shape, dtype ?? 'float64'), y: tensor(px.labels, [n], 'int32') } };
}

const isCsv = (path: string): boolean => path.toLowerCase().endsWith('.csv');

/** A .npy or .csv file as a RawArray (CSV: float64 [rows, columns], header detected). */
export function readArray(path: string): RawArray {
  return isCsv(path) ? csvToMatrix(readCsv(path)) : readNpy(path);
}

/** Reads one split: x and y from two files, or both from one .csv with --label-column. */
function split(flags: Flags, name: 'train' | 'test', loss: string, dtype: DType): Dataset {
  const xPath = required(flags, `${name}-x`);
  const label = flags['label-column'];
  if (typeof label === 'string') {
    if (!isCsv(xPath)) throw new InputError(`--label-column needs .csv inputs, got --${name}-x ${xPath}`);
    if (flags[`${name}-y`] !== undefined) throw new InputError(`--label-column and --${name}-y cannot be combined: the targets come from one or the other`);
    // A column named by name needs the header row (auto-detection fails when the labels are not numbers).
    const byIndex = /^\d+$/.test(label);
    const table = readCsv(xPath, byIndex ? {} : { header: true });
    const width = table.header?.length ?? table.rows[0]?.length ?? 0;
    let col = table.header ? table.header.indexOf(label) : -1;
    if (col < 0) {
      col = byIndex ? Number(label) : -1;
      if (col < 0 || col >= width) {
        throw new InputError(`--label-column ${label}: ${xPath} has no such column (${table.header ? `columns: ${table.header.join(', ')}` : `${width} columns, no header`})`);
      }
    }
    const features = Array.from({ length: width }, (_, j) => j).filter((j) => j !== col);
    return {
      x: inputsFrom(csvToMatrix(table, { columns: features }), dtype, xPath),
      y: targetsFrom(csvToMatrix(table, { columns: [col] }), loss, dtype, `${xPath} column ${label}`),
    };
  }
  const yPath = required(flags, `${name}-y`, isCsv(xPath) ? 'or --label-column for a .csv with the targets in a column' : '');
  const x = inputsFrom(readArray(xPath), dtype, xPath), y = targetsFrom(readArray(yPath), loss, dtype, yPath);
  if (x.shape[0] !== y.shape[0]) throw new InputError(`--${name}-x ${xPath} has ${x.shape[0]} rows, --${name}-y ${yPath} has ${y.shape[0]}`);
  return { x, y };
}

/** `--test-index 0,5,10-19`: sorted-as-given row indices, each < n. */
export function parseIndexList(text: string, n: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InputError(`--test-index: expected indices and ranges like 0,5,10-19, got '${text}'`);
    const a = Number(m[1]), b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw new InputError(`--test-index: range ${part.trim()} runs backwards`);
    if (b >= n) throw new InputError(`--test-index: index ${b} is out of range: the test data has ${n} rows`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  if (new Set(out).size !== out.length) throw new InputError(`--test-index: '${text}' names a row twice`);
  return out;
}

function limited(data: Dataset, limit: number | undefined): Dataset {
  return limit === undefined ? data : batchOf(data, 0, limit);
}

/** Training (and test) data for the loss `loss`, from --data or the user's files. */
export function loadData(flags: Flags, dtype: DType, loss: string, needTest: boolean): LoadedData {
  const limit = (name: string): number | undefined => flags[name] === undefined ? undefined : numberFlag(flags, name, { integer: true, min: 1 });
  const trainLimit = limit('train-limit'), testLimit = limit('test-limit');
  let train: Dataset, test: Dataset | null, source: DataSource;
  if (flags['data'] !== undefined) {
    for (const f of ['train-x', 'train-y', 'test-x', 'test-y', 'label-column']) {
      if (flags[f] !== undefined) throw new InputError(`--data and --${f} cannot be combined: --data brings its own train and test splits`);
    }
    ({ train, test, source } = namedData(String(flags['data']), dtype, trainLimit, testLimit));
  } else {
    train = limited(split(flags, 'train', loss, dtype), trainLimit);
    const hasTest = flags['test-x'] !== undefined || flags['test-y'] !== undefined;
    test = needTest || hasTest ? limited(split(flags, 'test', loss, dtype), testLimit) : null;
    if (!test && (testLimit !== undefined || flags['test-index'] !== undefined)) throw new InputError('--test-limit/--test-index need test data (--test-x/--test-y)');
    source = { kind: 'files', trainX: String(flags['train-x']), testX: test ? String(flags['test-x']) : null, trainLimit: trainLimit ?? null, testLimit: testLimit ?? null, testIndex: null };
  }
  if (test && typeof flags['test-index'] === 'string') {
    const index = parseIndexList(flags['test-index'], test.x.shape[0]!);
    test = subset(test, index);
    source = { ...source, testIndex: index };
  }
  return { train, test, source };
}

/**
 * `--data fashion-mnist[:DIR]` (the bundled 5000/1000 subset, or the full set from DIR; `:debian`
 * is Debian's /usr/share/datasets/fashion-mnist) or `--data breast-cancer` (standardised, the
 * fixed 80/20 split of the demo). Fashion-MNIST pixels are scaled to [0, 1] and its loss is
 * cross-entropy; breast cancer uses BCE with logits.
 */
export function namedData(spec: string, dtype: DType, trainLimit?: number, testLimit?: number): LoadedData {
  if (spec === 'breast-cancer') {
    const s = breastCancerSplit();
    const cast = (d: Dataset): Dataset => dtype === 'float64' ? d : { x: castTensor(d.x, dtype), y: castTensor(d.y, dtype) };
    return { train: limited(cast(s.train), trainLimit), test: limited(cast(s.test), testLimit), source: { kind: 'breast-cancer' } };
  }
  if (spec === 'fashion-mnist' || spec.startsWith('fashion-mnist:')) {
    let dir: string | undefined = spec.slice('fashion-mnist:'.length) || undefined;
    if (dir === 'debian') dir = DEBIAN_FASHION_MNIST_DIR;
    const train = fashionData({ split: 'train', dtype, ...(dir ? { dir } : {}), ...(trainLimit ? { limit: trainLimit } : {}) });
    const test = fashionData({ split: 'test', dtype, ...(dir ? { dir } : {}), ...(testLimit ? { limit: testLimit } : {}) });
    return {
      train: train.data, test: test.data,
      source: { kind: 'fashion-mnist', dir: dir ?? null, trainLimit: trainLimit ?? null, testLimit: testLimit ?? null },
    };
  }
  throw new InputError(`--data: expected fashion-mnist, fashion-mnist:DIR, fashion-mnist:debian or breast-cancer, got '${spec}'`);
}
