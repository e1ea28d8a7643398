/**
 * Independent dense references for the K-FAC / EK-FAC tests (issue 12): plain Float64Array
 * arithmetic, no tensor op, no autodiff and nothing from src/operators/kronecker. The network is
 * described by hand (layer widths, bias flags, tanh between Linear layers) and its θ layout is
 * computed here (torch.nn.Sequential's: W [out, in] row-major, then b [out], layer after layer), so
 * a layout mistake in the code under test cannot hide in a shared helper.
 *
 * Conventions (notes/kfac-spec.md): ã = [a; 1] (no 1 without bias), A = (1/N)Σ ããᵀ,
 * G = (1/N)Σₙ Σₖ δₙₖ δₙₖᵀ, the K-FAC block G ⊗ A in θ's row-major layout, EK-FAC
 * Λ = (1/N)Σₙ Σₖ (Q_Gᵀ δ ãᵀ Q_A)² (elementwise).
 */

export type RefLoss = 'cross-entropy' | 'mse' | 'bce';

export interface RefNet {
  /** Layer widths [in, h1, …, out]; tanh between consecutive Linear layers. */
  widths: readonly number[];
  /** Bias flag per Linear layer (default all true). */
  bias?: readonly boolean[];
}

export interface RefLayer {
  inF: number;
  outF: number;
  bias: boolean;
  inDim: number;
  /** Offset of W in θ; the bias follows W (offset + outF·inF). */
  offset: number;
  size: number;
}

/** The Linear layers of the net and their places in θ (computed here, not read from the model). */
export function refLayers(net: RefNet): RefLayer[] {
  const layers: RefLayer[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < net.widths.length; l++) {
    const inF = net.widths[l]!, outF = net.widths[l + 1]!, bias = net.bias?.[l] ?? true;
    const size = outF * inF + (bias ? outF : 0);
    layers.push({ inF, outF, bias, inDim: inF + (bias ? 1 : 0), offset, size });
    offset += size;
  }
  return layers;
}

export const numParams = (net: RefNet): number => refLayers(net).reduce((s, l) => s + l.size, 0);

/** θ index of entry (i, j) of a layer's gradient matrix Ĝ [out, inDim] (j = in is the bias column). */
export function thetaIndex(l: RefLayer, i: number, j: number): number {
  return j < l.inF ? l.offset + i * l.inF + j : l.offset + l.outF * l.inF + i;
}

/** One example's forward pass: every layer's homogeneous input ã, and the output f. */
export interface RefForward {
  /** ã per layer ([a; 1] with bias). */
  inputs: Float64Array[];
  /** Plain a per layer (for the tanh derivative of the layer below). */
  acts: Float64Array[];
  output: Float64Array;
}

export function forward(net: RefNet, theta: ArrayLike<number>, x: ArrayLike<number>): RefForward {
  const layers = refLayers(net);
  const inputs: Float64Array[] = [], acts: Float64Array[] = [];
  let a = Float64Array.from(x);
  let z = a;
  layers.forEach((l, k) => {
    if (k > 0) a = Float64Array.from(z, Math.tanh);
    acts.push(a);
    const at = new Float64Array(l.inDim);
    at.set(a);
    if (l.bias) at[l.inF] = 1;
    inputs.push(at);
    z = new Float64Array(l.outF);
    for (let i = 0; i < l.outF; i++) {
      let s = l.bias ? theta[l.offset + l.outF * l.inF + i]! : 0;
      for (let j = 0; j < l.inF; j++) s += theta[l.offset + i * l.inF + j]! * a[j]!;
      z[i] = s;
    }
  });
  return { inputs, acts, output: z };
}

/**
 * Backpropagates an output-space vector c (δ at the network output) to every Linear layer's
 * output: δ_L = c, δ_{l} = (W_{l+1}ᵀ δ_{l+1}) ⊙ (1 − a_{l+1}²) with a_{l+1} = tanh(z_l).
 */
export function backprop(net: RefNet, theta: ArrayLike<number>, fw: RefForward, c: ArrayLike<number>): Float64Array[] {
  const layers = refLayers(net);
  const deltas: Float64Array[] = new Array(layers.length);
  let d = Float64Array.from(c);
  for (let k = layers.length - 1; k >= 0; k--) {
    deltas[k] = d;
    if (k === 0) break;
    const l = layers[k]!, below = new Float64Array(l.inF), a = fw.acts[k]!;
    for (let j = 0; j < l.inF; j++) {
      let s = 0;
      for (let i = 0; i < l.outF; i++) s += theta[l.offset + i * l.inF + j]! * d[i]!;
      below[j] = s * (1 - a[j]! * a[j]!);
    }
    d = below;
  }
  return deltas;
}

export function softmax(f: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < f.length; i++) m = Math.max(m, f[i]!);
  const e = Float64Array.from({ length: f.length }, (_, i) => Math.exp(f[i]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Columns of a square root of the loss's output Hessian at f: Σₖ cₖcₖᵀ = ∇²_f ℓ. */
export function outputHessianSqrt(loss: RefLoss, f: ArrayLike<number>): Float64Array[] {
  const C = f.length;
  if (loss === 'cross-entropy') {
    const p = softmax(f);
    return Array.from({ length: C }, (_, k) => {
      const c = Float64Array.from(p, (pi) => -Math.sqrt(p[k]!) * pi);
      c[k]! += Math.sqrt(p[k]!);
      return c;
    });
  }
  return Array.from({ length: C }, (_, k) => {
    const c = new Float64Array(C);
    c[k] = loss === 'mse' ? 1 : Math.sqrt(sigmoid(f[k]!) * (1 - sigmoid(f[k]!)));
    return c;
  });
}

/** ∂ℓ/∂f for one example with target y (a class index for cross-entropy, a vector otherwise). */
export function lossGradient(loss: RefLoss, f: ArrayLike<number>, y: number | ArrayLike<number>): Float64Array {
  if (loss === 'cross-entropy') {
    const g = softmax(f);
    g[y as number]! -= 1;
    return g;
  }
  const t = y as ArrayLike<number>;
  return Float64Array.from({ length: f.length }, (_, k) => (loss === 'mse' ? f[k]! : sigmoid(f[k]!)) - t[k]!);
}

/** A dataset as plain arrays: x row-major [n, in], y labels or row-major targets. */
export interface RefData {
  n: number;
  x: Float64Array;
  /** Int labels (cross-entropy) or [n, out] targets. */
  y: ArrayLike<number>;
}

export type RefForm = 'gauss-newton' | 'empirical-fisher';

/**
 * For each example n: ã per layer and the list of δₙₖ per layer (GN: one per output-Hessian
 * square-root column; empirical Fisher: the one gradient with the true label).
 */
export function perExample(net: RefNet, loss: RefLoss, theta: ArrayLike<number>, data: RefData, form: RefForm = 'gauss-newton'):
  { inputs: Float64Array[]; deltas: Float64Array[][] }[] {
  const inW = net.widths[0]!, outW = net.widths[net.widths.length - 1]!;
  const out: { inputs: Float64Array[]; deltas: Float64Array[][] }[] = [];
  for (let n = 0; n < data.n; n++) {
    const fw = forward(net, theta, data.x.subarray(n * inW, (n + 1) * inW));
    const y = loss === 'cross-entropy' ? data.y[n]! : Array.from({ length: outW }, (_, k) => data.y[n * outW + k]!);
    const cols = form === 'gauss-newton' ? outputHessianSqrt(loss, fw.output) : [lossGradient(loss, fw.output, y)];
    out.push({ inputs: fw.inputs, deltas: cols.map((c) => backprop(net, theta, fw, c)) });
  }
  return out;
}

/** Dense factors A [inDim²] and G [out²] per layer (row-major), straight from their definitions. */
export function refFactors(net: RefNet, loss: RefLoss, theta: ArrayLike<number>, data: RefData, form: RefForm = 'gauss-newton'):
  { A: Float64Array; G: Float64Array }[] {
  const layers = refLayers(net);
  const ex = perExample(net, loss, theta, data, form);
  return layers.map((l, k) => {
    const A = new Float64Array(l.inDim * l.inDim), G = new Float64Array(l.outF * l.outF);
    for (const e of ex) {
      addOuter(A, e.inputs[k]!, 1 / data.n);
      for (const d of e.deltas) addOuter(G, d[k]!, 1 / data.n);
    }
    return { A, G };
  });
}

export function addOuter(M: Float64Array, u: ArrayLike<number>, w: number): void {
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const ui = w * u[i]!;
    if (ui === 0) continue;
    for (let j = 0; j < n; j++) M[i * n + j]! += ui * u[j]!;
  }
}

/** The θ-space gradient of one backpropagated column: vec(δ ãᵀ) per layer in θ's layout. */
export function paramVector(net: RefNet, inputs: Float64Array[], deltas: Float64Array[]): Float64Array {
  const layers = refLayers(net);
  const g = new Float64Array(numParams(net));
  layers.forEach((l, k) => {
    for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) g[thetaIndex(l, i, j)] = deltas[k]![i]! * inputs[k]![j]!;
  });
  return g;
}

/** The dense data Gauss–Newton matrix (1/N)Σₙ Jₙᵀ (∇²_f ℓ) Jₙ = (1/N)Σₙ Σₖ gₙₖ gₙₖᵀ, [P²]. */
export function refGaussNewton(net: RefNet, loss: RefLoss, theta: ArrayLike<number>, data: RefData): Float64Array {
  const P = numParams(net);
  const M = new Float64Array(P * P);
  for (const e of perExample(net, loss, theta, data)) for (const d of e.deltas) addOuter(M, paramVector(net, e.inputs, d), 1 / data.n);
  return M;
}

/** The dense P×P K-FAC matrix: block l = G_l ⊗ A_l in θ's layout, zero across layers. */
export function refKfacDense(net: RefNet, factors: { A: ArrayLike<number>; G: ArrayLike<number> }[]): Float64Array {
  const layers = refLayers(net);
  const P = numParams(net);
  const M = new Float64Array(P * P);
  layers.forEach((l, k) => {
    const { A, G } = factors[k]!;
    for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) {
      const r = thetaIndex(l, i, j);
      for (let p = 0; p < l.outF; p++) for (let q = 0; q < l.inDim; q++) {
        M[r * P + thetaIndex(l, p, q)] = G[i * l.outF + p]! * A[j * l.inDim + q]!;
      }
    }
  });
  return M;
}

/**
 * The dense P×P EK-FAC matrix from given eigenbases (columns of qA [inDim²], qG [out²], row-major)
 * and eigenvalues Λ [out, inDim] per layer: Σᵢⱼ Λᵢⱼ uᵢⱼ uᵢⱼᵀ with uᵢⱼ = vec_r(qG[:, i] qA[:, j]ᵀ).
 */
export function refEigenDense(net: RefNet, parts: { qA: ArrayLike<number>; qG: ArrayLike<number>; lambda: ArrayLike<number> }[]): Float64Array {
  const layers = refLayers(net);
  const P = numParams(net);
  const M = new Float64Array(P * P);
  layers.forEach((l, k) => {
    const { qA, qG, lambda } = parts[k]!;
    const u = new Float64Array(P);
    for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) {
      u.fill(0);
      for (let r = 0; r < l.outF; r++) for (let s = 0; s < l.inDim; s++) u[thetaIndex(l, r, s)] = qG[r * l.outF + i]! * qA[s * l.inDim + j]!;
      addOuter(M, u, lambda[i * l.inDim + j]!);
    }
  });
  return M;
}

/** EK-FAC corrections Λ [out, inDim] in the given bases: (1/N)Σₙ Σₖ ((Q_Gᵀδ)ᵢ (Q_Aᵀã)ⱼ)². */
export function refCorrections(l: RefLayer, k: number, ex: { inputs: Float64Array[]; deltas: Float64Array[][] }[], qA: ArrayLike<number>, qG: ArrayLike<number>): Float64Array {
  const L = new Float64Array(l.outF * l.inDim);
  const rot = (q: ArrayLike<number>, v: ArrayLike<number>, n: number): Float64Array =>
    Float64Array.from({ length: n }, (_, i) => { let s = 0; for (let r = 0; r < n; r++) s += q[r * n + i]! * v[r]!; return s; });
  for (const e of ex) {
    const ra = rot(qA, e.inputs[k]!, l.inDim);
    for (const d of e.deltas) {
      const rg = rot(qG, d[k]!, l.outF);
      for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) L[i * l.inDim + j]! += (rg[i]! * ra[j]!) ** 2 / ex.length;
    }
  }
  return L;
}

/** The P×P principal block [offset, offset + size) of a dense P×P matrix. */
export function block(M: ArrayLike<number>, P: number, offset: number, size: number): Float64Array {
  const B = new Float64Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) B[i * size + j] = M[(offset + i) * P + offset + j]!;
  return B;
}

/** Frobenius norm of a − b (b omitted: of a). */
export function frob(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - (b ? b[i]! : 0)) ** 2;
  return Math.sqrt(s);
}

/** max |a − b| / max(max|b|, floor): an entrywise relative error. */
export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300): number {
  if (a.length !== b.length) throw new Error(`maxRel: lengths ${a.length} and ${b.length}`);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / Math.max(m, floor);
}

/** In-place Cholesky of a dense SPD matrix (row-major, lower triangle L); throws when not SPD. */
export function cholesky(M: ArrayLike<number>, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = M[j * n + j]!;
    for (let k = 0; k < j; k++) s -= L[j * n + k]! ** 2;
    if (!(s > 0)) throw new Error(`cholesky: not positive definite at column ${j} (pivot ${s})`);
    const d = Math.sqrt(s);
    L[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = M[i * n + j]!;
      for (let k = 0; k < j; k++) t -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = t / d;
    }
  }
  return L;
}

/** log det of a dense SPD matrix, through Cholesky. */
export function logdetSpd(M: ArrayLike<number>, n: number): number {
  const L = cholesky(M, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * Math.log(L[i * n + i]!);
  return s;
}

/** Solves M x = b for dense SPD M through Cholesky. */
export function solveSpd(M: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  const L = cholesky(M, n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = b[i]!; for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!; y[i] = s / L[i * n + i]!; }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) { let s = y[i]!; for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!; x[i] = s / L[i * n + i]!; }
  return x;
}

/** M + s·I (a copy). */
export function addIdentity(M: ArrayLike<number>, n: number, s: number): Float64Array {
  const R = Float64Array.from(M);
  for (let i = 0; i < n; i++) R[i * n + i]! += s;
  return R;
}

export function matvecDense(M: ArrayLike<number>, n: number, v: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => { let s = 0; for (let j = 0; j < n; j++) s += M[i * n + j]! * v[j]!; return s; });
}

/** A seeded data set for a net: x ~ N(0, 1), y a label (cross-entropy) or a target vector (mse: N(0,1); bce: 0/1). */
export function refData(net: RefNet, loss: RefLoss, n: number, rng: { normal(): number; int(k: number): number; uniform(): number }): RefData {
  const inW = net.widths[0]!, outW = net.widths[net.widths.length - 1]!;
  const x = Float64Array.from({ length: n * inW }, () => rng.normal());
  const y = loss === 'cross-entropy'
    ? Int32Array.from({ length: n }, () => rng.int(outW))
    : Float64Array.from({ length: n * outW }, () => (loss === 'mse' ? rng.normal() : rng.int(2)));
  return { n, x, y };
}

/** Pearson correlation of two equal-length series (plain two-pass float64). */
export function pearsonRef(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n < 2) throw new Error(`pearsonRef: lengths ${a.length} and ${b.length}`);
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = a[i]! - ma, y = b[i]! - mb; sab += x * y; saa += x * x; sbb += y * y; }
  return sab / Math.sqrt(saa * sbb);
}

type Examples = { inputs: Float64Array[]; deltas: Float64Array[][] }[];

/** Layer k's diagonal block of the data GN, (1/N)Σₙ Σₖ vec(δ ãᵀ) vec(δ ãᵀ)ᵀ in the layer's local θ layout [size²]. */
export function refLayerGaussNewton(l: RefLayer, k: number, ex: Examples): Float64Array {
  const M = new Float64Array(l.size * l.size);
  const g = new Float64Array(l.size);
  for (const e of ex) for (const d of e.deltas) {
    for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) g[thetaIndex(l, i, j) - l.offset] = d[k]![i]! * e.inputs[k]![j]!;
    addOuter(M, g, 1 / ex.length);
  }
  return M;
}

/** A Kronecker-factored layer approximation: K-FAC (G ⊗ A) or EK-FAC (Σ Λᵢⱼ uᵢⱼuᵢⱼᵀ, uᵢⱼ = qG[:, i] ⊗ qA[:, j]). */
export type LayerApprox =
  | { kind: 'kfac'; A: ArrayLike<number>; G: ArrayLike<number> }
  | { kind: 'ekfac'; qA: ArrayLike<number>; qG: ArrayLike<number>; lambda: ArrayLike<number> };

/**
 * ‖GN_l − K‖_F without forming either matrix (layer 1 of mlp-small is 12,560²): with the GN block
 * (1/N)Σₐ gₐgₐᵀ, gₐ = δₐ ⊗ ãₐ (a = (n, k)),
 *   ‖GN_l‖² = (1/N²) Σₐ,b (δₐ·δ_b)² (ãₐ·ã_b)²,   ⟨GN_l, K⟩ = (1/N) Σₐ gₐᵀ K gₐ,
 *   K-FAC: gᵀ(G ⊗ A)g = (δᵀGδ)(ãᵀAã), ‖G ⊗ A‖² = ‖G‖²‖A‖²;
 *   EK-FAC: gᵀKg = Σᵢⱼ Λᵢⱼ (Q_Gᵀδ)ᵢ² (Q_Aᵀã)ⱼ², ‖K‖² = Σ Λᵢⱼ².
 */
export function layerFrobenius(l: RefLayer, k: number, ex: Examples, K: LayerApprox): { gn: number; err: number } {
  const N = ex.length;
  const aDot = new Float64Array(N * N);
  for (let n = 0; n < N; n++) for (let m = n; m < N; m++) {
    const a = ex[n]!.inputs[k]!, b = ex[m]!.inputs[k]!;
    let t = 0;
    for (let j = 0; j < l.inDim; j++) t += a[j]! * b[j]!;
    aDot[n * N + m] = aDot[m * N + n] = t;
  }
  let gnSq = 0;
  for (let n = 0; n < N; n++) for (let m = 0; m < N; m++) {
    const w = aDot[n * N + m]! ** 2;
    for (const da of ex[n]!.deltas) for (const db of ex[m]!.deltas) {
      let t = 0;
      for (let i = 0; i < l.outF; i++) t += da[k]![i]! * db[k]![i]!;
      gnSq += t * t * w;
    }
  }
  gnSq /= N * N;
  const quad = (M: ArrayLike<number>, v: ArrayLike<number>, n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) { let t = 0; for (let j = 0; j < n; j++) t += M[i * n + j]! * v[j]!; s += v[i]! * t; }
    return s;
  };
  const rot = (q: ArrayLike<number>, v: ArrayLike<number>, n: number): Float64Array =>
    Float64Array.from({ length: n }, (_, i) => { let s = 0; for (let r = 0; r < n; r++) s += q[r * n + i]! * v[r]!; return s; });
  let cross = 0, kSq = 0;
  if (K.kind === 'kfac') {
    for (const e of ex) {
      const qa = quad(K.A, e.inputs[k]!, l.inDim);
      for (const d of e.deltas) cross += quad(K.G, d[k]!, l.outF) * qa;
    }
    kSq = frob(K.G) ** 2 * frob(K.A) ** 2;
  } else {
    for (const e of ex) {
      const ra = rot(K.qA, e.inputs[k]!, l.inDim).map((v) => v * v);
      for (const d of e.deltas) {
        const rg = rot(K.qG, d[k]!, l.outF).map((v) => v * v);
        for (let i = 0; i < l.outF; i++) for (let j = 0; j < l.inDim; j++) cross += K.lambda[i * l.inDim + j]! * rg[i]! * ra[j]!;
      }
    }
    kSq = frob(K.lambda) ** 2;
  }
  cross /= N;
  return { gn: Math.sqrt(gnSq), err: Math.sqrt(Math.max(0, gnSq - 2 * cross + kSq)) };
}
