/**
 * Bundled datasets (see data/README.md for provenance, licences and citations).
 *
 * The `data/` directory sits at the package root. This module finds it by walking up from its
 * own location (src/io/ when run from source, dist/src/io/ when compiled), so it works from both
 * and from an installed package (`data` is in package.json "files").
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import type { RawArray } from './array.js';
import { readCsv } from './csv.js';
import { readIdx } from './idx.js';

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
    `bundled data file 'data/${relative}' not found in any parent directory of ${start}; ` +
      `regenerate it with 'node scripts/make-datasets.mjs' from the repository root`,
  );
}

// ---------------------------------------------------------------------------------------------
// Breast Cancer Wisconsin (Diagnostic)

/** The 30 feature names, in column order (scikit-learn's names for this file). */
export const BREAST_CANCER_FEATURES: readonly string[] = Object.freeze(
  ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension']
    .flatMap((f, _i, all) => [f]).length === 10
    ? (['mean', 'error', 'worst'] as const).flatMap((group) =>
        ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension']
          .map((f) => (group === 'mean' ? `mean ${f}` : group === 'error' ? `${f} error` : `worst ${f}`)))
    : [],
);

export interface BreastCancer {
  /** float64 [569, 30] features, unscaled. */
  x: RawArray & { data: Float64Array; dtype: 'float64' };
  /** int32 [569] targets with scikit-learn's convention: 0 = malignant (212), 1 = benign (357). */
  y: RawArray & { data: Int32Array; dtype: 'int32' };
  featureNames: string[];
  /** ['malignant', 'benign']: targetNames[y] is the class name. */
  targetNames: string[];
}

/**
 * Breast Cancer Wisconsin (Diagnostic): 569 samples, 30 real features, binary target.
 *
 * The file is scikit-learn's `breast_cancer.csv`, unchanged: its first line is
 * `n_samples,n_features,target_name_0,target_name_1` (`569,30,malignant,benign`), then one line
 * per sample with the 30 features followed by the integer target.
 */
export function loadBreastCancer(): BreastCancer {
  const path = bundledDataPath('breast_cancer.csv');
  const table = readCsv(path, { header: false });
  const fail = (msg: string): never => {
    throw new InputError(`breast cancer data ${path}: ${msg}`);
  };
  const first = table.rows[0];
  if (first === undefined || first.length < 3) return fail('expected a first line "n_samples,n_features,target names..."');
  const n = Number(first[0]);
  const d = Number(first[1]);
  const targetNames = first.slice(2);
  if (!Number.isInteger(n) || !Number.isInteger(d) || d !== BREAST_CANCER_FEATURES.length) {
    fail(`expected a first line "569,30,malignant,benign", got ${JSON.stringify(first.join(','))}`);
  }
  // readCsv requires every line to have as many fields as the first; here the first is shorter.
  // So parse the body on its own.
  const body = readCsv(path, { header: false, source: path, ...{} }) as never;
  void body;
  return fail('unreachable');
}
