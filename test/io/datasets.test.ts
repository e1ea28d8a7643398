import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from '../../src/io/idx.js';
import {
  BREAST_CANCER_FEATURES, DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, bundledDataPath, loadBreastCancer, loadFashionMnist,
} from '../../src/io/datasets.js';
import { skipBecause } from '../skip.js';
import { repoRoot, tempDir, throwsInput } from './helpers.js';

test('bundled data is found from the compiled module and lives in <repo>/data', () => {
  assert.is(bundledDataPath('breast_cancer.csv'), join(repoRoot(), 'data', 'breast_cancer.csv'));
  throwsInput(() => bundledDataPath('no-such-file.bin'), "data/no-such-file.bin", 'make-datasets');
});

test('breast cancer: shapes, names, class balance, first row', () => {
  const bc = loadBreastCancer();
  assert.equal(bc.x.shape, [569, 30]);
  assert.equal(bc.y.shape, [569]);
  assert.is(bc.x.dtype, 'float64');
  assert.is(bc.y.dtype, 'int32');
  assert.equal(bc.targetNames, ['malignant', 'benign']);
  assert.is(bc.featureNames.length, 30);
  assert.is(new Set(bc.featureNames).size, 30);
  assert.equal([bc.featureNames[0], bc.featureNames[10], bc.featureNames[29]], ['mean radius', 'radius error', 'worst fractal dimension']);
  assert.equal(bc.featureNames, [...BREAST_CANCER_FEATURES]);
  let malignant = 0;
  for (const v of bc.y.data) {
    assert.ok(v === 0 || v === 1);
    if (v === 0) malignant++;
  }
  assert.is(malignant, 212, '212 malignant (label 0)');
  assert.is(569 - malignant, 357, '357 benign (label 1)');
  // First sample of the UCI file: 17.99, 10.38, 122.8, 1001, ... malignant.
  assert.equal(Array.from(bc.x.data.subarray(0, 4)), [17.99, 10.38, 122.8, 1001]);
  assert.is(bc.x.data[29], 0.1189);
  assert.is(bc.y.data[0], 0);
  // Last sample is benign.
  assert.is(bc.y.data[568], 1);
  for (const v of bc.x.data) assert.ok(Number.isFinite(v) && v >= 0);
});

function checkImages(x: Uint8Array, n: number): void {
  assert.is(x.length, n * 784);
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / x.length;
  assert.ok(mean > 60 && mean < 90, `mean pixel ${mean} should be near 73`);
}

test('Fashion-MNIST bundled train subset: 5000 images, labels 0..9, all classes', () => {
  const { x, y } = loadFashionMnist();
  assert.equal(x.shape, [5000, 784]);
  assert.equal(y.shape, [5000]);
  assert.is(x.dtype, 'uint8');
  assert.is(y.dtype, 'int32');
  checkImages(x.data, 5000);
  const counts = new Array<number>(10).fill(0);
  for (const v of y.data) {
    assert.ok(v >= 0 && v <= 9);
    counts[v]!++;
  }
  for (const c of counts) assert.ok(c > 400 && c < 600, `class counts ${counts}`);
  // The first training labels of Fashion-MNIST.
  assert.equal(Array.from(y.data.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.is(FASHION_MNIST_CLASSES[y.data[0]!], 'Ankle boot');
  // First image: top row blank, row 14 has ink in the middle and blank edges.
  const img = x.data.subarray(0, 784);
  assert.ok(img.subarray(0, 28).every((v) => v === 0), 'top row is background');
  const row14 = Array.from(img.subarray(14 * 28, 15 * 28));
  assert.equal(row14.slice(12, 16), [237, 226, 217, 223]);
  assert.is(row14[27], 0);
});

test('Fashion-MNIST bundled test subset and limit', () => {
  const t = loadFashionMnist({ split: 'test' });
  assert.equal(t.x.shape, [1000, 784]);
  checkImages(t.x.data, 1000);
  assert.equal(Array.from(t.y.data.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const few = loadFashionMnist({ split: 'test', limit: 10 });
  assert.equal(few.x.shape, [10, 784]);
  assert.equal(Array.from(few.x.data), Array.from(t.x.data.subarray(0, 7840)));
  assert.equal(loadFashionMnist({ limit: 0 }).x.shape, [0, 784]);
});

test('bundled subset files are ordinary gzipped IDX files', () => {
  const images = readIdx(bundledDataPath('fashion-mnist-subset/train-images-idx3-ubyte.gz'));
  assert.equal([images.dtype, images.shape], ['uint8', [5000, 28, 28]]);
  const labels = readIdx(bundledDataPath('fashion-mnist-subset/t10k-labels-idx1-ubyte.gz'));
  assert.equal([labels.dtype, labels.shape], ['uint8', [1000]]);
});

test('bad options and missing files', () => {
  throwsInput(() => loadFashionMnist({ limit: 5001 }), 'limit 5001', '5000', DEBIAN_FASHION_MNIST_DIR);
  throwsInput(() => loadFashionMnist({ limit: -1 }), 'limit');
  throwsInput(() => loadFashionMnist({ split: 'val' as never }), "'train' or 'test'", '"val"');
  const { dir, cleanup } = tempDir();
  try {
    throwsInput(() => loadFashionMnist({ dir }), join(dir, 'train-images-idx3-ubyte.gz'), 'dataset-fashion-mnist');
  } finally {
    cleanup();
  }
});

const FULL_TEST = 'full Fashion-MNIST from the Debian package';
if (existsSync(join(DEBIAN_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'))) {
  test(FULL_TEST, () => {
    const full = loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, split: 'test' });
    assert.equal(full.x.shape, [10000, 784]);
    const sub = loadFashionMnist({ split: 'test' });
    assert.equal(Array.from(full.x.data.subarray(0, 1000 * 784)), Array.from(sub.x.data), 'bundled subset is a prefix');
    assert.equal(Array.from(full.y.data.subarray(0, 1000)), Array.from(sub.y.data));
  });
} else {
  skipBecause(test, FULL_TEST, `${DEBIAN_FASHION_MNIST_DIR} is not installed (apt-get install dataset-fashion-mnist)`);
}

test.run();
