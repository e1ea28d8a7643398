import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../src/index.js';
import { ekfacFlops } from './ekfac-floor.js';
import { STAGES, runOurs, type OursRun, type Stage } from './ekfac-ours.js';
import { ekfacProblem, head, WIDTHS, writeTheta } from './ekfac-problem.js';
import { peerArray, peerUnavailable, runPeer, type PeerRun } from './ekfac-peer.js';
import { renderEkfac, spliceEkfac, type EkfacRun } from './ekfac-report.js';
import { describeMachine } from './machine.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';
import { measure, reason, relDiff } from './measure.js';

/**
 * W-EKFAC (../shared/WORKLOADS.md, issue 12): the EK-FAC fit of the W-HVP MLP on all 60,000
 * Fashion-MNIST training images, stage by stage (covariances, eigendecompositions, eigenvalue
 * corrections), and the time to score 100 test points against all 60,000 training points — ours
 * on the wasm backend and PyTorch CPU (bench/peers/ekfac_torch.py) in the same run, each stage
 * beside its FLOP floor (bench/ekfac-floor.ts) at the GEMM rate measured in this run. Writes
 * bench/ekfac.json (one run per dtype and thread count; a run keeps the others) and the W-EKFAC
 * section of bench/RESULTS.md (re-rendered whole from the JSON files: bench/results-md.ts).
 *
 *   npm run bench:ekfac                         full run, float32, 1 thread (several minutes)
 *   npm run bench:ekfac -- --dtype float64      the float64 run (kept beside the float32 one)
 *   npm run bench:ekfac -- --quick              4,096 training × 10 test points: a smoke run whose
 *                                               report goes to a temporary folder (printed)
 *   other flags: --n N --test T --threads K (wasm or native threads; the peer gets as many) --rounds R
 *                (ours and the peer alternately, R times; medians) --damping λ --batch B --no-peer
 *   --render: re-render bench/RESULTS.md from the JSON files without measuring (report layout changes)
 */
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const n = Number(flag('--n') ?? (quick ? 4096 : 60000));
const test = Number(flag('--test') ?? (quick ? 10 : 100));
const dtypes = (flag('--dtype') ?? 'float32').split(',') as c.FloatDType[];
const threads = Number(flag('--threads') ?? 1);
const rounds = Number(flag('--rounds') ?? 1);
const damping = Number(flag('--damping') ?? 0.1);
const batchSize = Number(flag('--batch') ?? 1024);
// The backend: --backend NAME, else the default selection (the fastest that loads: native, wasm, js).
const backend = flag('--backend') ?? c.getBackend().name;
const WARM = 2048;
const GEMM_N = 1024;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (args.includes('--render')) {
  // Re-render bench/RESULTS.md (whole, bench/results-md.ts) from the JSON files, measuring nothing.
  console.log(`re-rendered ${writeResultsMd(BENCH_DIR)} from the JSON files beside it`);
  process.exit(0);
}
const outDir = quick ? mkdtempSync(join(tmpdir(), 'curvature-ekfac-')) : join(root, 'bench');
const work = mkdtempSync(join(tmpdir(), 'curvature-ekfac-peer-'));
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const medians = (rs: Record<Stage, number>[]): Record<Stage, number> => Object.fromEntries(STAGES.map((s) => [s, median(rs.map((r) => r[s]))])) as Record<Stage, number>;

c.setBackend(backend);
if (backend === 'wasm') c.setWasmThreads(threads);
else if (backend === 'native') c.setNativeThreads(threads);
else if (threads !== 1) throw new Error(`--threads ${threads}: the ${backend} backend has no thread pool`);

function gemmRate(dtype: c.FloatDType): number {
  const a = c.keep(c.randomNormal([GEMM_N, GEMM_N], { seed: 1, dtype })), b = c.keep(c.randomNormal([GEMM_N, GEMM_N], { seed: 2, dtype }));
  try {
    const m = measure(() => c.tidy(() => { c.matmul(a, b); }), 2);
    return (2 * GEMM_N ** 3) / (m.medianMs * 1e6);
  } finally {
    c.dispose([a, b]);
  }
}

/**
 * A short GEMM-rate sample (GFLOP/s) to bracket each stage with (runOurs' probe): the median of
 * five square products after one untimed, ≈ 0.1 s — short enough to sit next to the stage it prices.
 */
function gemmProbe(dtype: c.FloatDType): { probe: () => number; dispose: () => void } {
  const a = c.keep(c.randomNormal([GEMM_N, GEMM_N], { seed: 3, dtype })), b = c.keep(c.randomNormal([GEMM_N, GEMM_N], { seed: 4, dtype }));
  const probe = (): number => {
    const ms: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      c.tidy(() => { c.matmul(a, b); });  // synchronous on every backend; no read-back in the timing
      if (i > 0) ms.push(performance.now() - t0);
    }
    return (2 * GEMM_N ** 3) / (median(ms) * 1e6);
  };
  return { probe, dispose: () => c.dispose([a, b]) };
}

/** Ours against the peer's saved arrays (the last round of each). */
function checks(ours: OursRun, dtype: string): EkfacRun['checks'] {
  const out: EkfacRun['checks'] = [];
  const clip = (a: Float64Array): Float64Array => a.map((v) => Math.max(v, 0));
  const total = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);
  ours.layers.forEach((l, i) => {
    const p = (name: string) => peerArray(work, `${name}${i}`, dtype);
    out.push({ quantity: `layer ${i + 1}: A, ‖peer − ours‖/‖ours‖`, value: relDiff(p('A'), l.A) });
    out.push({ quantity: `layer ${i + 1}: G, ‖peer − ours‖/‖ours‖`, value: relDiff(p('G'), l.G) });
    out.push({ quantity: `layer ${i + 1}: eigenvalues of A and G (ascending, clipped at 0), rel. diff`, value: relDiff([...clip(p('lambdaA')), ...clip(p('lambdaG'))], [...l.lambdaA, ...l.lambdaG]) });
    out.push({ quantity: `layer ${i + 1}: corrections Λ, ‖peer − ours‖/‖ours‖`, value: relDiff(p('corrections'), l.corrections),
      note: 'depends on the eigenvectors chosen inside (near-)degenerate eigenspaces' });
    out.push({ quantity: `layer ${i + 1}: ΣΛ (basis-independent: (1/N)Σ‖δ‖²‖ã‖²), rel. diff`, value: Math.abs(total(p('corrections')) - total(l.corrections)) / Math.abs(total(l.corrections)) });
  });
  const s = peerArray(work, 'scores', dtype);
  out.push({ quantity: `influence scores [${test} × ${n}]: Pearson(peer, ours)`, value: c.pearson(s, ours.scores) });
  out.push({ quantity: 'influence scores: Spearman of the first test point\'s row', value: c.spearman(s.subarray(0, n), ours.scores.subarray(0, n)) });
  out.push({ quantity: 'influence scores: ‖peer − ours‖/‖ours‖', value: relDiff(s, ours.scores) });
  return out;
}

const why = args.includes('--no-peer') ? 'disabled by --no-peer' : peerUnavailable();
const runs: EkfacRun[] = [];
for (const dtype of dtypes) {
  const machine = describeMachine();
  const cpu0 = process.cpuUsage(), wall0 = performance.now();
  const p = ekfacProblem(n, test, dtype);
  writeTheta(p, work);
  // Warm-up: V8 tiers up the wasm module and the JS around it in the first calls.
  const wTrain = head(p.train, Math.min(WARM, n)), wTest = head(p.test, Math.min(4, test));
  runOurs(p, wTrain, wTest, batchSize, damping);
  c.dispose([wTrain.x, wTrain.y, wTest.x, wTest.y].filter((t) => t !== p.train.x && t !== p.train.y && t !== p.test.x && t !== p.test.y));
  const before = gemmRate(dtype);
  console.log(`[ekfac] ${dtype}: ours GEMM n=${GEMM_N}: ${before.toFixed(1)} GFLOP/s (${threads} thread(s))`);
  const oursRounds: OursRun[] = [], peerRounds: PeerRun[] = [];
  // Each of our rounds between two GEMM-rate samples: on this shared VM the rate drifts by ±30 %
  // within minutes, and a floor from a sample taken far from the stages misstates their ratio.
  const roundRates: { before: number; after: number }[] = [];
  const probe = gemmProbe(dtype);
  let peerReason = why ?? undefined;
  for (let r = 0; r < rounds; r++) {
    const rateBefore = gemmRate(dtype);
    const o = runOurs(p, p.train, p.test, batchSize, damping, probe.probe);
    roundRates.push({ before: rateBefore, after: gemmRate(dtype) });
    oursRounds.push(o);
    console.log(`[ekfac] ${dtype} round ${r + 1} ours: ${STAGES.map((s) => `${s} ${o.ms[s].toFixed(0)} ms`).join(', ')}; InfluenceModel.fit ${o.influenceFitMs.toFixed(0)} ms; ` +
      `GEMM ${roundRates[r]!.before.toFixed(1)} / ${roundRates[r]!.after.toFixed(1)} GFLOP/s before / after; around each stage ` +
      STAGES.map((s) => `${o.rates![s].before.toFixed(0)}/${o.rates![s].after.toFixed(0)}`).join(', '));
    if (peerReason) continue;
    try {
      const q = runPeer({ dir: work, n, test, batch: batchSize, damping, dtype, threads, save: r === rounds - 1 });
      peerRounds.push(q);
      console.log(`[ekfac] ${dtype} round ${r + 1} ${q.label}: ${STAGES.map((s) => `${s} ${q.ms[s].toFixed(0)} ms`).join(', ')}; GEMM ${q.gemmGflops.toFixed(1)} GFLOP/s`);
    } catch (err) {
      peerReason = `failed: ${reason(err)}`;
      console.log(`[ekfac] peer ${peerReason}`);
    }
  }
  probe.dispose();
  const after = gemmRate(dtype);
  const last = oursRounds[oursRounds.length - 1]!;
  const peerOk = peerRounds.length === rounds;
  const run: EkfacRun = {
    date: new Date().toISOString(), command: `npm run bench:ekfac${args.length ? ` -- ${args.join(' ')}` : ''}`, quick, machine, dtype, backend, threads,
    n, test, batchSize, damping, theta: 'the seeded initialisation model.init({ seed: 0 }) (untrained; the stages\' cost does not depend on θ)', rounds,
    gemm: { n: GEMM_N, before, after, rounds: roundRates, stages: oursRounds.map((o) => o.rates!) }, flops: ekfacFlops(WIDTHS, n, WIDTHS[WIDTHS.length - 1]!, test),
    ours: medians(oursRounds.map((o) => o.ms)), oursRounds: oursRounds.map((o) => o.ms), influenceFitMs: median(oursRounds.map((o) => o.influenceFitMs)),
    peer: peerOk ? { ...peerRounds[peerRounds.length - 1]!, ms: medians(peerRounds.map((q) => q.ms)), gemmGflops: median(peerRounds.map((q) => q.gemmGflops)), rounds: peerRounds.map((q) => q.ms) } : null,
    ...(peerOk ? {} : { peerReason: peerReason ?? 'unknown' }),
    checks: peerOk ? checks(last, dtype) : [],
    cpuShare: 0,
  };
  const used = process.cpuUsage(cpu0);
  run.cpuShare = +((used.user + used.system) / 1000 / (performance.now() - wall0)).toFixed(3);
  run.machine.loadAfter = loadavg().map((x) => +x.toFixed(2));
  for (const ch of run.checks) console.log(`[ekfac] check: ${ch.quantity}: ${ch.value}`);
  runs.push(run);
  p.dispose();
}
rmSync(work, { recursive: true, force: true });

// bench/ekfac.json keeps the runs of a backend, dtype or thread count not measured this time.
const json = join(outDir, 'ekfac.json');
const previous: EkfacRun[] = !quick && existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as { runs: EkfacRun[] }).runs : [];
const key = (r: EkfacRun): string => `${r.backend ?? 'wasm'}/${r.dtype}/${r.threads}`;
const merged = [...previous.filter((r) => !runs.some((q) => key(q) === key(r))), ...runs].sort((a, b) => key(a).localeCompare(key(b)));
writeFileSync(json, JSON.stringify({ runs: merged }, null, 2) + '\n');
const section = renderEkfac(merged);
// A full run re-renders bench/RESULTS.md whole; a quick one writes its section alone into the temp folder.
const md = quick ? join(outDir, 'RESULTS.md') : writeResultsMd(BENCH_DIR);
if (quick) writeFileSync(md, spliceEkfac('# Benchmark results\n', section));
console.log(section);
console.log(`wrote ${json} and the W-EKFAC section of ${md}`);
process.exit(0); // the wasm thread pool (threads > 1) keeps the process alive otherwise
