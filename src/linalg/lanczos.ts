import type { FloatDType } from '../backend/types.js';
import { DTypeError, InputError, ShapeError } from '../errors.js';
import { concat, matmul, mul, reshape, slice, sub, sum, tensor, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { eigh } from './dense.js';

/**
 * What the Krylov methods need of an operator: its products. linalg sits below operators, so it
 * states the shape structurally; every src/operators KrylovOperator is one.
 */
export interface KrylovOperator {
  readonly size: number;
  readonly dtype: FloatDType;
  readonly symmetric: boolean;
  matvec(v: Tensor): Tensor;
  matmat?(v: Tensor): Tensor;
}

/** Which end(s) of the spectrum to compute. */
export type LanczosWhich = 'largest' | 'smallest' | 'both-ends' | 'magnitude';

export interface LanczosOptions {
  /**
   * 'largest' (default): the k largest algebraic eigenvalues; 'smallest': the k smallest;
   * 'both-ends': ⌈k/2⌉ largest and ⌊k/2⌋ smallest; 'magnitude': the k of largest |λ| (scipy's
   * eigsh which='LM', what pyDVL's Arnoldi low-rank approximation asks for).
   */
  which?: LanczosWhich;
  /**
   * Largest Krylov basis m before a thick restart. Default min(n, max(2k + 1, 20)) (ARPACK's and
   * scipy's ncv). The memory held is m vectors of size n.
   */
  maxBasis?: number;
  /** Most operator products spent by the iteration, restarts included. Default max(m, min(10·n, 100·m)). */
  maxIter?: number;
  /**
   * Stop when every wanted Ritz pair has ‖A·y − θ·y‖ ≤ tol·max(|θ|, ε^{2/3}·‖A‖) (ARPACK's test;
   * ‖A‖ estimated by the largest |θ|). Default √u of the operator's dtype (1.5e-8 in float64,
   * 3.5e-4 in float32): the eigenvalue error is then about (tol·|θ|)²/gap, i.e. at round-off.
   */
  tol?: number;
  /** Seed of the random starting vector (ignored when v0 is given). Default 0. */
  seed?: number;
  /** Starting vector [n] (need not be normalised; must not be zero). */
  v0?: Tensor;
  /**
   * 'full' (default): every new Lanczos vector is orthogonalised against the whole basis, twice
   * (classical Gram–Schmidt with one reorthogonalisation, "twice is enough"), so no spurious copies
   * of converged eigenvalues appear. 'none': only the three-term recurrence (plus the restart
   * coupling) is subtracted — cheaper per step, but orthogonality is lost as Ritz values converge
   * and ghost copies can show up (Paige 1971); use it only for a quick estimate.
   */
  reorthogonalize?: 'full' | 'none';
}

export interface LanczosResult {
  /** The k eigenvalue estimates (Ritz values), in descending order for every `which`. */
  values: Float64Array;
  /** The Ritz vectors, unit columns [n, k], in the order of `values`. */
  vectors: Tensor;
  /** Lanczos steps taken (= operator products in the iteration). */
  iterations: number;
  /** All operator products, including the k that verify the residuals at the end. */
  matvecs: number;
  /** Thick restarts performed. */
  restarts: number;
  /** ‖A·vᵢ − λᵢ·vᵢ‖ per pair, computed with the operator (not the Lanczos estimate). */
  residuals: number[];
  /**
   * The Lanczos residual estimates met `tol` before maxIter, and the computed residuals confirm
   * them (each ≤ 10·tol·max(|λᵢ|, ε^{2/3}·‖A‖), or at the round-off floor 100·u·‖A‖).
   */
  converged: boolean;
}

/**
 * The k extreme eigenpairs of a symmetric operator by the Lanczos method (Lanczos 1950; Golub & Van
 * Loan, Matrix Computations 4th ed., §10.1) with full reorthogonalisation and thick restarts (Wu &
 * Simon 2000, "Thick-restart Lanczos method for large symmetric eigenvalue problems"; Stathopoulos &
 * Saad's TRLan). The Krylov basis grows to m vectors; the projected matrix T = VᵀAV (tridiagonal,
 * with an arrowhead block after a restart) is small, so its eigenproblem is solved densely with
 * `eigh` and the wanted Ritz residuals β·|sₘᵢ| are checked after every step. When the basis is full,
 * the method keeps the l = k + ⌊(m − k)/2⌋ Ritz vectors nearest the wanted end(s) plus the residual
 * direction and continues — memory stays at m vectors. An invariant subspace (β ≈ 0) is continued
 * with a fresh random vector, so repeated eigenvalues are found too.
 *
 * 003 (the LiSSA hyperparameter paper, Theorem 1) needs λ_max(H) for LiSSA's scale
 * η = 1/(λ_max + λ); the same routine gives the top-k subspace of pyDVL's Arnoldi influence.
 *
 * Throws InputError for a non-symmetric operator or bad options, ShapeError when k ∉ [1, n].
 */
export function lanczos(op: KrylovOperator, k: number, options: LanczosOptions = {}): LanczosResult {
  const n = op.size;
  const cfg = configure(op, k, options);
  const { m, maxIter, tol, full, which, u } = cfg;
  const rng = new Random(options.seed ?? 0);
  const eps23 = u ** (2 / 3);

  return tidy(() => {
    // Vt: the basis as rows [j, n]; T: the projected matrix (host, float64, m×m, row-major).
    let vt = startVector(op, options.v0, rng);
    let j = 1;
    const t = new Float64Array(m * m);
    let iterations = 0, restarts = 0, anorm = 0;
    let final: { theta: Float64Array; s: Float64Array; wanted: number[]; ok: boolean } | null = null;

    for (;;) {
      // One Lanczos step on the last basis vector v_j.
      const step = tidy(() => {
        const v = reshape(slice(vt, [j - 1, 0], [1, n]), [n]);
        const w0 = op.matvec(v);
        if (w0.shape.length !== 1 || w0.shape[0] !== n) throw new ShapeError(`lanczos: matvec returned shape [${w0.shape.join(', ')}], expected [${n}]`);
        const normAv = norm(w0);
        if (!Number.isFinite(normAv)) throw new InputError(`lanczos: the operator product is ${normAv} at step ${iterations}; check the operator for NaN/Inf`);
        let w: Tensor, alpha: number, beta: number, breakdown: boolean;
        if (full) {
          const h = matmul(vt, w0);
          alpha = h.dataSync()[j - 1]!;
          const w1 = sub(w0, matmul(vt, h, { transA: true }));
          const n1 = norm(w1);
          w = sub(w1, matmul(vt, matmul(vt, w1), { transA: true }));
          beta = norm(w);
          // Kahan–Parlett: if the second pass removed much more, w was round-off inside span(V).
          breakdown = beta <= Math.SQRT1_2 * n1 && beta <= Math.sqrt(u) * normAv || beta <= u * normAv || beta === 0;
        } else {
          alpha = sum(mul(v, w0)).item();
          const coef = new Float64Array(j);
          for (let i = 0; i < j - 1; i++) coef[i] = t[i * m + j - 1]!;
          coef[j - 1] = alpha;
          w = sub(w0, matmul(vt, tensor(coef, [j], op.dtype), { transA: true }));
          beta = norm(w);
          breakdown = beta <= 10 * u * normAv || beta === 0;
        }
        return { w, alpha, beta, breakdown, normAv };
      });
      iterations++;
      anorm = Math.max(anorm, step.normAv);
      t[(j - 1) * m + j - 1] = step.alpha;

      // Ritz pairs of T_j and the residual estimates β·|s_{j,i}| of the wanted ones.
      const atEnd = j === n || iterations >= maxIter;
      if (j >= k || atEnd) {
        const { theta, s } = tridiagonalEigen(t, m, j);
        const wanted = select(theta, Math.min(k, j), which);
        const scale = Math.max(anorm, ...Array.from(theta, Math.abs));
        const beta = step.breakdown ? 0 : step.beta;
        const ok = j >= k && wanted.every((i) => beta * Math.abs(s[(j - 1) * j + i]!) <= tol * Math.max(Math.abs(theta[i]!), eps23 * scale));
        if (ok || atEnd) {
          step.w.dispose();
          final = { theta, s, wanted, ok };
          break;
        }
        if (j === m) {
          // Thick restart: keep l Ritz vectors and the residual direction.
          const l = Math.min(m - 1, k + Math.floor((m - k) / 2));
          const keepIdx = select(theta, l, which);
          const next = tidy(() => {
            const y = new Float64Array(j * l);
            for (let r = 0; r < j; r++) for (let c = 0; c < l; c++) y[r * l + c] = s[r * j + keepIdx[c]!]!;
            const ritz = matmul(tensor(y, [j, l], op.dtype), vt, { transA: true });
            return concat([ritz, reshape(nextVector(step, vt, rng, op.dtype), [1, n])], 0);
          });
          t.fill(0);
          keepIdx.forEach((i, c) => {
            t[c * m + c] = theta[i]!;
            const coupling = beta * s[(j - 1) * j + i]!;
            t[c * m + l] = coupling;
            t[l * m + c] = coupling;
          });
          vt.dispose();
          step.w.dispose();
          vt = next;
          j = l + 1;
          restarts++;
          continue;
        }
      }
      const next = tidy(() => concat([vt, reshape(nextVector(step, vt, rng, op.dtype), [1, n])], 0));
      const beta = step.breakdown ? 0 : step.beta;
      t[(j - 1) * m + j] = beta;
      t[j * m + j - 1] = beta;
      vt.dispose();
      step.w.dispose();
      vt = next;
      j++;
    }

    // Ritz vectors of the wanted pairs, descending by value; residuals with the operator.
    const { theta, s, wanted } = final;
    const order = wanted.slice().sort((a, b) => theta[b]! - theta[a]!);
    const kk = order.length;
    const values = Float64Array.from(order, (i) => theta[i]!);
    const coeffs = new Float64Array(j * kk);
    for (let r = 0; r < j; r++) for (let c = 0; c < kk; c++) coeffs[r * kk + c] = s[r * j + order[c]!]!;
    const vectors = matmul(vt, tensor(coeffs, [j, kk], op.dtype), { transA: true });
    const residuals = residualNorms(op, vectors, values);
    const scale = Math.max(anorm, ...Array.from(values, Math.abs));
    const confirmed = residuals.every((r, i) => r <= Math.max(10 * tol * Math.max(Math.abs(values[i]!), eps23 * scale), 100 * u * scale));
    return {
      values, vectors, iterations, matvecs: iterations + kk, restarts, residuals,
      converged: final.ok && kk === k && confirmed,
    };
  });
}

/**
 * `lanczos` under the name pyDVL gives its low-rank influence method ("Arnoldi": for a symmetric
 * operator the Arnoldi process is the Lanczos process). Defaults to which = 'magnitude', the k
 * eigenvalues of largest |λ|, as scipy's eigsh(which='LM') in pyDVL. Symmetric operators only.
 */
export function arnoldi(op: KrylovOperator, k: number, options: LanczosOptions = {}): LanczosResult {
  if (!op.symmetric) throw new InputError('arnoldi: only symmetric operators are supported (the Lanczos process); the operator says symmetric: false');
  return lanczos(op, k, { which: 'magnitude', ...options });
}

function configure(op: KrylovOperator, k: number, options: LanczosOptions) {
  const n = op.size;
  if (!op.symmetric) throw new InputError('lanczos: the operator must be symmetric (it says symmetric: false); Lanczos needs A = Aᵀ');
  if (op.dtype !== 'float32' && op.dtype !== 'float64') throw new DTypeError(`lanczos: expected a float32 or float64 operator, got ${String(op.dtype)}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new ShapeError(`lanczos: k must be an integer in [1, n = ${n}], got ${k}`);
  const which = options.which ?? 'largest';
  if (!['largest', 'smallest', 'both-ends', 'magnitude'].includes(which)) {
    throw new InputError(`lanczos: which must be 'largest', 'smallest', 'both-ends' or 'magnitude', got '${String(which)}'`);
  }
  const m = options.maxBasis ?? Math.min(n, Math.max(2 * k + 1, 20));
  if (!Number.isInteger(m) || m > n || m < Math.min(n, k + 1)) {
    throw new InputError(`lanczos: maxBasis must be an integer in [min(n, k + 1), n] = [${Math.min(n, k + 1)}, ${n}], got ${m}`);
  }
  const maxIter = options.maxIter ?? Math.max(m, Math.min(10 * n, 100 * m));
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new InputError(`lanczos: maxIter must be a positive integer, got ${maxIter}`);
  const u = op.dtype === 'float64' ? 2 ** -53 : 2 ** -24;
  const tol = options.tol ?? Math.sqrt(u);
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new InputError(`lanczos: tol must be a finite number ≥ 0, got ${tol}`);
  const reorth = options.reorthogonalize ?? 'full';
  if (reorth !== 'full' && reorth !== 'none') throw new InputError(`lanczos: reorthogonalize must be 'full' or 'none', got '${String(reorth)}'`);
  return { m, maxIter, tol, full: reorth === 'full', which, u };
}

/** The normalised starting vector as a row [1, n]. */
function startVector(op: KrylovOperator, v0: Tensor | undefined, rng: Random): Tensor {
  const n = op.size;
  return tidy(() => {
    let v: Tensor;
    if (v0) {
      if (v0.rank !== 1 || v0.shape[0] !== n) throw new ShapeError(`lanczos: v0 must have shape [${n}], got [${v0.shape.join(', ')}]`);
      if (v0.dtype !== op.dtype) throw new DTypeError(`lanczos: operator is ${op.dtype}, v0 is ${v0.dtype}`);
      v = v0;
    } else {
      v = tensor(Float64Array.from({ length: n }, () => rng.normal()), [n], op.dtype);
    }
    const nv = norm(v);
    if (!(nv > 0) || !Number.isFinite(nv)) throw new InputError(`lanczos: the starting vector has norm ${nv}; expected a finite non-zero vector`);
    return reshape(mul(v, 1 / nv), [1, n]);
  });
}

/** v_{j+1}: the normalised residual, or after a breakdown a fresh random vector orthogonal to the basis. */
function nextVector(step: { w: Tensor; beta: number; breakdown: boolean }, vt: Tensor, rng: Random, dtype: FloatDType): Tensor {
  if (!step.breakdown) return mul(step.w, 1 / step.beta);
  const n = vt.shape[1]!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = tensor(Float64Array.from({ length: n }, () => rng.normal()), [n], dtype);
    const r0 = norm(r);
    let q = sub(r, matmul(vt, matmul(vt, r), { transA: true }));
    q = sub(q, matmul(vt, matmul(vt, q), { transA: true }));
    const nq = norm(q);
    if (nq > 1e-3 * r0) return mul(q, 1 / nq);
  }
  throw new InputError('lanczos: could not extend the Krylov basis (the basis already spans the space numerically)');
}

/** Eigen-decomposition of the leading j×j block of T (stored m×m): θ ascending, S row-major j×j (columns = eigenvectors). */
function tridiagonalEigen(t: Float64Array, m: number, j: number): { theta: Float64Array; s: Float64Array } {
  return tidy(() => {
    const a = new Float64Array(j * j);
    for (let r = 0; r < j; r++) for (let c = 0; c < j; c++) a[r * j + c] = t[r * m + c]!;
    const { values, vectors } = eigh(tensor(a, [j, j], 'float64'));
    return { theta: Float64Array.from(values.dataSync()), s: Float64Array.from(vectors.dataSync()) };
  });
}

/** Indices (into ascending θ) of the `count` Ritz values at the wanted end(s). */
function select(theta: Float64Array, count: number, which: LanczosWhich): number[] {
  const j = theta.length;
  const idx = Array.from({ length: j }, (_, i) => i);
  switch (which) {
    case 'largest': return idx.slice(j - count).reverse();
    case 'smallest': return idx.slice(0, count);
    case 'magnitude': return idx.sort((a, b) => Math.abs(theta[b]!) - Math.abs(theta[a]!)).slice(0, count);
    case 'both-ends': {
      const hi = Math.ceil(count / 2), lo = count - hi;
      return [...idx.slice(j - hi).reverse(), ...idx.slice(0, lo)];
    }
  }
}

/** ‖A·xᵢ − λᵢ·xᵢ‖ for the columns of X [n, k]. */
export function residualNorms(op: KrylovOperator, x: Tensor, values: ArrayLike<number>): number[] {
  return tidy(() => {
    const n = op.size, k = x.shape[1]!;
    let ax: Tensor;
    if (op.matmat) ax = op.matmat(x);
    else {
      const cols: Tensor[] = [];
      for (let c = 0; c < k; c++) cols.push(reshape(op.matvec(reshape(slice(x, [0, c], [n, 1]), [n])), [n, 1]));
      ax = concat(cols, 1);
    }
    const r = sub(ax, mul(x, tensor(Array.from(values), [1, k], op.dtype)));
    return Array.from(sum(mul(r, r), 0).dataSync(), Math.sqrt);
  });
}

function norm(v: Tensor): number {
  return tidy(() => Math.sqrt(sum(mul(v, v)).item()));
}
