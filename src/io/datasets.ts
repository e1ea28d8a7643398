/**
 * Bundled datasets (see data/README.md for provenance, licences and citations).
 *
 * The `data/` directory sits at the package root. This module finds it by walking up from its
 * own location (src/io/ when run from source, dist/src/io/ when compiled), so it works from both
 * and from an installed package (`data` is in package.json "files").
 */
import { InputError } from '../errors.js';
import type { RawArrayOf } from './array.js';
import { csvToMatrix, parseCsv, readTextFile } from './csv.js';
import { readIdx } from './idx.js';
import { nodeFs } from './source.js';

// Node's file system through source.ts's guarded import (a browser bundle has no static node: import).
const existsSync = (path: string): boolean => nodeFs('look for', path).fs.existsSync(path);
const dirname = (path: string): string => nodeFs('resolve', path).path.dirname(path);
const join = (...parts: string[]): string => nodeFs('resolve', parts.join('/')).path.join(...parts);
const fileURLToPath = (url: string): string => nodeFs('resolve', url).url.fileURLToPath(url);

/**
 * Absolute path of a file or directory inside the bundled `data/` directory: the first
 * `<ancestor>/data/<relative>` that exists, walking up from this module. InputError if none does.
 */
export function bundledDataPath(relative: string): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'data', relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new InputError(
    `bundled data file 'data/${relative}' not found in ${start} or any parent directory; ` +
      `regenerate it with 'node scripts/make-datasets.mjs' from the repository root`,
  );
}

// ---------------------------------------------------------------------------------------------
// Breast Cancer Wisconsin (Diagnostic)

const BC_MEASURES = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity',
  'concave points', 'symmetry', 'fractal dimension'];

/** The 30 feature names in column order (scikit-learn's): 10 means, 10 standard errors, 10 worsts. */
export const BREAST_CANCER_FEATURES: readonly string[] = Object.freeze([
  ...BC_MEASURES.map((m) => `mean ${m}`),
  ...BC_MEASURES.map((m) => `${m} error`),
  ...BC_MEASURES.map((m) => `worst ${m}`),
]);

export interface BreastCancer {
  /** float64 [569, 30] features, unscaled. */
  x: RawArrayOf<'float64'>;
  /** int32 [569] targets, scikit-learn's convention: 0 = malignant (212 samples), 1 = benign (357). */
  y: RawArrayOf<'int32'>;
  /** The 30 column names of x. */
  featureNames: string[];
  /** ['malignant', 'benign']: targetNames[y[i]] names sample i's class. */
  targetNames: string[];
}

/**
 * Breast Cancer Wisconsin (Diagnostic): 569 samples, 30 real features, binary target
 * (0 = malignant, 1 = benign, as in scikit-learn's `load_breast_cancer`).
 *
 * The file is scikit-learn's `breast_cancer.csv`, unchanged. Its first line is
 * `n_samples,n_features,<name of target 0>,<name of target 1>` (`569,30,malignant,benign`), then
 * come n_samples lines of n_features numbers followed by the integer target.
 */
export function loadBreastCancer(): BreastCancer {
  const path = bundledDataPath('breast_cancer.csv');
  const fail = (msg: string): never => {
    throw new InputError(`breast cancer data ${path}: ${msg}`);
  };
  const text = readTextFile(path);
  const first = parseCsv(text.split(/\r?\n/, 1)[0]!, { header: false, source: path }).rows[0] ?? [];
  const n = Number(first[0]);
  const d = Number(first[1]);
  const targetNames = first.slice(2);
  if (!Number.isInteger(n) || n <= 0 || d !== BREAST_CANCER_FEATURES.length || targetNames.length !== 2) {
    fail(`expected a first line like "569,30,malignant,benign", got ${JSON.stringify(first.join(','))}`);
  }
  const table = parseCsv(text, { header: false, skipLines: 1, source: path });
  if (table.rows.length !== n) fail(`the first line announces ${n} samples, the file has ${table.rows.length}`);
  if (table.rows[0]!.length !== d + 1) fail(`expected ${d} features and a target per line, got ${table.rows[0]!.length} fields`);

  const all = csvToMatrix(table);
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.set(all.data.subarray(i * (d + 1), i * (d + 1) + d), i * d);
    const t = all.data[i * (d + 1) + d]!;
    if (t !== 0 && t !== 1) fail(`expected target 0 or 1 at line ${table.lines[i]}, got ${t}`);
    y[i] = t;
  }
  return {
    x: { data: x, shape: [n, d], dtype: 'float64' },
    y: { data: y, shape: [n], dtype: 'int32' },
    featureNames: [...BREAST_CANCER_FEATURES],
    targetNames,
  };
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST

/** Class names of Fashion-MNIST labels 0..9. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** Where Debian's `dataset-fashion-mnist` package installs the full set. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface FashionMnistOptions {
  /**
   * Directory holding the full set as distributed (`train-images-idx3-ubyte.gz`,
   * `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`,
   * gzipped or not), e.g. DEBIAN_FASHION_MNIST_DIR. Default: the bundled subset.
   */
  dir?: string;
  /** 'train' (default) or 'test' (the t10k files). */
  split?: 'train' | 'test';
  /** Take only the first `limit` images (default: all of them). */
  limit?: number;
}

export interface FashionMnist {
  /** uint8 [n, 784] images (28×28, row-major, 0 = background, 255 = ink). Scale as needed. */
  x: RawArrayOf<'uint8'>;
  /** int32 [n] labels in 0..9; see FASHION_MNIST_CLASSES. */
  y: RawArrayOf<'int32'>;
}

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28×28 grey-scale images of 10 clothing classes.
 *
 * Without `dir`, reads the subset bundled in data/fashion-mnist-subset/: the first 5000 training
 * images and the first 1000 test images, in the original order. With `dir`, reads the full set
 * (60000 train, 10000 test) from that directory.
 */
export function loadFashionMnist(options: FashionMnistOptions = {}): FashionMnist {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new InputError(`Fashion-MNIST: expected split 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new InputError(`Fashion-MNIST: expected limit to be a non-negative integer, got ${JSON.stringify(limit)}`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const dir = options.dir ?? bundledDataPath('fashion-mnist-subset');
  const imagesPath = findFashionFile(dir, `${prefix}-images-idx3-ubyte`, options.dir !== undefined);
  const labelsPath = findFashionFile(dir, `${prefix}-labels-idx1-ubyte`, options.dir !== undefined);

  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dtype !== 'uint8' || images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new InputError(`Fashion-MNIST ${imagesPath}: expected unsigned-byte images [n, 28, 28], got ${images.dtype} [${images.shape.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new InputError(`Fashion-MNIST ${labelsPath}: expected unsigned-byte labels [n], got ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  const total = images.shape[0]!;
  if (labels.shape[0] !== total) {
    throw new InputError(`Fashion-MNIST: ${imagesPath} has ${total} images but ${labelsPath} has ${labels.shape[0]} labels`);
  }
  if (limit !== undefined && limit > total) {
    throw new InputError(
      `Fashion-MNIST: limit ${limit} exceeds the ${total} ${split} images in ${dir}` +
        (options.dir === undefined ? ` (the bundled subset; pass dir: '${DEBIAN_FASHION_MNIST_DIR}' for the full set)` : ''),
    );
  }
  const n = limit ?? total;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels.data[i] as number;
    if (v > 9) throw new InputError(`Fashion-MNIST ${labelsPath}: expected labels 0..9, got ${v} at index ${i}`);
    y[i] = v;
  }
  const x = n === total ? (images.data as Uint8Array) : (images.data as Uint8Array).slice(0, n * 784);
  return {
    x: { data: x, shape: [n, 784], dtype: 'uint8' },
    y: { data: y, shape: [n], dtype: 'int32' },
  };
}

/** `<dir>/<name>.gz`, else `<dir>/<name>`; InputError saying how to get the files otherwise. */
function findFashionFile(dir: string, name: string, userDir: boolean): string {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    if (existsSync(candidate)) return candidate;
  }
  const how = userDir
    ? `install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist; files in ${DEBIAN_FASHION_MNIST_DIR}) ` +
      `or download the four files from https://github.com/zalandoresearch/fashion-mnist into that directory`
    : `the bundled subset is incomplete; regenerate it with 'node scripts/make-datasets.mjs'`;
  throw new InputError(`Fashion-MNIST file not found: expected '${join(dir, `${name}.gz`)}' (or without .gz); ${how}`);
}
