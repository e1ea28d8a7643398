#!/usr/bin/python3
"""PyTorch CPU peer of the W-CNN bench (bench/cnn.ts): a long-lived process driven over stdin/stdout,
one JSON object per line each way (the protocol of bench/peers/torch_server.py), so that the bench
interleaves our calls with PyTorch's on the same θ, x, labels and v (.npy files).

  OPENBLAS_NUM_THREADS=N OMP_NUM_THREADS=N /usr/bin/python3 bench/peers/cnn_torch.py N

  cnn   {key, c1, c2, theta, x, y, v, wd}   Conv2d(1,c1,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(c1,c2,3,p=1)-ReLU-
                                            MaxPool2d(2)-Flatten-Linear(c2*49,10), mean cross-entropy
                                            + wd/2 ||theta||^2; theta and v flat in nn.Sequential's
                                            state_dict order (0.weight, 0.bias, 3.weight, 3.bias, 7.weight, 7.bias)
  save  {key, quantity, out}                one call's result written to out (.npy, flat)
  time  {key, quantity, min_ms}             calls until min_ms have passed: {"seconds", "cpu_seconds", "calls"}
  drop  {key}
Quantities: "gradient" (torch.autograd.grad of the objective), "hvp" (double backward, reverse-over-
reverse: grad with create_graph, <g, v>, grad again; forward-over-reverse, functorch.jvp of
functorch.grad, fails in torch 1.13: nll_loss_backward and _log_softmax_backward_data have no
forward-mode rule), "gn" (Gauss-Newton product of the objective:
J v by the double-backward trick, the cross-entropy Hessian at the logits by autograd, J^T, + wd v),
"per_example" (per-example gradients of the data loss, no weight decay: functorch.vmap(functorch.grad)).
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from peer_protocol import serve

try:
    import functorch
except Exception:  # noqa: BLE001
    functorch = None


def shapes(c1, c2):
    return [(c1, 1, 3, 3), (c1,), (c2, c1, 3, 3), (c2,), (10, c2 * 49), (10,)]


def split(flat, c1, c2):
    out, o = [], 0
    for s in shapes(c1, c2):
        n = int(np.prod(s))
        out.append(flat[o:o + n].reshape(s)); o += n
    assert o == flat.numel(), (o, flat.numel())
    return out


def logits_of(p, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3], padding=1)), 2)
    return F.linear(h.flatten(1), p[4], p[5])


def flat(ts):
    return torch.cat([t.reshape(-1) for t in ts])


class Cnn:
    def __init__(self, c1, c2, theta, x, y, v, wd):
        self.c1, self.c2, self.wd = c1, c2, wd
        self.params = [t.detach().clone().requires_grad_(True) for t in split(torch.from_numpy(theta), c1, c2)]
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y.astype(np.int64))
        self.v = [t.detach().clone() for t in split(torch.from_numpy(v), c1, c2)]

    def objective(self, params):
        reg = sum((p * p).sum() for p in params) * (self.wd / 2)
        return F.cross_entropy(logits_of(params, self.x), self.y) + reg

    def gradient(self):
        return flat(torch.autograd.grad(self.objective(self.params), self.params))

    def hvp(self):
        g = torch.autograd.grad(self.objective(self.params), self.params, create_graph=True)
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
        return flat(torch.autograd.grad(z, self.params, grad_outputs=hjv)) + self.wd * flat(self.v)

    def per_example(self):
        ps = tuple(p.detach() for p in self.params)

        def loss1(params, x, y):
            return F.cross_entropy(logits_of(list(params), x.unsqueeze(0)), y.unsqueeze(0))
        g = functorch.vmap(functorch.grad(loss1), in_dims=(None, 0, 0))(ps, self.x, self.y)
        return torch.cat([t.reshape(t.shape[0], -1) for t in g], 1)

    def run(self, quantity):
        return {'gradient': self.gradient, 'hvp': self.hvp, 'gn': self.gn, 'per_example': self.per_example}[quantity]()


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    serve({'cnn': lambda r: Cnn(r['c1'], r['c2'], np.load(r['theta']), np.load(r['x']), np.load(r['y']), np.load(r['v']), r['wd'])},
          {'label': f'PyTorch {torch.__version__} CPU', 'threads': torch.get_num_threads(),
           'functorch': getattr(functorch, '__version__', None)})


if __name__ == '__main__':
    main()
