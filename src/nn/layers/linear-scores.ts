import { ShapeError } from '../../errors.js';
import { add, concat, matmul, reshape, slice, sum, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { buildEachTime, type QueryMemo } from '../query-cache.js';

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
 * then one batched matrix-vector product per position contracts the other ([mb, out]·δᵢₛ, or
 * [mb, in]·aᵢₛ). Cost N·m·out·in flops with N = n·positions, memory N·mb·min(out, in): never the
 * [n, out·in] per-example gradients.
 *
 * a [n, …, in], d [n, …, out], q [m, out·in (+ out with a bias)] → [n, m]. Options: `blockElements`
 * bounds the intermediate (tests lower it to exercise several blocks); `memo` keeps the layouts of
 * q's blocks for the next batch (query-cache.ts).
 */
export function linearScores(a: Tensor, d: Tensor, q: Tensor, inF: number, out: number, bias: boolean,
  options: { blockElements?: number; memo?: QueryMemo } = {}): Tensor {
  const blockElements = options.blockElements ?? BLOCK_ELEMENTS, memo = options.memo ?? buildEachTime;
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
    const weights = (): Tensor => reshape(slice(q, [t0, 0], [mb, out * inF]), [mb, out, inF]);
    let s: Tensor; // [N, mb]
    if (out <= inF) {
      // [in, mb·out]: the GEMM's B untransposed (transposing the block is then done once, by the memo).
      const qw = memo(`${t0}+${mb}:rows`, () => transpose(reshape(weights(), [mb * out, inF])));
      const aq = reshape(matmul(a2, qw), [N, mb, out]);
      s = reshape(matmul(aq, reshape(d2, [N, out, 1])), [N, mb]);
    } else {
      const qt = memo(`${t0}+${mb}:cols`, () => reshape(transpose(weights(), [1, 0, 2]), [out, mb * inF])); // [out, mb·in]
      const dq = reshape(matmul(d2, qt), [N, mb, inF]);
      s = reshape(matmul(dq, reshape(a2, [N, inF, 1])), [N, mb]);
    }
    if (N !== n) s = sum(reshape(s, [n, N / n, mb]), 1);
    if (bias) {
      const dSum = N === n ? d2 : sum(reshape(d2, [n, N / n, out]), 1);
      s = add(s, matmul(dSum, memo(`${t0}+${mb}:bias`, () => slice(q, [t0, out * inF], [mb, out])), { transB: true }));
    }
    parts.push(s);
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 1);
}
