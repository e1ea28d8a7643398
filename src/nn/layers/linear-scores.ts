import { ShapeError } from '../../errors.js';
import { add, concat, matmul, mul, reshape, slice, sum, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Bound on the elements of the one intermediate [N, mb, min(out, in)] that scoring a block of mb
 * queries allocates (2²² float64 ≈ 32 MB): queries are taken in blocks that fit it.
 */
const BLOCK_ELEMENTS = 1 << 22;

/**
 * Scores of a Linear layer's per-example gradients against m queries, without forming them:
 *   score[i, t] = ⟨gᵢ, q_t⟩ = Σₛ δᵢₛᵀ·Q_t·aᵢₛ + (Σₛ δᵢₛ)ᵀ·b_t
 * where gᵢ = Σₛ δᵢₛ·aᵢₛᵀ (weight) and Σₛ δᵢₛ (bias) is example i's gradient (s runs over the middle
 * axes of a rank > 2 input [n, …, in]; one position for [n, in]), Q_t = row t's weight part as
 * [out, in] and b_t its bias part. One GEMM per block of queries contracts the larger of the two
 * feature axes first — a·[Q_1 … Q_mb]ᵀ → [N, mb·out] when out ≤ in, else δ·[Q_1 … Q_mb] → [N, mb·in] —
 * then the other axis is a broadcast product and a sum. Cost N·m·out·in flops with N = n·positions,
 * memory N·mb·min(out, in): never the [n, out·in] per-example gradients.
 *
 * a [n, …, in], d [n, …, out], q [m, out·in (+ out with a bias)] → [n, m]. `blockElements` bounds the
 * intermediate (tests lower it to exercise several blocks).
 */
export function linearScores(a: Tensor, d: Tensor, q: Tensor, inF: number, out: number, bias: boolean, blockElements = BLOCK_ELEMENTS): Tensor {
  const n = a.shape[0]!, m = q.shape[0]!;
  const size = out * inF + (bias ? out : 0);
  if (q.rank !== 2 || q.shape[1] !== size) {
    throw new ShapeError(`Linear(${inF}, ${out}): queries must be [m, ${size}], got [${q.shape.join(', ')}]`);
  }
  const a2 = reshape(a, [-1, inF]), d2 = reshape(d, [-1, out]);
  const N = a2.shape[0]!; // n · positions
  const blockRows = Math.max(1, Math.floor(blockElements / Math.max(1, N * Math.min(out, inF))));
  const parts: Tensor[] = [];
  for (let t0 = 0; t0 < m; t0 += blockRows) {
    const mb = Math.min(blockRows, m - t0);
    const qw = reshape(slice(q, [t0, 0], [mb, out * inF]), [mb, out, inF]);
    let s: Tensor; // [N, mb]
    if (out <= inF) {
      const aq = reshape(matmul(a2, reshape(qw, [mb * out, inF]), { transB: true }), [N, mb, out]);
      s = sum(mul(aq, reshape(d2, [N, 1, out])), 2);
    } else {
      const qt = reshape(transpose(qw, [1, 0, 2]), [out, mb * inF]); // [out, mb·in]
      const dq = reshape(matmul(d2, qt), [N, mb, inF]);
      s = sum(mul(dq, reshape(a2, [N, 1, inF])), 2);
    }
    if (N !== n) s = sum(reshape(s, [n, N / n, mb]), 1);
    if (bias) {
      const dSum = N === n ? d2 : sum(reshape(d2, [n, N / n, out]), 1);
      s = add(s, matmul(dSum, slice(q, [t0, out * inF], [mb, out]), { transB: true }));
    }
    parts.push(s);
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 1);
}
