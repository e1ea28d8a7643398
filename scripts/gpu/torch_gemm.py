"""cuBLAS GEMM throughput through PyTorch, the reference for scripts/gpu/bench-gemm.mjs (same sizes,
keys and timing: warm-ups, then the mean over `reps` products between CUDA events). TF32 is off so
float32 products are true SGEMM. Prints JSON: { device, torch, results: { "f32 NN 4096": { ms, gflops } } }."""
import json

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
dev = torch.device("cuda")
results = {}


def time(dtype, n, ta, tb, reps):
    a = torch.rand(n, n, device=dev, dtype=dtype) - 0.5
    b = torch.rand(n, n, device=dev, dtype=dtype) - 0.5
    A = a.t() if ta else a
    B = b.t() if tb else b
    c = torch.empty(n, n, device=dev, dtype=dtype)
    for _ in range(2):
        torch.matmul(A, B, out=c)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        torch.matmul(A, B, out=c)
    end.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(end) / reps
    key = f"{'f32' if dtype == torch.float32 else 'f64'} {'T' if ta else 'N'}{'T' if tb else 'N'} {n}"
    results[key] = {"ms": round(ms, 4), "gflops": round(2 * n**3 / (ms * 1e6), 1)}


for n in (1024, 2048, 4096):
    time(torch.float32, n, False, False, 10 if n >= 4096 else 20)
for ta, tb in ((True, False), (False, True), (True, True)):
    time(torch.float32, 4096, ta, tb, 5)
for n in (1024, 4096):
    time(torch.float64, n, False, False, 3 if n >= 4096 else 10)
# A K-FAC factor: AᵀA of a 65536×512 activation matrix.
a = torch.rand(65536, 512, device=dev) - 0.5
c = torch.empty(512, 512, device=dev)
for _ in range(2):
    torch.matmul(a.t(), a, out=c)
torch.cuda.synchronize()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(10):
    torch.matmul(a.t(), a, out=c)
end.record()
torch.cuda.synchronize()
ms = start.elapsed_time(end) / 10
results["f32 TN 512x512x65536"] = {"ms": round(ms, 4), "gflops": round(2 * 512 * 512 * 65536 / (ms * 1e6), 1)}
print(json.dumps({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "results": results}, indent=1))
