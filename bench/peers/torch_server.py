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
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

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
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    cases = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    def handle(req):
        op = req['op']
        if op == 'gemm':
            cases[req['key']] = Gemm(np.load(req['a']), np.load(req['b']))
            return {}
        if op == 'mlp':
            cases[req['key']] = Mlp(np.load(req['theta']), np.load(req['x']), np.load(req['y']), np.load(req['v']))
            return {}
        if op == 'save':
            r = cases[req['key']].run(req['quantity'])
            np.save(req['out'], np.ascontiguousarray(r.detach().reshape(-1).numpy()))
            return {}
        if op == 'time':
            case, q, limit = cases[req['key']], req['quantity'], req['min_ms'] / 1000
            calls, c0, t0 = 0, time.process_time(), time.perf_counter()
            while True:
                case.run(q)
                calls += 1
                t = time.perf_counter() - t0
                if t >= limit:
                    return {'seconds': t / calls, 'cpu_seconds': (time.process_time() - c0) / calls, 'calls': calls}
        if op == 'drop':
            cases.pop(req['key'], None)
            return {}
        raise ValueError(f'unknown op {op!r}')

    reply({'ready': True, 'label': f'PyTorch {torch.__version__} CPU', 'threads': torch.get_num_threads(),
           'numpy': np.__version__, 'parallel': torch.__config__.parallel_info().strip().splitlines()[0][:200]})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            reply({'id': req.get('id'), 'ok': True, **handle(req)})
        except Exception as e:  # noqa: BLE001 — every failure goes back to the bench as a reply
            reply({'id': req.get('id'), 'ok': False, 'error': f'{type(e).__name__}: {e}'})


if __name__ == '__main__':
    main()
