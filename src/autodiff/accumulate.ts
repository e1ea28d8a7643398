import { full } from '../tensor/creation.js';
import { add } from '../tensor/ops/elementwise.js';
import { concat, pad } from '../tensor/ops/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** A block of a cotangent: the cotangent of `slice(x, begin, size)` placed back into x's shape. */
export interface Piece { readonly begin: readonly number[]; readonly value: Tensor }

/**
 * The cotangent of one tape value, summed lazily. Reverse mode adds one contribution per use of a
 * value; the adjoint of `slice` (a zero-padded block) is kept as a piece rather than padded, so
 * that the cotangent of a parameter vector cut into per-layer blocks (Sequential.unflatten) is
 * assembled by one concat instead of one full-size fill + add per block — which forward-over-
 * reverse would then differentiate again. The sum is written in differentiable ops (concat, pad,
 * add), so higher-order derivatives see the same value either way.
 */
export class Cotangent {
  private dense: Tensor | null = null;
  private readonly pieces: Piece[] = [];

  addDense(g: Tensor): void {
    this.dense = this.dense ? add(this.dense, g) : g;
  }

  addPiece(p: Piece): void {
    this.pieces.push(p);
  }

  /** The total, with the shape of `like` (the value whose cotangent this is). */
  value(like: Tensor): Tensor {
    if (this.pieces.length === 0) return this.dense!;
    const assembled = assemble(this.pieces, like) ?? this.pieces
      .map((p) => pad(p.value, p.begin, like.shape.map((d, i) => d - p.begin[i]! - p.value.shape[i]!)))
      .reduce((a, b) => add(a, b));
    return this.dense ? add(this.dense, assembled) : assembled;
  }
}

/**
 * Pieces that tile disjoint ranges of a single axis (full extent on every other axis) as one
 * concat, with zero blocks in the gaps; null when they do not (the caller pads and adds).
 */
function assemble(pieces: readonly Piece[], like: Tensor): Tensor | null {
  const shape = like.shape;
  let axis = -1;
  for (const p of pieces) {
    for (let i = 0; i < shape.length; i++) {
      if (p.value.shape[i] === shape[i]) continue;
      if (axis !== -1 && axis !== i) return null;
      axis = i;
    }
  }
  if (axis === -1) return null; // a piece covers everything: plain sums
  const sorted = [...pieces].sort((a, b) => a.begin[axis]! - b.begin[axis]!);
  const parts: Tensor[] = [];
  let at = 0;
  const gap = (n: number): Tensor => {
    const s = [...shape];
    s[axis] = n;
    return full(s, 0, like.dtype, like.backend);
  };
  for (const p of sorted) {
    const b = p.begin[axis]!;
    if (b < at) return null; // overlapping blocks
    if (b > at) parts.push(gap(b - at));
    parts.push(p.value);
    at = b + p.value.shape[axis]!;
  }
  if (at < shape[axis]!) parts.push(gap(shape[axis]! - at));
  return concat(parts, axis);
}
