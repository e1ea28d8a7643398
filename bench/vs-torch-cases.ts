import { join } from 'node:path';
import * as c from '../src/index.js';
import { writeNpy } from './npy.js';
import type { TorchPeer } from './peers/torch.js';
import { whvpProblem } from './whvp.js';

/**
 * The problems bench/vs-torch.ts times against PyTorch: each is set up once for ours (on the
 * active backend) and in every peer process (one per thread count), on the same inputs (written as
 * .npy into `dir`).
 * A case's `quantities` pair our call with the peer's quantity name (bench/peers/torch_server.py).
 */
export interface Quantity {
  /** The row's name: SGEMM, DGEMM, gradient, HVP, Gauss-Newton product. */
  name: string;
  /** How ours computes it, and how PyTorch does. */
  ours: string;
  peer: string;
  peerQuantity: string;
  /** One call of ours (synchronous; W-HVP results read back to a typed array, like the peer's tensors). */
  run(): void;
  /** Our result, flat, for the check against the peer's. */
  result(): Float64Array;
}

export interface VsCase {
  workload: 'W-GEMM' | 'W-HVP';
  key: string;
  dtype: 'float32' | 'float64';
  size: string;
  /** Flops of one call (GEMM: 2n³), for GFLOP/s; undefined for W-HVP. */
  flops?: number;
  quantities: Quantity[];
  dispose(): void;
}

const f64 = (t: c.Tensor): Float64Array => Float64Array.from(t.dataSync());

export async function gemmCase(peers: readonly TorchPeer[], dir: string, n: number, dtype: 'float32' | 'float64'): Promise<VsCase> {
  const a = c.keep(c.randomNormal([n, n], { seed: 1, dtype })), b = c.keep(c.randomNormal([n, n], { seed: 2, dtype }));
  const key = `gemm-${dtype}-${n}`;
  const T = dtype === 'float32' ? Float32Array : Float64Array;
  writeNpy(join(dir, `${key}-a.npy`), T.from(a.dataSync()), [n, n]);
  writeNpy(join(dir, `${key}-b.npy`), T.from(b.dataSync()), [n, n]);
  for (const peer of peers) await peer.request('gemm', { key, a: join(dir, `${key}-a.npy`), b: join(dir, `${key}-b.npy`) });
  return {
    workload: 'W-GEMM', key, dtype, size: `n=${n}`, flops: 2 * n ** 3,
    quantities: [{
      name: dtype === 'float32' ? 'SGEMM' : 'DGEMM', ours: '`c.matmul` (product left in backend memory)', peer: '`torch.mm`',
      peerQuantity: 'product', run: () => c.tidy(() => { c.matmul(a, b); }), result: () => c.tidy(() => f64(c.matmul(a, b))),
    }],
    dispose: () => { c.dispose([a, b]); for (const peer of peers) void peer.request('drop', { key }).catch(() => undefined); },
  };
}

export async function whvpCase(peers: readonly TorchPeer[], dir: string, batch: number): Promise<VsCase> {
  const p = whvpProblem(batch);
  const key = `whvp-${batch}`;
  const file = (name: string) => join(dir, `${key}-${name}.npy`);
  writeNpy(file('theta'), Float32Array.from(p.theta.dataSync()));
  writeNpy(file('x'), Float32Array.from(p.data.x.dataSync()), [batch, 784]);
  writeNpy(file('y'), Int32Array.from(p.data.y.dataSync()));
  writeNpy(file('v'), Float32Array.from(p.v.dataSync()));
  for (const peer of peers) await peer.request('mlp', { key, theta: file('theta'), x: file('x'), y: file('y'), v: file('v') });
  const loss = (t: c.Tensor) => p.objective.dataLoss(t, p.data);
  const grad = () => c.grad(loss, p.theta);
  const hvp = () => c.hvp(loss, p.theta, p.v);
  const gn = () => c.gnvp((t) => p.model.apply(t, p.data.x), (z) => c.crossEntropy(z, p.data.y), p.theta, p.v);
  const q = (name: string, ours: string, peerHow: string, peerQuantity: string, fn: () => c.Tensor): Quantity => ({
    name, ours, peer: peerHow, peerQuantity, run: () => c.tidy(() => { fn().dataSync(); }), result: () => c.tidy(() => f64(fn())),
  });
  return {
    workload: 'W-HVP', key, dtype: 'float32', size: `B=${batch}`,
    quantities: [
      q('gradient', '`c.grad`', '`torch.autograd.grad`', 'gradient', grad),
      q('HVP', '`c.hvp` (forward-over-reverse)', 'double backward (reverse-over-reverse)', 'hvp', hvp),
      q('Gauss-Newton product', '`c.gnvp`', 'double-backward trick (J v from a vjp of a dummy cotangent, Jᵀ H_z J v)', 'gn', gn),
    ],
    dispose: () => { c.dispose([p.theta, p.data.x, p.data.y, p.v]); for (const peer of peers) void peer.request('drop', { key }).catch(() => undefined); },
  };
}

/** Reads the peer's result of one quantity (saved as .npy into dir). */
export async function peerResult(peer: TorchPeer, dir: string, key: string, quantity: string): Promise<string> {
  const out = join(dir, `${key}-${quantity}-peer${peer.threads}.npy`);
  await peer.request('save', { key, quantity, out });
  return out;
}
