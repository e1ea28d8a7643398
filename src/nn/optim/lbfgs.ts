/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, Numerical Optimization,
 * 2nd ed.: Alg. 7.4 two-loop recursion, Alg. 3.5 line search, Alg. 3.6 zoom with cubic
 * interpolation, eq. 3.59). Works on float64 host vectors; the caller supplies f and ∇f.
 */

export interface LbfgsOptions {
  /** Stop when ‖∇f‖₂ ≤ gradTol. */
  gradTol?: number;
  maxIter?: number;
  /** Number of (s, y) pairs kept. */
  history?: number;
  c1?: number;
  c2?: number;
  maxLineSearch?: number;
  /**
   * Absolute round-off of f's value, when f is computed as a difference of large terms (PBRF's
   * Bregman divergence): below it the Armijo test is noise and the approximate Wolfe condition
   * decides. Default 0 (only the relative 1e-10·|f| is used).
   */
  valueNoise?: number;
  onIteration?: (info: { iteration: number; value: number; gradNorm: number }) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradNorm: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
}

type FG = (x: Float64Array) => { value: number; grad: Float64Array };

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

export function lbfgs(fg: FG, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const gradTol = options.gradTol ?? 1e-8, maxIter = options.maxIter ?? 1000, m = options.history ?? 10;
  const c1 = options.c1 ?? 1e-4, c2 = options.c2 ?? 0.9, maxLs = options.maxLineSearch ?? 30;
  let evaluations = 0;
  const evalAt = (x: Float64Array) => {
    evaluations++;
    const r = fg(x);
    return { value: r.value, grad: r.grad };
  };
  let x: Float64Array = Float64Array.from(x0);
  let { value: f, grad: g } = evalAt(x);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  let gnorm = Math.sqrt(dot(g, g));
  let message = 'maximum iterations reached';
  let converged = false;
  let k = 0;
  for (; k < maxIter; k++) {
    if (!Number.isFinite(f) || !Number.isFinite(gnorm)) { message = `non-finite objective (${f}) or gradient`; break; }
    if (gnorm <= gradTol) { converged = true; message = 'gradient norm below tolerance'; break; }
    let d = twoLoop(g, S, Y, rho);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (can only come from round-off): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      d = g.map((v) => -v);
      slope = -gnorm * gnorm;
    }
    const alpha0 = S.length === 0 ? Math.min(1, 1 / gnorm) : 1;
    const ls = strongWolfe(evalAt, x, f, g, d, slope, alpha0, c1, c2, maxLs, options.valueNoise ?? 0);
    if (!ls) {
      if (S.length > 0) { S.length = Y.length = rho.length = 0; continue; }
      message = 'line search failed to find a point satisfying the strong Wolfe conditions';
      break;
    }
    const s = new Float64Array(x.length), yv = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) { s[i] = ls.x[i]! - x[i]!; yv[i] = ls.grad[i]! - g[i]!; }
    const sy = dot(s, yv);
    if (sy > 1e-300) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(yv); rho.push(1 / sy);
    }
    x = ls.x; f = ls.value; g = ls.grad;
    gnorm = Math.sqrt(dot(g, g));
    options.onIteration?.({ iteration: k + 1, value: f, gradNorm: gnorm });
  }
  return { x, value: f, gradNorm: gnorm, iterations: k, evaluations, converged, message };
}

/** H·g by the two-loop recursion, H₀ = γI with γ = sᵀy/yᵀy of the newest pair; returns −H·g. */
function twoLoop(g: Float64Array, S: Float64Array[], Y: Float64Array[], rho: number[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha = new Array<number>(S.length);
  for (let i = S.length - 1; i >= 0; i--) {
    alpha[i] = rho[i]! * dot(S[i]!, q);
    const y = Y[i]!;
    for (let j = 0; j < q.length; j++) q[j]! -= alpha[i]! * y[j]!;
  }
  if (S.length) {
    const last = S.length - 1;
    const gamma = 1 / (rho[last]! * dot(Y[last]!, Y[last]!));
    for (let j = 0; j < q.length; j++) q[j]! *= gamma;
  }
  for (let i = 0; i < S.length; i++) {
    const beta = rho[i]! * dot(Y[i]!, q);
    const s = S[i]!;
    for (let j = 0; j < q.length; j++) q[j]! += s[j]! * (alpha[i]! - beta);
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j]!;
  return q;
}

interface Point { alpha: number; value: number; slope: number; x: Float64Array; grad: Float64Array }

function strongWolfe(
  evalAt: (x: Float64Array) => { value: number; grad: Float64Array }, x: Float64Array, f0: number, g0: Float64Array,
  d: Float64Array, slope0: number, alpha0: number, c1: number, c2: number, maxLs: number, valueNoise: number,
): Point | null {
  // Near the optimum, f changes by less than its round-off and the Armijo test becomes noise.
  // Hager & Zhang's approximate Wolfe condition (SIAM J. Optim. 16, 2005, eq. 4.1) then decides
  // by the slope instead: φ'(α) ≤ (2c₁ − 1)·φ'(0) with φ(α) ≤ φ(0) + ε|φ(0)|, ε = 1e-10 (or
  // + the caller's absolute round-off of f, when larger).
  const fTol = Math.max(1e-10 * Math.abs(f0), valueNoise);
  const at = (alpha: number): Point => {
    const xa = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) xa[i] = x[i]! + alpha * d[i]!;
    const r = evalAt(xa);
    return { alpha, value: r.value, slope: dot(r.grad, d), x: xa, grad: r.grad };
  };
  const armijo = (p: Point): boolean =>
    p.value <= f0 + c1 * p.alpha * slope0 || (p.value <= f0 + fTol && p.slope <= (2 * c1 - 1) * slope0);
  const curvature = (p: Point): boolean => Math.abs(p.slope) <= -c2 * slope0;
  let prev: Point = { alpha: 0, value: f0, slope: slope0, x, grad: g0 };
  let alpha = alpha0;
  for (let i = 0; i < maxLs; i++) {
    const cur = at(alpha);
    if (!Number.isFinite(cur.value) || !armijo(cur) || (i > 0 && cur.value >= prev.value)) {
      return zoom(at, prev, cur, f0, slope0, armijo, curvature, maxLs);
    }
    if (curvature(cur)) return cur;
    if (cur.slope >= 0) return zoom(at, cur, prev, f0, slope0, armijo, curvature, maxLs);
    prev = cur;
    alpha *= 2;
  }
  return null;
}

function zoom(
  at: (alpha: number) => Point, lo: Point, hi: Point, _f0: number, _slope0: number,
  armijo: (p: Point) => boolean, curvature: (p: Point) => boolean, maxLs: number,
): Point | null {
  for (let i = 0; i < maxLs; i++) {
    const a = cubicMin(lo, hi);
    const cur = at(a);
    if (!Number.isFinite(cur.value) || !armijo(cur) || cur.value >= lo.value) {
      hi = cur;
    } else {
      if (curvature(cur)) return cur;
      if (cur.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
      lo = cur;
    }
    if (Math.abs(hi.alpha - lo.alpha) < 1e-16 * Math.max(1, Math.abs(lo.alpha))) break;
  }
  // The bracket collapsed: accept the best sufficient-decrease point if it made progress.
  return lo.alpha > 0 && armijo(lo) ? lo : null;
}

/** Minimiser of the cubic through two points with slopes (N&W eq. 3.59), kept inside the bracket. */
function cubicMin(p: Point, q: Point): number {
  const lo = Math.min(p.alpha, q.alpha), hi = Math.max(p.alpha, q.alpha);
  const d1 = p.slope + q.slope - (3 * (p.value - q.value)) / (p.alpha - q.alpha);
  const disc = d1 * d1 - p.slope * q.slope;
  let a = NaN;
  if (Number.isFinite(q.value) && disc >= 0) {
    const d2 = Math.sign(q.alpha - p.alpha) * Math.sqrt(disc);
    a = q.alpha - (q.alpha - p.alpha) * ((q.slope + d2 - d1) / (q.slope - p.slope + 2 * d2));
  }
  const margin = 0.1 * (hi - lo);
  if (!Number.isFinite(a) || a < lo + margin || a > hi - margin) a = (lo + hi) / 2;
  return a;
}
