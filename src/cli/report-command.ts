import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { toFloat64 } from '../io/array.js';
import { FASHION_MNIST_CLASSES } from '../io/datasets.js';
import { fashionPixels } from '../io/fashion-pixels.js';
import { renderInfluenceReport, type ReportImages } from '../report/influence-report.js';
import { encodeGrayPng, pngDataUrl } from '../report/png.js';
import type { DataSource } from './data-args.js';
import { readArray } from './data-args.js';
import { required, type Flags } from './flags.js';
import { OutputSet } from './outputs.js';
import type { InfluenceSummary } from './summary.js';

/** Image thumbnails for a summary's data: Fashion-MNIST by index, or square .npy inputs scaled to [0, 255]. */
export function reportImages(source: DataSource): ReportImages {
  const images = sourceImages(source);
  // With --test-index, test point i of the summary is row testIndex[i] of the test data.
  const index = source.testIndex;
  if (!index || !images.test) return images;
  const test = images.test;
  return { ...images, test: (i: number) => test(index[i]!) };
}

function sourceImages(source: DataSource): ReportImages {
  if (source.kind === 'fashion-mnist') {
    const dir = source.dir ?? undefined;
    const load = (split: 'train' | 'test', limit: number | null) => fashionPixels({ split, ...(dir ? { dir } : {}), ...(limit ? { limit } : {}) });
    const train = load('train', source.trainLimit), test = load('test', source.testLimit);
    const thumb = (d: typeof train) => (i: number) => pngDataUrl(encodeGrayPng(d.images.subarray(i * 784, (i + 1) * 784), 28, 28, { upscale: 2, invert: true }));
    return { train: thumb(train), test: thumb(test), classNames: FASHION_MNIST_CLASSES };
  }
  if (source.kind === 'files') {
    const fromNpy = (path: string | null) => {
      if (!path) return undefined;
      const raw = toFloat64(readArray(path));
      const n = raw.shape[0] ?? 0, d = n > 0 ? raw.data.length / n : 0, side = Math.round(Math.sqrt(d));
      if (side * side !== d || side < 4) return undefined;
      let lo = Infinity, hi = -Infinity;
      for (const v of raw.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const span = hi - lo || 1;
      return (i: number) => pngDataUrl(encodeGrayPng(Array.from(raw.data.subarray(i * d, (i + 1) * d), (v) => (255 * (v - lo)) / span), side, side, { upscale: Math.max(1, Math.round(56 / side)), invert: true }));
    };
    const train = fromNpy(source.trainX), test = fromNpy(source.testX);
    return { ...(train ? { train } : {}), ...(test ? { test } : {}) };
  }
  return {};
}

/** The report of a summary as an HTML string. */
export function renderReport(summary: InfluenceSummary): string {
  return renderInfluenceReport(summary, reportImages(summary.data));
}

/** `curvature report --summary summary.json --out report.html`: the HTML report of a saved influence run. */
export function reportCommand(flags: Flags): number {
  const path = required(flags, 'summary', 'the --json output of curvature influence');
  const out = required(flags, 'out', 'the HTML file to write');
  const outputs = new OutputSet({ out });
  let summary: InfluenceSummary;
  try {
    summary = JSON.parse(readFileSync(path, 'utf8')) as InfluenceSummary;
  } catch (err) {
    throw new InputError(`--summary ${path}: cannot read a JSON summary (${(err as Error).message})`);
  }
  if (summary?.command !== 'influence' || typeof summary.shapes !== 'object') {
    throw new InputError(`--summary ${path}: expected the JSON written by 'curvature influence --json', got ${summary?.command === undefined ? 'another JSON document' : `a '${String(summary.command)}' summary`}`);
  }
  outputs.stage('out', renderReport(summary));
  outputs.commit();
  process.stdout.write(`report written to ${out}\n`);
  return 0;
}
