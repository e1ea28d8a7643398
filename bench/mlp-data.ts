import * as c from '../src/index.js';
import { whvpProblem } from './whvp.js';

/**
 * The W-HVP problem (bench/whvp.ts: MLP 784-128 tanh-128 tanh-10, mean cross-entropy, float32) as
 * plain arrays, so that every peer computes on exactly the same θ, x, labels and v as ours.
 * Parameters follow our flat θ, which is torch.nn.Sequential's state_dict order: W1 [128, 784],
 * b1, W2 [128, 128], b2, W3 [10, 128], b3; each layer computes h·Wᵀ + b.
 */
export interface MlpData {
  batch: number;
  widths: readonly number[];
  /** W1, b1, W2, b2, W3, b3 (row-major). */
  params: Float32Array[];
  shapes: number[][];
  x: Float32Array;
  labels: Int32Array;
  /** The HVP direction, flat in θ's layout. */
  v: Float32Array;
}

export const WIDTHS = [784, 128, 128, 10] as const;

export function mlpData(batch: number, seed = 0): MlpData {
  const p = whvpProblem(batch, seed);
  const theta = p.theta.dataSync() as Float32Array;
  const params: Float32Array[] = [], shapes: number[][] = [];
  for (const fp of p.model.flatParams) {
    params.push(theta.slice(fp.offset, fp.offset + fp.size));
    shapes.push([...fp.shape]);
  }
  const data = {
    batch, widths: WIDTHS, params, shapes,
    x: Float32Array.from(p.data.x.dataSync()),
    labels: Int32Array.from(p.data.y.dataSync()),
    v: Float32Array.from(p.v.dataSync()),
  };
  c.dispose([p.theta, p.data.x, p.data.y, p.v]);
  return data;
}

/** Our gradient and forward-over-reverse HVP on the active backend, for the peers' sanity check. */
export function oursReference(batch: number, seed = 0): { gradient: Float32Array; hvp: Float32Array } {
  const p = whvpProblem(batch, seed);
  const loss = (t: c.Tensor) => p.objective.dataLoss(t, p.data);
  const gradient = Float32Array.from(c.tidy(() => c.grad(loss, p.theta).dataSync()));
  const hvp = Float32Array.from(c.tidy(() => c.hvp(loss, p.theta, p.v).dataSync()));
  c.dispose([p.theta, p.data.x, p.data.y, p.v]);
  return { gradient, hvp };
}

/** Concatenates per-parameter arrays into one flat vector in θ's layout. */
export function flatten(parts: readonly ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Splits a flat vector in θ's layout into per-parameter arrays. */
export function split(flat: Float32Array, shapes: readonly number[][]): Float32Array[] {
  const out: Float32Array[] = [];
  let o = 0;
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    out.push(flat.slice(o, o + n));
    o += n;
  }
  return out;
}
