import type { DataSource } from './data-args.js';
import type { Ranked, SolveSummary, Validation } from './influence-steps.js';

export interface RankedDelta extends Ranked {
  /** −I_up,loss/N: the predicted change of the test loss when this training point is removed. */
  predictedDelta: number;
}

/** The JSON summary of `curvature influence` (--json), which `curvature report` renders. */
export interface InfluenceSummary {
  command: 'influence';
  backend: string;
  model: { path: string; arch: string; activation: string; loss: string; weightDecay: number; parameters: number };
  data: DataSource;
  hessian: string;
  solver: string;
  dtype: string;
  damping: number;
  solverOptions: Record<string, unknown>;
  /** scores: the [test, train] shape of the --out matrix. */
  shapes: { parameters: number; train: number; test: number; scores: [number, number] | null };
  /** Every solve converged (test-point solves and self-influence solves). */
  converged: boolean;
  /** Class labels (classification data), for the report's table. */
  labels: { train: number[] | null; test: number[] | null };
  solve: SolveSummary | null;
  top: { test: number; helpful: RankedDelta[]; harmful: RankedDelta[] }[] | null;
  self: { top: Ranked[]; solves: number; converged: boolean; out: string | null } | null;
  validation: Validation | null;
  timings: Record<string, number>;
  out: string | null;
}
