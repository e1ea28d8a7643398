import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy } from '../../src/io/npy.js';
import { get } from '../fixtures.js';
import { runCli, tinyFiles } from './fixture-files.js';

/** Issue 9 item 5: the user's data as CSV, one CSV with a label column, row limits and --test-index for files. */
const { fx, dir, common, testFlags } = tinyFiles(6);
const x = get(fx, 'train_x').data, y = get(fx, 'train_y').data, tx = get(fx, 'test_x').data, ty = get(fx, 'test_y').data;

/** Rows as CSV; String(v) round-trips a float64 exactly, so CSV and .npy inputs give the same bits. */
function csv(path: string, rows: number, cols: number, data: ArrayLike<number>, header?: string[], labels?: ArrayLike<number>): void {
  const lines = header ? [header.join(',')] : [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: cols }, (_, j) => String(data[i * cols + j]));
    if (labels) row.push(String(labels[i]));
    lines.push(row.join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}
csv(join(dir, 'train_x.csv'), 500, 49, x);
csv(join(dir, 'train_y.csv'), 500, 1, y);
csv(join(dir, 'test_x.csv'), 6, 49, tx);
csv(join(dir, 'test_y.csv'), 6, 1, ty);
const header = [...Array.from({ length: 49 }, (_, j) => `pixel${j}`), 'label'];
csv(join(dir, 'train.csv'), 500, 49, x, header, y);
csv(join(dir, 'test.csv'), 6, 49, tx, header, ty);

function scores(args: string[], name: string): Float64Array {
  const out = join(dir, `${name}.npy`);
  const r = runCli(['influence', ...args, '--out', out, '--quiet']);
  assert.is(r.status, 0, `${name}: ${r.stderr}`);
  return readNpy(out).data as Float64Array;
}

const model = common.filter((a, i) => !['--train-x', '--train-y'].includes(a) && !['--train-x', '--train-y'].includes(common[i - 1]!));
const npy = scores([...common, ...testFlags], 'npy');

test('.csv inputs and targets give the same scores as .npy', () => {
  const fromCsv = scores([...model, '--train-x', join(dir, 'train_x.csv'), '--train-y', join(dir, 'train_y.csv'),
    '--test-x', join(dir, 'test_x.csv'), '--test-y', join(dir, 'test_y.csv')], 'csv');
  assert.equal(fromCsv, npy);
});

test('one .csv per split with --label-column (by name or index)', () => {
  const byName = scores([...model, '--train-x', join(dir, 'train.csv'), '--test-x', join(dir, 'test.csv'), '--label-column', 'label'], 'label-name');
  assert.equal(byName, npy);
  const byIndex = scores([...model, '--train-x', join(dir, 'train.csv'), '--test-x', join(dir, 'test.csv'), '--label-column', '49'], 'label-index');
  assert.equal(byIndex, npy);
  const r = runCli(['influence', ...model, '--train-x', join(dir, 'train.csv'), '--test-x', join(dir, 'test.csv'), '--label-column', 'target', '--quiet']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--label-column target: .*train\.csv has no such column \(columns: pixel0, pixel1/);
});

test('--test-index picks rows of the test data; --test-limit and --train-limit cut files', () => {
  const picked = scores([...common, ...testFlags, '--test-index', '1,4-5'], 'picked');
  assert.is(picked.length, 3 * 500);
  for (const [k, i] of [1, 4, 5].entries()) assert.equal(picked.subarray(k * 500, (k + 1) * 500), npy.subarray(i * 500, (i + 1) * 500));
  const limited = scores([...common, ...testFlags, '--test-limit', '2', '--train-limit', '300'], 'limited');
  assert.is(limited.length, 2 * 300);
  for (const [args, pattern] of [
    [['--test-index', '6'], /--test-index: index 6 is out of range: the test data has 6 rows/],
    [['--test-index', '2,2'], /names a row twice/],
    [['--test-index', '3-1'], /runs backwards/],
    [['--test-index', 'a'], /expected indices and ranges like 0,5,10-19/],
  ] as const) {
    const r = runCli(['influence', ...common, ...testFlags, ...args, '--quiet']);
    assert.is(r.status, 2, args.join(' '));
    assert.match(r.stderr, pattern);
  }
});

test('mismatched row counts between inputs and targets are bad input', () => {
  csv(join(dir, 'short_y.csv'), 499, 1, y);
  const r = runCli(['influence', ...model, '--train-x', join(dir, 'train_x.csv'), '--train-y', join(dir, 'short_y.csv'), ...testFlags, '--quiet']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /has 500 rows, --train-y .*short_y\.csv has 499/);
});

test.run();
