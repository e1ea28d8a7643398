#!/usr/bin/env bash
# Run THERE (the GPU machine: nvcc, PyTorch, compute-sanitizer, no Node.js), from the repository
# root, after scripts/gpu/pack.sh filled .gpu/ here and the device tool carried it:
#   bash scripts/gpu/run.sh
# Writes at most 8 files into $OUT (the device tool brings them back): summary.log (the verdicts),
# info.json (device + backend), cuda-tests.log, conformance.log, memcheck.log, bench.json.
# Budget ≤ 7.5 minutes: each stage has its own timeout (tests 100 s, bench 90 s, conformance 150 s,
# memcheck 100 s); a stage that runs out is reported, not fatal. Run it with timeout_s 480.
set -uo pipefail
OUT="${OUT:-/tmp/curvature-gpu-out}"
mkdir -p "$OUT"
ROOT="$(pwd)"
T0=$(date +%s)
stage() { echo "== $(($(date +%s) - T0))s: $*" | tee -a "$OUT/summary.txt"; }

stage "unpack node and the payload"
mkdir -p /tmp/cvnode
xz -dc .gpu/node.xz > /tmp/cvnode/node && chmod +x /tmp/cvnode/node
export PATH="/tmp/cvnode:$PATH"
tar -xJf .gpu/payload.tar.xz
node --version | tee -a "$OUT/summary.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$OUT/summary.txt"

export CURVATURE_CUDA_PATH="$ROOT/build/cuda/Release/curvature_cuda.node"
UVU="node $ROOT/node_modules/uvu/bin.js"

stage "device info through the backend"
timeout 60 node --input-type=module -e "
  const c = await import('$ROOT/dist/src/index.js');
  const b = c.getBackend();
  const out = { defaultBackend: b.name, info: b.info ? b.info() : null };
  try { c.setBackend('cuda'); out.cuda = 'ok'; } catch (e) { out.cuda = String(e.message); }
  console.log(JSON.stringify(out, null, 1));" > "$OUT/info.json" 2>&1
cat "$OUT/info.json"

stage "the cuda backend's own tests (loader + kernels vs the js reference)"
timeout 100 $UVU dist/test/backend/cuda '\.test\.js$' > "$OUT/cuda-tests.log" 2>&1
echo "cuda tests exit $?" | tee -a "$OUT/summary.txt"
sed -r 's/\x1b\[[0-9;]*m//g' "$OUT/cuda-tests.log" | grep -E "Total|Passed|Skipped|FAIL|skipped:" | cut -c1-240 | head -24 | tee -a "$OUT/summary.txt"

stage "GEMM benchmark: this backend vs PyTorch (cuBLAS, TF32 off)"
timeout 50 node scripts/gpu/bench-gemm.mjs > /tmp/cv-bench-ours.json 2> /tmp/cv-bench-ours.err
timeout 40 python3 scripts/gpu/torch_gemm.py > /tmp/cv-bench-torch.json 2> /tmp/cv-bench-torch.err
python3 - "$OUT/bench.json" <<'PY'
import json, sys
def load(p):
    try:
        return json.load(open(p))
    except Exception as e:
        return {"error": str(e), "stderr": open(p.replace('.json', '.err')).read()[-2000:]}
ours, torch = load('/tmp/cv-bench-ours.json'), load('/tmp/cv-bench-torch.json')
ratio = {}
for key, r in (ours.get('results') or {}).items():
    t = (torch.get('results') or {}).get(key)
    if t and r.get('gflops') and t.get('gflops'):
        ratio[key] = round(r['gflops'] / t['gflops'], 3)
json.dump({"curvature_cuda": ours, "torch_cublas": torch, "ratio_to_cublas": ratio}, open(sys.argv[1], 'w'), indent=1)
print(json.dumps(ratio))
PY
cat "$OUT/bench.json" | head -60

stage "conformance: every test file, the cuda backend selected (default and CURVATURE_BACKENDS=cuda), 8 at a time"
export CURVATURE_BACKENDS=cuda
# Backend and tensor tests first, so that they finish inside the budget.
# CV_ONLY=<regex> restricts the files (debugging); the default is every test file.
find dist/test -name '*.test.js' | grep -E "${CV_ONLY:-.}" | sort | awk '{p = ($0 ~ /test\/(backend|tensor|autodiff|linalg)\//) ? 0 : 1; print p "\t" $0}' | sort -s -k1,1 | cut -f2 > /tmp/cv-files
cat > /tmp/cv-one.sh <<'ONE'
#!/usr/bin/env bash
f="$1"; log="/tmp/cv-logs/$(echo "$f" | tr '/' '_').log"
start=$(date +%s)
timeout 90 node "$ROOT/node_modules/uvu/bin.js" "$(dirname "$f")" "^$(basename "$f" | sed 's/\./\\./g')\$" > "$log" 2>&1
rc=$?
strip() { sed -r 's/\x1b\[[0-9;]*m//g'; }
passed=$(strip < "$log" | awk '/Passed:/ {print $2}' | tail -1)
skipped=$(strip < "$log" | awk '/Skipped:/ {print $2}' | tail -1)
total=$(strip < "$log" | awk '/Total:/ {print $2}' | tail -1)
printf '%s\t%s\ttotal=%s\tpassed=%s\tskipped=%s\t%ss\n' "$rc" "$f" "${total:-?}" "${passed:-?}" "${skipped:-?}" "$(( $(date +%s) - start ))"
ONE
chmod +x /tmp/cv-one.sh
mkdir -p /tmp/cv-logs
export ROOT
timeout 150 xargs -P 8 -n 1 /tmp/cv-one.sh < /tmp/cv-files > /tmp/cv-results.tsv
{
  echo "# per file: exit code, file, counts, seconds (exit 124 = ran past 90 s)"
  sort /tmp/cv-results.tsv
  echo "# files not reached in the budget:"
  comm -23 <(sort /tmp/cv-files) <(cut -f2 /tmp/cv-results.tsv | sort)
  echo "# logs of failing files:"
  awk -F'\t' '$1 != 0 {print $2}' /tmp/cv-results.tsv | while read -r f; do
    echo "---- $f"; sed -r 's/\x1b\[[0-9;]*m//g' "/tmp/cv-logs/$(echo "$f" | tr '/' '_').log" | grep -v '^\s*$' | tail -60
  done
} > "$OUT/conformance.log"
ok=$(awk -F'\t' '$1 == 0' /tmp/cv-results.tsv | wc -l); bad=$(awk -F'\t' '$1 != 0' /tmp/cv-results.tsv | wc -l)
empty=$(awk -F'\t' '$3 == "total=0"' /tmp/cv-results.tsv | wc -l)
echo "conformance: $ok files passed, $bad failed, of $(wc -l < /tmp/cv-files); $empty ran no test (every backend skipped?)" | tee -a "$OUT/summary.txt"
unset CURVATURE_BACKENDS

stage "compute-sanitizer memcheck on the cuda kernel tests"
if command -v compute-sanitizer >/dev/null; then
  # --print-limit: a broken kernel's thousands of reports would make the log too big to come back.
  timeout 100 compute-sanitizer --tool memcheck --leak-check no --target-processes all --print-limit 30 \
    node "$ROOT/node_modules/uvu/bin.js" dist/test/backend/cuda 'kernels\.test\.js$' > /tmp/cv-memcheck.log 2>&1
  echo "memcheck exit $?" | tee -a "$OUT/summary.txt"
  tail -c 4000000 /tmp/cv-memcheck.log > "$OUT/memcheck.log"
  grep -E "ERROR SUMMARY|Total|Passed" "$OUT/memcheck.log" | sed -r 's/\x1b\[[0-9;]*m//g' | tee -a "$OUT/summary.txt"
else
  echo "compute-sanitizer not found" | tee -a "$OUT/summary.txt"
fi

stage "done"
cp "$OUT/summary.txt" "$OUT/summary.log"
rm -f "$OUT/summary.txt"
