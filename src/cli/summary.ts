import type { DataSource } from './data-args.js';
import type { Ranked, SolveSummary, Validation } from './influence-steps.js';

export interface RankedDelta extends Ranked {
  /** −I_up,loss/N: the predicted change of the test loss when this training point is removed. */
  predictedDelta: number;
}

export interface TestPointSummary { index: number; label: number | null; predicted: number; probability: number | null; loss: number }

/** The JSON summary of `curvature influence` (--json), which `curvature report` renders. */
export interface InfluenceSummary {
  command: 'influence';
  backend: string;
  /**
   * The model as loaded: `description` is a one-line human description ("logistic regression 30 → 1",
   * "MLP 784-16-10, tanh"); activation is null where the model has no hidden layer.
   */
  model: { path: string; arch: string; activation: string | null; description: string; loss: string; weightDecay: number; parameters: number; gradNorm?: number };
  data: DataSource;
  hessian: string;
  solver: string;
  dtype: string;
  damping: number;
  solverOptions: Record<string, unknown>;
  /** scores: the [test, train] shape of the --out matrix. */
  shapes: { parameters: number; train: number; test: number; scores: [number, number] | null };
  /** False for the approximate methods (arnoldi, nystrom, datainf, diagonal): see `approximation`. */
  exact: boolean;
  /** Every solve converged (test-point and self-influence solves); null for an approximate method, which has no tolerance. */
  converged: boolean | null;
  /** What an approximate method kept (rank, captured trace fraction, …); null for exact methods. */
  approximation: Record<string, unknown> | null;
  /**
   * Class labels (classification data), for the report's tables: every test label, and the labels
   * of the training points the summary names (by index), not all N.
   */
  labels: { train: Record<string, number> | null; test: number[] | null };
  /**
   * The model on each test point (same order as the scores' rows): the true label (class index for
   * classification, else null), the prediction (argmax class, or for bce-with-logits the 0/1 decision,
   * or for mse the first output), its probability when the loss defines one (else null), and the
   * per-example loss at the true target.
   */
  testPoints: TestPointSummary[] | null;
  solve: SolveSummary | null;
  /** Per test point (row `test` of the score matrix; `row`: its row in the test data when --test-index picked rows). */
  top: { test: number; row?: number; helpful: RankedDelta[]; harmful: RankedDelta[] }[] | null;
  self: { top: Ranked[]; solves: number; converged: boolean | null; notConverged: SolveSummary['notConverged']; out: string | null } | null;
  validation: Validation | null;
  /** With --query-rank: the rank and each test point's relative error ‖s − s_r‖/‖s‖ of its low-rank preconditioned gradient. */
  queryRank?: { rank: number; relativeError: number[]; maxRelativeError: number };
  timings: Record<string, number>;
  out: string | null;
}
