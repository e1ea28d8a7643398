#!/usr/bin/python3
"""W-EKFAC peer (../shared/WORKLOADS.md): the EK-FAC stages of bench/ekfac.ts in PyTorch CPU.

Same problem as ours: MLP 784 -> 128 -> tanh -> 128 -> tanh -> 10, cross-entropy, theta read
from the file bench/ekfac.ts wrote (flat, our layout = torch.nn.Sequential's state_dict order),
Fashion-MNIST read from the same idx files and scaled the same way ((u8 / 255) in float64, then
rounded to the working dtype). Stages, with the conventions of notes/kfac-spec.md:

  covariances      A_l = (1/N) sum_n a~ a~^T, G_l = (1/N) sum_n sum_k d_nk d_nk^T, d_nk the backward
                   pass of column k of the output-Hessian square root c_k = sqrt(p_k)(e_k - p)
  eigen            torch.linalg.eigh of every A_l and G_l
  corrections      Lambda_l = (1/N) sum_n (sum_k (Q_G^T d_nk)^2) (Q_A^T a~_n)^2^T
  scoring          -grad l(z_test)^T (K + damping)^-1 grad l(z_train) for every pair, from the
                   layer inputs and output gradients (no per-example gradient matrix)

Backward passes are written out as matmuls (no autograd): the same GEMMs an implementation with
hooks runs, without its bookkeeping. One thread (torch.set_num_threads(1)) unless --threads.

  python3 bench/peers/ekfac_torch.py --dir DIR --n 60000 --test 100 --batch 1024 --damping 0.1
          [--dtype float32|float64] [--threads 1] [--save]      (prints one JSON object)

DIR holds theta.bin (raw little-endian, the working dtype); with --save the peer writes its A, G,
eigenvalues, corrections and scores there as raw .bin files for bench/ekfac.ts's check.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch

WIDTHS = [784, 128, 128, 10]
FASHION = '/usr/share/datasets/fashion-mnist'


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split, n, dtype):
    prefix = 'train' if split == 'train' else 't10k'
    x = read_idx(os.path.join(FASHION, f'{prefix}-images-idx3-ubyte.gz'))[:n].reshape(n, 784)
    y = read_idx(os.path.join(FASHION, f'{prefix}-labels-idx1-ubyte.gz'))[:n]
    x = (x.astype(np.float64) / 255).astype(dtype)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))


def layers_of(theta):
    out, o = [], 0
    for i in range(len(WIDTHS) - 1):
        fan_in, fan_out = WIDTHS[i], WIDTHS[i + 1]
        w = theta[o:o + fan_out * fan_in].reshape(fan_out, fan_in); o += fan_out * fan_in
        b = theta[o:o + fan_out]; o += fan_out
        out.append((w, b))
    assert o == theta.numel()
    return out


def forward(layers, x):
    """Homogeneous layer inputs a~ = [a, 1] of every layer, the hidden activations and the logits."""
    inputs, hidden, h = [], [], x
    ones = torch.ones(x.shape[0], 1, dtype=x.dtype)
    for i, (w, b) in enumerate(layers):
        inputs.append(torch.cat([h, ones], 1))
        z = torch.addmm(b, h, w.t())
        if i + 1 < len(layers):
            h = torch.tanh(z)
            hidden.append(h)
        else:
            logits = z
    return inputs, hidden, logits


def backward(layers, hidden, d):
    """Layer-output gradients of every layer for output cotangents d [..., n, 10] (any leading dims)."""
    deltas = [d]
    for i in range(len(layers) - 1, 0, -1):
        w, _ = layers[i]
        d = torch.matmul(d, w) * (1 - hidden[i - 1] ** 2)
        deltas.append(d)
    return deltas[::-1]


def sqrt_columns(logits):
    """c_k = sqrt(p_k)(e_k - p), as [C, n, C]."""
    p = torch.softmax(logits, 1)
    eye = torch.eye(p.shape[1], dtype=p.dtype)
    return p.t().sqrt()[:, :, None] * (eye[:, None, :] - p[None, :, :])


def covariances(layers, x, batch):
    n = x.shape[0]
    A = [torch.zeros(w.shape[1] + 1, w.shape[1] + 1, dtype=x.dtype) for w, _ in layers]
    G = [torch.zeros(w.shape[0], w.shape[0], dtype=x.dtype) for w, _ in layers]
    for s in range(0, n, batch):
        inputs, hidden, logits = forward(layers, x[s:s + batch])
        deltas = backward(layers, hidden, sqrt_columns(logits))
        for l, (a, d) in enumerate(zip(inputs, deltas)):
            A[l].addmm_(a.t(), a)
            d2 = d.reshape(-1, d.shape[-1])
            G[l].addmm_(d2.t(), d2)
    return [a / n for a in A], [g / n for g in G]


def corrections(layers, x, batch, eig):
    n = x.shape[0]
    lam = [torch.zeros(w.shape[0], w.shape[1] + 1, dtype=x.dtype) for w, _ in layers]
    for s in range(0, n, batch):
        inputs, hidden, logits = forward(layers, x[s:s + batch])
        deltas = backward(layers, hidden, sqrt_columns(logits))
        for l, (a, d) in enumerate(zip(inputs, deltas)):
            (_, qa), (_, qg) = eig[l]
            ap = a @ qa                                           # [n, inDim]
            dp = torch.matmul(d, qg)                              # [C, n, out]
            lam[l].addmm_((dp * dp).sum(0).t(), ap * ap)          # [out, n] x [n, inDim]
    return [m / n for m in lam]


def loss_deltas(layers, x, y):
    inputs, hidden, logits = forward(layers, x)
    d = torch.softmax(logits, 1)
    d[torch.arange(x.shape[0]), y] -= 1                          # d l / d z per example
    return inputs, backward(layers, hidden, d)


def score(layers, eig, lam, damping, xt, yt, x, y, batch):
    # s_test per layer: Q_G [(Q_G^T G_i Q_A) / (Lambda + damping)] Q_A^T, G_i = d_i a~_i^T.
    inputs, deltas = loss_deltas(layers, xt, yt)
    s = []
    for l, (a, d) in enumerate(zip(inputs, deltas)):
        (_, qa), (_, qg) = eig[l]
        g = d[:, :, None] * a[:, None, :]                         # [T, out, inDim]
        m = torch.matmul(torch.matmul(qg.t(), g), qa) / (lam[l] + damping)
        s.append(torch.matmul(torch.matmul(qg, m), qa.t()))
    t = xt.shape[0]
    scores = torch.empty(t, x.shape[0], dtype=x.dtype)
    for st in range(0, x.shape[0], batch):
        inputs, deltas = loss_deltas(layers, x[st:st + batch], y[st:st + batch])
        acc = None
        for l, (a, d) in enumerate(zip(inputs, deltas)):
            out = d.shape[1]
            u = (s[l].reshape(t * out, -1) @ a.t()).reshape(t, out, -1)   # [T, out, n]
            part = (u * d.t()[None]).sum(1)
            acc = part if acc is None else acc + part
        scores[:, st:st + batch] = -acc
    return scores


def gemm_rate(dtype, n=1024, seconds=2.0):
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    ts, start = [], time.perf_counter()
    while len(ts) < 5 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
    return 2 * n ** 3 / sorted(ts)[len(ts) // 2] / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--n', type=int, default=60000)
    ap.add_argument('--test', type=int, default=100)
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--damping', type=float, default=0.1)
    ap.add_argument('--dtype', default='float32', choices=['float32', 'float64'])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--save', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.dtype == 'float32' else torch.float64
    npd = np.float32 if args.dtype == 'float32' else np.float64
    theta = torch.from_numpy(np.fromfile(os.path.join(args.dir, 'theta.bin'), dtype=npd))
    layers = layers_of(theta)
    x, y = load('train', args.n, npd)
    xt, yt = load('test', args.test, npd)

    # Warm-up on a small slice (allocator, OpenBLAS buffers), then the GEMM rate of this process.
    w = x[:2 * args.batch]
    A, G = covariances(layers, w, args.batch)
    eig = [(torch.linalg.eigh(a), torch.linalg.eigh(g)) for a, g in zip(A, G)]
    score(layers, eig, corrections(layers, w, args.batch, eig), args.damping, xt[:4], yt[:4], w, y[:2 * args.batch], args.batch)
    rate = gemm_rate(dtype)

    t = {}
    t0 = time.perf_counter(); A, G = covariances(layers, x, args.batch); t['covariances'] = time.perf_counter() - t0
    t0 = time.perf_counter(); eig = [(torch.linalg.eigh(a), torch.linalg.eigh(g)) for a, g in zip(A, G)]; t['eigendecompositions'] = time.perf_counter() - t0
    t0 = time.perf_counter(); lam = corrections(layers, x, args.batch, eig); t['corrections'] = time.perf_counter() - t0
    t0 = time.perf_counter(); scores = score(layers, eig, lam, args.damping, xt, yt, x, y, args.batch); t['scoring'] = time.perf_counter() - t0

    if args.save:
        for l in range(len(layers)):
            (la, _), (lg, _) = eig[l]
            for name, v in [('A', A[l]), ('G', G[l]), ('lambdaA', la), ('lambdaG', lg), ('corrections', lam[l])]:
                v.contiguous().numpy().tofile(os.path.join(args.dir, f'peer-{name}{l}.bin'))
        scores.numpy().tofile(os.path.join(args.dir, 'peer-scores.bin'))
    print(json.dumps({
        'label': f'PyTorch {torch.__version__} CPU, {torch.get_num_threads()} thread(s)',
        'threads': torch.get_num_threads(), 'dtype': args.dtype, 'gemmGflops': rate, 'gemmN': 1024,
        'seconds': t, 'n': args.n, 'test': args.test, 'batch': args.batch,
        'config': torch.__config__.show().strip().splitlines()[-1][:300],
    }))


if __name__ == '__main__':
    main()
