#!/usr/bin/python3
"""PyTorch CPU peer of `npm run bench` (bench/vs-torch.ts): a long-lived process driven over
stdin/stdout, one JSON object per line each way, so that the bench can interleave our calls with
PyTorch's on the same problems (W-GEMM and W-HVP of ../shared/WORKLOADS.md).

  OPENBLAS_NUM_THREADS=N /usr/bin/python3 bench/peers/torch_server.py N

On start it prints {"ready": true, "label": ..., "threads": ...}; then for each request line
{"id": k, "op": ..., ...} exactly one reply line {"id": k, "ok": true, ...} or
{"id": k, "ok": false, "error": "..."}. Inputs and results travel as .npy files (paths in the
requests); timing is done here with time.perf_counter, so the pipe's latency is not in it.

  gemm   {key, a, b}                        C = A @ B (torch.mm), dtype from the files
  mlp    {key, theta, x, y, v}              the W-HVP MLP 784-128 tanh-128 tanh-10, mean cross-entropy;
                                            theta and v flat in our layout (= nn.Sequential's
                                            state_dict order: W1 [128, 784], b1, W2, b2, W3, b3)
  save   {key, quantity, out}               one call's result written to out (.npy, flat)
  time   {key, quantity, min_ms}            calls until min_ms have passed (at least one):
                                            {"seconds": wall per call,
                                            "cpu_seconds": process CPU per call, "calls": k}
  drop   {key}
Quantities: gemm: "product"; mlp: "gradient", "hvp" (reverse-over-reverse: double backward),
"gn" (Gauss-Newton product by the double-backward trick: J v from the vjp of a dummy cotangent,
the loss Hessian by autograd at the logits, then J^T).
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from peer_protocol import serve

WIDTHS = [784, 128, 128, 10]


def split(flat):
    out, o = [], 0
    for i in range(len(WIDTHS) - 1):
        fan_in, fan_out = WIDTHS[i], WIDTHS[i + 1]
        out.append(flat[o:o + fan_out * fan_in].reshape(fan_out, fan_in)); o += fan_out * fan_in
        out.append(flat[o:o + fan_out]); o += fan_out
    assert o == flat.numel(), (o, flat.numel())
    return out


def logits_of(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = F.linear(h, params[i], params[i + 1])
        if i + 2 < len(params):
            h = torch.tanh(h)
    return h


def flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


class Mlp:
    def __init__(self, theta, x, y, v):
        self.params = [p.detach().clone().requires_grad_(True) for p in split(torch.from_numpy(theta))]
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y.astype(np.int64))
        self.v = [t.detach().clone() for t in split(torch.from_numpy(v))]

    def gradient(self):
        loss = F.cross_entropy(logits_of(self.params, self.x), self.y)
        return flat(torch.autograd.grad(loss, self.params))

    def hvp(self):
        loss = F.cross_entropy(logits_of(self.params, self.x), self.y)
        g = torch.autograd.grad(loss, self.params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, self.v))
        return flat(torch.autograd.grad(dot, self.params))

    def gn(self):
        z = logits_of(self.params, self.x)
        u = torch.zeros_like(z, requires_grad=True)
        jtu = torch.autograd.grad(z, self.params, grad_outputs=u, create_graph=True)
        jv = torch.autograd.grad(jtu, u, grad_outputs=self.v)[0]
        zd = z.detach().requires_grad_(True)
        gz = torch.autograd.grad(F.cross_entropy(zd, self.y), zd, create_graph=True)[0]
        hjv = torch.autograd.grad(gz, zd, grad_outputs=jv)[0]
        return flat(torch.autograd.grad(z, self.params, grad_outputs=hjv))

    def run(self, quantity):
        return {'gradient': self.gradient, 'hvp': self.hvp, 'gn': self.gn}[quantity]()


class Gemm:
    def __init__(self, a, b):
        self.a, self.b = torch.from_numpy(a), torch.from_numpy(b)

    def run(self, quantity):
        assert quantity == 'product', quantity
        return torch.mm(self.a, self.b)


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    serve({'gemm': lambda r: Gemm(np.load(r['a']), np.load(r['b'])),
           'mlp': lambda r: Mlp(np.load(r['theta']), np.load(r['x']), np.load(r['y']), np.load(r['v']))},
          {'label': f'PyTorch {torch.__version__} CPU', 'threads': torch.get_num_threads(),
           'numpy': np.__version__, 'parallel': torch.__config__.parallel_info().strip().splitlines()[0][:200]})


if __name__ == '__main__':
    main()
