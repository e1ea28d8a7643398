import type { MlpData } from '../mlp-data.js';

/**
 * What a peer library offers the benchmark: each capability builds one timed case on fixed
 * inputs and returns a synchronous function (result forced to host memory, like ours), plus a way
 * to read the result once for the sanity check against our numbers. A peer module never throws
 * from load(): a library that is missing or does not start is `{ ok: false, reason }`.
 */
export interface TimedCase {
  /** One call of the timed computation, result read back to a JS typed array. */
  run(): void;
  /** The result of one call (flat; gradients and HVPs in our θ layout). */
  result(): Float32Array;
  dispose(): void;
}

export interface Peer {
  /** e.g. 'TensorFlow.js 4.22.0 (wasm)'. */
  readonly label: string;
  /** How the peer runs here: threads, SIMD, jit, … */
  readonly notes: string[];
  /** C = A·B, square float32 n×n, row-major inputs. */
  sgemm?(n: number, inputs: { a: Float32Array; b: Float32Array }): TimedCase;
  /** ∇θ of the mean cross-entropy of the W-HVP MLP. */
  gradient?(data: MlpData): TimedCase;
  /** H·v by forward-over-reverse differentiation. */
  hvp?(data: MlpData): TimedCase;
}

export type PeerLoad = { ok: true; peer: Peer } | { ok: false; label: string; reason: string };
