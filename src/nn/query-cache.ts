import { keep, tidy } from '../tensor/tidy.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Builds a tensor derived from the query vectors, or returns the one built before under the same
 * key (layers pass one to their scoring rule: slices and layouts of the queries that do not depend
 * on the training batch).
 */
export type QueryMemo = (key: string, make: () => Tensor) => Tensor;

/** No caching: every call builds (scoring a single batch). */
export const buildEachTime: QueryMemo = (_key, make) => make();

/**
 * Query vectors q [m, P] held for scoring many training batches (scoresFromCaptures): each layer's
 * slice of q, and whatever layout of it the layer's scoring rule asks for, is built on the first
 * batch and reused by the others — the slices of a 100-query block are 45 MB for the W-HVP MLP, which
 * the scoring of every batch would otherwise copy again. The caller disposes it.
 */
export class QueryCache {
  private readonly built = new Map<string, Tensor>();

  constructor(readonly q: Tensor) {}

  /** A memo whose keys are prefixed (one per layer), over this cache. */
  memo(prefix: string): QueryMemo {
    return (key, make) => {
      const full = `${prefix}/${key}`;
      let t = this.built.get(full);
      if (!t) {
        t = keep(tidy(make));
        this.built.set(full, t);
      }
      return t;
    };
  }

  dispose(): void {
    for (const t of this.built.values()) t.dispose();
    this.built.clear();
  }
}
