import type { Machine } from './machine.js';

/** One run of bench/threads-gemm.ts (bench/threads.json, native: threads-native.json) and its section of RESULTS.md. */
export interface ThreadsRun {
  date: string;
  command: string;
  machine: Machine;
  node: string;
  /** wasm when absent (runs written before the native rows). */
  backend?: string;
  threads: number;
  rounds: number;
  gemm: { dtype: string; n: number; gflops1: number; gflopsN: number; speedup: number; cpuRatio: number }[];
  maps: { op: string; dtype: string; ns1: number; nsN: number; speedup: number; cpuRatio: number }[];
  whvp?: { batch: number; ms1: number; msN: number; speedup: number; cpuRatio: number };
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

export function renderThreads(r: ThreadsRun): string {
  const m = r.machine, N = r.threads;
  const L = [`## Threads (${r.backend ?? 'wasm'} backend, ${N} threads vs 1: \`${r.command}\`)`, ''];
  L.push(`- date: ${r.date}; machine: ${m.cpu}, ${m.cores} cores, Node ${r.node}; load average before ${m.loadBefore.join(' / ')}, after ${m.loadAfter?.join(' / ') ?? '?'}.`);
  L.push(`- ${r.rounds} rounds; each round times the 1-thread and the ${N}-thread call back to back (alternating which goes first), a sample being ` +
    'enough calls to take ≥ 50 ms; medians over rounds, speedup = median of the per-round ratios. "CPU time N / 1" is the process CPU time ' +
    '(all threads) per call with N threads over that with one: the extra work the split costs, so N / it caps the speedup on idle cores.', '');
  L.push(`| dtype | n | 1 thread GFLOP/s | ${N} threads GFLOP/s | speedup (wall) | CPU time ${N} / 1 | cap on idle cores |`, '|---|---|---|---|---|---|---|');
  for (const g of r.gemm) L.push(`| ${g.dtype} | ${g.n} | ${f(g.gflops1)} | ${f(g.gflopsN)} | ${f(g.speedup, 2)}× | ${f(g.cpuRatio, 3)} | ${f(N / g.cpuRatio, 2)}× |`);
  L.push('', `Elementwise maps of 2^20 elements (ns per element, medians):`, '');
  L.push(`| op | dtype | 1 thread ns | ${N} threads ns | speedup (wall) | CPU time ${N} / 1 |`, '|---|---|---|---|---|---|');
  for (const x of r.maps) L.push(`| ${x.op} | ${x.dtype} | ${f(x.ns1, 2)} | ${f(x.nsN, 2)} | ${f(x.speedup, 2)}× | ${f(x.cpuRatio, 3)} |`);
  if (r.whvp) L.push('', `W-HVP gradient (B = ${r.whvp.batch}, float32): 1 thread ${f(r.whvp.ms1)} ms, ${N} threads ${f(r.whvp.msN)} ms (speedup ${f(r.whvp.speedup, 2)}×; CPU time ${N} / 1: ${f(r.whvp.cpuRatio, 3)}).`);
  L.push('');
  return L.join('\n');
}
