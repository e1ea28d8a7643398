import { InputError, NotPositiveDefiniteError } from '../../errors.js';
import { add, concat, mul, reciprocal, reshape, slice, tidy, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Block, LayerBlocks } from '../blocks.js';
import { checkVector, type LinearOperator, type ShiftedOperator } from '../linear-operator.js';
import type { KroneckerCurvature } from './curvature.js';
import { applyInEigenbasis } from './eigenbasis.js';
import { fromMatrices, toMatrices } from './layout.js';

/**
 * K-FAC / EK-FAC as a LinearOperator over all of θ: block-diagonal by layer, each Linear block
 * Q·diag(eigenvalues)·Qᵀ in its Kronecker eigenbasis (Q = Q_G ⊗ Q_A), plus shift·I everywhere
 * (unfactored parameters hold only the shift). It declares shift and base like the curvature
 * operators (DAMPING in linear-operator.ts), its layer blocks, and closed forms: trace, logdet
 * and the exact inverse (K + shift + λ)⁻¹ with one λ or one λ_l per block.
 */
export interface KroneckerOperator extends ShiftedOperator, LayerBlocks {
  readonly curvature: KroneckerCurvature;
  trace(): number;
  /** log det(K + (shift + λ)·I), λ per block when an array. */
  logdet(damping?: number | readonly number[]): number;
  /** (K + (shift + λ)·I)⁻¹ as an operator, λ per block when an array. A non-positive eigenvalue is a NotPositiveDefiniteError. */
  inverse(damping?: number | readonly number[]): LinearOperator;
}

type Part = { block: Block; layer: number | null };

function partsOf(c: KroneckerCurvature): Part[] {
  const parts: Part[] = [
    ...c.layers.map((l, i) => ({ block: { offset: l.offset, size: l.size, name: l.name }, layer: i })),
    ...c.unfactored.map((b) => ({ block: b, layer: null })),
  ];
  return parts.sort((a, b) => a.block.offset - b.block.offset);
}

/**
 * Applies a per-block function to the columns of V [P, k] (or a vector [P]): a factored block
 * gets scale(eigenvalues) in its eigenbasis, an unfactored one the scalar `plain(index)`.
 */
function blockwise(c: KroneckerCurvature, parts: readonly Part[], v: Tensor,
  scale: (layer: number, part: number) => Tensor, plain: (part: number) => number): Tensor {
  return tidy(() => {
    const vector = v.rank === 1;
    const rows = vector ? reshape(v, [1, c.numParams]) : transpose(v);
    const k = rows.shape[0]!;
    const out = parts.map((p, j) => {
      const block = slice(rows, [0, p.block.offset], [k, p.block.size]);
      if (p.layer === null) return mul(block, plain(j));
      const l = c.layers[p.layer]!;
      return fromMatrices(l, applyInEigenbasis(l, l.qA, l.qG, toMatrices(l, block), scale(p.layer, j)));
    });
    const all = out.length === 1 ? out[0]! : concat(out, 1);
    return vector ? reshape(all, [c.numParams]) : transpose(all);
  });
}

function dampingPerPart(parts: readonly Part[], damping: number | readonly number[]): number[] {
  if (typeof damping === 'number') {
    if (!(damping >= 0) || !Number.isFinite(damping)) throw new InputError(`K-FAC: damping must be a finite number ≥ 0, got ${damping}`);
    return parts.map(() => damping);
  }
  if (damping.length !== parts.length) throw new InputError(`K-FAC: ${damping.length} damping values for ${parts.length} blocks (${parts.map((p) => p.block.name).join(', ')})`);
  damping.forEach((d, i) => {
    if (!(d >= 0) || !Number.isFinite(d)) throw new InputError(`K-FAC: damping of block ${i} must be a finite number ≥ 0, got ${d}`);
  });
  return [...damping];
}

/** The operator K + shift·I of a fitted curvature (shift: weight decay + damping, ≥ 0). */
export function kroneckerOperator(c: KroneckerCurvature, options: { shift?: number } = {}): KroneckerOperator {
  const shift = options.shift ?? 0;
  if (!(shift >= 0) || !Number.isFinite(shift)) throw new InputError(`K-FAC: shift must be a finite number ≥ 0, got ${shift}`);
  const parts = partsOf(c);
  const blocks = parts.map((p) => p.block);
  const make = (s: number): LinearOperator & { trace(): number } => {
    const op: LinearOperator & { trace(): number } = {
      size: c.numParams, dtype: c.dtype, symmetric: true, psd: true,
      matvec: (v) => { checkVector(op, v); return product(v, s); },
      matmat: (v) => { checkVector(op, v, 'matmat'); return product(v, s); },
      trace: () => traceOf(s),
    };
    return op;
  };
  const product = (v: Tensor, s: number): Tensor => {
    const r = blockwise(c, parts, v, (l) => c.eigenvalues(l), () => 0);
    return s === 0 ? r : tidy(() => add(r, mul(v, s)));
  };
  const traceOf = (s: number): number => {
    let t = s * c.numParams;
    c.layers.forEach((_, i) => { t += sumOf(c.eigenvalues(i)); });
    return t;
  };
  const base = make(0);
  const full = shift === 0 ? base : make(shift);
  return {
    ...full,
    shift, base, blocks, curvature: c,
    logdet(damping = 0) {
      const lam = dampingPerPart(parts, damping);
      let total = 0;
      parts.forEach((p, j) => {
        const d = shift + lam[j]!;
        if (p.layer === null) { total += p.block.size * Math.log(d); return; }
        const ev = c.eigenvalues(p.layer).dataSync();
        for (let i = 0; i < ev.length; i++) total += Math.log(ev[i]! + d);
      });
      return total;
    },
    inverse(damping = 0) {
      const lam = dampingPerPart(parts, damping);
      const denominators = parts.map((p, j) => {
        const d = shift + lam[j]!;
        checkPositive(c, p, d);
        return d;
      });
      const scales = parts.map((p, j) => (p.layer === null ? null : tidy(() => reciprocal(add(c.eigenvalues(p.layer!), denominators[j]!)))));
      const inv: LinearOperator & { dispose(): void } = {
        size: c.numParams, dtype: c.dtype, symmetric: true, psd: true,
        matvec: (v) => { checkVector(inv, v); return blockwise(c, parts, v, (_l, j) => scales[j]!, (j) => 1 / denominators[j]!); },
        matmat: (v) => { checkVector(inv, v, 'matmat'); return blockwise(c, parts, v, (_l, j) => scales[j]!, (j) => 1 / denominators[j]!); },
        dispose: () => { for (const s of scales) s?.dispose(); },
      };
      return inv;
    },
  };
}

/**
 * Every eigenvalue of the block plus d must be positive, beyond round-off: a zero eigenvalue of a
 * factor (e.g. an input feature that is always 0) with zero weight decay and damping is singular.
 */
function checkPositive(c: KroneckerCurvature, p: Part, d: number): void {
  if (p.layer === null) {
    if (!(d > 0)) throw new NotPositiveDefiniteError(`K-FAC: block '${p.block.name}' is not factored and its shift + damping is ${d}: add damping`, p.block.offset, d);
    return;
  }
  const ev = c.eigenvalues(p.layer).dataSync();
  let min = Infinity, max = 0, at = 0;
  for (let i = 0; i < ev.length; i++) {
    if (ev[i]! < min) { min = ev[i]!; at = i; }
    if (ev[i]! > max) max = ev[i]!;
  }
  const l = c.layers[p.layer]!;
  const eps = c.dtype === 'float32' ? 1.2e-7 : 2.2e-16;
  const floor = max * Math.max(l.inDim, l.outFeatures) * eps * 10;
  if (!(min + d > floor)) {
    throw new NotPositiveDefiniteError(
      `K-FAC: layer '${l.name}' has eigenvalue ${min.toExponential(3)} (largest ${max.toExponential(3)}) and weight decay + damping ${d}: ` +
      `the factored curvature is singular there (a factor with a zero eigenvalue, e.g. an input that is always 0); add damping`, at, min + d);
  }
}

function sumOf(t: Tensor): number {
  const d = t.dataSync();
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return s;
}

