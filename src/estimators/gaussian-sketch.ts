import { InputError, ShapeError } from '../errors.js';
import { eigvalsh } from '../linalg/dense.js';
import { applyToColumns, type LinearOperator } from '../operators/linear-operator.js';
import { matmul, tensor, tidy, transpose } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOperator } from './hutchinson.js';
import { checkInteger, streamSeed } from './random-vectors.js';

export interface GaussianSketchOptions {
  /** Sketch dimension d (rows of Φ, operator products). Default min(n, 200). */
  sketchSize?: number;
  seed?: number;
  /**
   * 'trace' (default): subtract tr(ΦAΦᵀ)/d, the bulk's contribution E[ΦAΦᵀ] = (tr A/d)·I, as 003 §3
   * does (λ̂ᵢ(H) = λᵢ(Ĥ) − Tr(Ĥ)/d); 'none': the raw eigenvalues of ΦAΦᵀ (003 eq. (15)).
   */
  correction?: 'trace' | 'none';
  /** Rows of Φ generated per block (memory [n, blockSize]). Default 32. */
  blockSize?: number;
}

export interface GaussianSketchResult {
  /** The k largest (corrected) eigenvalues of ΦAΦᵀ, descending. */
  values: Float64Array;
  /**
   * ‖A‖_F/√d estimated from the sketch (√((‖S‖_F² − tr(S)²/d)/d), S = ΦAΦᵀ): the scale of the
   * additive error Swartworth & Woodruff prove for every eigenvalue (ε‖A‖_F with d = O(1/ε²)).
   */
  errorScale: number;
  /** tr(S)/d, the shift that was (or, with correction 'none', would have been) subtracted. */
  shift: number;
  /** d. */
  matvecs: number;
}

/**
 * Eigenvalues from the Gaussian sketch S = ΦAΦᵀ, Φ ∈ ℝ^{d×n} with Φᵢⱼ ~ N(0, 1/d) (Swartworth &
 * Woodruff 2023, "Optimal eigenvalue approximation via sketching", STOC; 003 §3 and appendix D,
 * eq. (15)): all eigenvalues of a symmetric A to ±O(‖A‖_F/√d), from d non-adaptive products. Row i
 * of Φ is generated from its own seeded stream, on the fly (003 appendix D, "pseudo-random
 * embeddings"): Φ is never stored; a block of rows is regenerated whenever Φ·(A·Φᵀ) needs it.
 * Cheap per product and embarrassingly parallel, but the accuracy is additive in ‖A‖_F — use it
 * for a bound on λ_max at scale; `subspaceIteration` or `lanczos` for accurate values.
 */
export function gaussianSketchEigenvalues(op: LinearOperator, k: number, options: GaussianSketchOptions = {}): GaussianSketchResult {
  const what = 'gaussianSketchEigenvalues';
  checkOperator(what, op);
  const n = op.size;
  if (!op.symmetric) throw new InputError(`${what}: the operator must be symmetric (it says symmetric: false)`);
  const d = checkInteger(what, 'sketchSize', options.sketchSize ?? Math.min(n, 200), 1);
  if (!Number.isInteger(k) || k < 1 || k > d) throw new ShapeError(`${what}: k must be an integer in [1, sketchSize = ${d}], got ${k}`);
  const bs = checkInteger(what, 'blockSize', options.blockSize ?? 32, 1);
  const correction = options.correction ?? 'trace';
  if (correction !== 'trace' && correction !== 'none') throw new InputError(`${what}: correction must be 'trace' or 'none', got '${String(correction)}'`);
  const seed = options.seed ?? 0;
  const scale = 1 / Math.sqrt(d);
  /** Rows [r0, r0 + b) of Φ as a tensor [b, n]. */
  const rows = (r0: number, b: number): Tensor => {
    const out = new Float64Array(b * n);
    for (let i = 0; i < b; i++) {
      const rng = new Random(streamSeed(seed, r0 + i));
      for (let c = 0; c < n; c++) out[i * n + c] = scale * rng.normal();
    }
    return tensor(out, [b, n], op.dtype);
  };
  const s = new Float64Array(d * d);
  for (let c0 = 0; c0 < d; c0 += bs) {
    const bc = Math.min(bs, d - c0);
    tidy(() => {
      const y = applyToColumns(op, transpose(rows(c0, bc)));            // A·Φ_cᵀ, [n, bc]
      for (let r0 = 0; r0 < d; r0 += bs) {
        const br = Math.min(bs, d - r0);
        tidy(() => {
          const blk = matmul(rows(r0, br), y).dataSync();                // Φ_r·A·Φ_cᵀ
          for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) s[(r0 + i) * d + c0 + j] = blk[i * bc + j]!;
        });
      }
    });
  }
  let tr = 0, fro = 0;
  for (let i = 0; i < d; i++) {
    tr += s[i * d + i]!;
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (s[i * d + j]! + s[j * d + i]!);
      s[i * d + j] = v; s[j * d + i] = v;
    }
  }
  for (let i = 0; i < d * d; i++) fro += s[i]! * s[i]!;
  if (!Number.isFinite(fro)) throw new InputError(`${what}: the sketch contains NaN/Inf; check the operator`);
  const shift = tr / d;
  const w = tidy(() => eigvalsh(tensor(s, [d, d], 'float64')).dataSync());
  const values = Float64Array.from({ length: k }, (_, i) => w[d - 1 - i]! - (correction === 'trace' ? shift : 0));
  return { values, errorScale: Math.sqrt(Math.max(0, fro - tr * tr / d) / d), shift, matvecs: d };
}
