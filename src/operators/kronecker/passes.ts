import { InputError } from '../../errors.js';
import { add, keep, tidy } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../../nn/chunk-source.js';
import { batchOf, type Dataset, type Objective } from '../../nn/objective.js';

/**
 * One pass over the training data (in memory or a ChunkSource, one chunk at a time) in batches of
 * at most batchSize rows, summing f(batch) — a list of per-layer tensors — into accumulators that
 * outlive the pass. Each batch runs in its own tidy scope. Returns the sums and N.
 */
export function accumulateOverBatches(objective: Objective, theta: Tensor, data: TrainingData, batchSize: number,
  f: (batch: Dataset) => Tensor[], onBatch?: () => void): { sums: Tensor[]; n: number } {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  objective.model.checkTheta(theta);
  let sums: Tensor[] | null = null;
  const visit = (d: Dataset): void => {
    const rows = d.x.shape[0]!;
    for (let start = 0; start < rows; start += batchSize) {
      const previous: Tensor[] | null = sums;
      const next = tidy(() => {
        const parts = f(batchOf(d, start, batchSize));
        return parts.map((p, i) => keep(previous ? add(previous[i]!, p) : p));
      });
      previous?.forEach((t) => t.dispose());
      sums = next;
      onBatch?.();
    }
  };
  let n: number;
  try {
    if (isChunkSource(data)) {
      const chunks = CheckedChunks.of(data, objective);
      n = chunks.n;
      chunks.forEach((chunk) => visit(chunk));
    } else {
      objective.validate(data);
      n = data.x.shape[0]!;
      visit(data);
    }
  } catch (err) {
    (sums as Tensor[] | null)?.forEach((t) => t.dispose());
    throw err;
  }
  if (!sums) throw new InputError('K-FAC: the training data is empty');
  return { sums, n };
}
