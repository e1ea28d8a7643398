/** Messages between InfluenceService (main thread) and its worker thread. */
import type { InfluenceOptions } from '../exact.js';
import type { Progress } from '../streaming.js';
import type { DatasetSpec, NpyChunkSpec, ObjectiveSpec, TensorSpec } from './spec.js';

/** Output specs that can cross threads (a function cannot). */
export type SerializableOutput = 'loss' | { logit: number } | { probability: number };

export interface ScoreRequest {
  output?: SerializableOutput;
  /** Training points per chunk streamed through the scorer (default 256). */
  chunkSize?: number;
  topK?: number;
  keepScores?: boolean;
  npyPath?: string;
  npyDtype?: 'float32' | 'float64';
}

export type Request =
  | { id: number; op: 'init'; backend: string; objective: ObjectiveSpec; theta: TensorSpec; train: DatasetSpec | NpyChunkSpec }
  | { id: number; op: 'fit'; options: InfluenceOptions }
  | { id: number; op: 'load'; dir: string; options: InfluenceOptions }
  | { id: number; op: 'save'; dir: string }
  | { id: number; op: 'score'; test: DatasetSpec; train?: DatasetSpec; options: ScoreRequest }
  | { id: number; op: 'selfInfluence'; train?: DatasetSpec; options: { chunkSize?: number; npyPath?: string } }
  | { id: number; op: 'leaveOneOut'; test: DatasetSpec; removed: number[]; options: { gradTol?: number; maxIter?: number } }
  | { id: number; op: 'perturbation'; test: DatasetSpec; train: DatasetSpec; options: { output?: SerializableOutput } }
  | { id: number; op: 'group'; test: DatasetSpec; groups: number[][]; options: { output?: SerializableOutput } }
  | { id: number; op: 'pbrf'; test: DatasetSpec; removed: number[]; options: { damping: number; epsilon?: number; relTol?: number; maxIter?: number } }
  | { id: number; op: 'abort' };

export type Reply =
  | { id: number; kind: 'progress'; progress: Progress | { phase: string; done: number; total?: number } }
  /** A temporary output file the request is about to create: the service deletes it if the worker is terminated. */
  | { id: number; kind: 'temp'; path: string }
  | { id: number; kind: 'result'; result: unknown }
  | { id: number; kind: 'error'; name: string; message: string };
