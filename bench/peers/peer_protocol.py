"""The line protocol of the PyTorch peers (torch_server.py, cnn_torch.py): one JSON object per line
each way over stdin/stdout. `serve` prints the ready line, then answers every request with exactly
one reply {"id": k, "ok": true, ...} or {"id": k, "ok": false, "error": "..."}. Each peer names the
ops that build its cases ({key, ...} → an object with run(quantity) returning a tensor); the ops
every peer shares are handled here:

  save   {key, quantity, out}     one call's result written to out (.npy, flat)
  time   {key, quantity, min_ms}  calls until min_ms have passed (at least one):
                                  {"seconds": wall per call, "cpu_seconds": process CPU per call, "calls": k}
  drop   {key}
"""
import json
import sys
import time

import numpy as np


def serve(builders, ready):
    """Answers requests until stdin closes; builders: op name → function(request) → case."""
    cases = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()

    def handle(req):
        op = req['op']
        if op in builders:
            cases[req['key']] = builders[op](req)
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

    reply({'ready': True, **ready})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            reply({'id': req.get('id'), 'ok': True, **handle(req)})
        except Exception as e:  # noqa: BLE001 — every failure goes back to the bench as a reply
            reply({'id': req.get('id'), 'ok': False, 'error': f'{type(e).__name__}: {e}'})
