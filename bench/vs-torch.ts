import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import { reason, relDiff } from './measure.js';
import { readNpy } from './npy.js';
import { TorchPeer } from './peers/torch.js';
import { gemmCase, peerResult, whvpCase, type VsCase } from './vs-torch-cases.js';

/**
 * PyTorch (Debian's python3-torch, OpenBLAS) as a peer in the same run: W-GEMM and W-HVP
 * (../shared/WORKLOADS.md) timed interleaved with ours, per thread count (ours: setWasmThreads(t);
 * the peer: a process of its own started with OPENBLAS_NUM_THREADS = t and torch.set_num_threads(t),
 * bench/peers/torch_server.py). For each problem: both set up on the same inputs, PyTorch's result
 * checked against ours (relative 2-norm difference; a row above the tolerance is reported as failed
 * and not timed), both warmed up, then `rounds` rounds of one sample each (calls until minMs have
 * passed; ours and the peer alternate which goes first). Medians over the rounds; ratio = the
 * peer's median time / ours (our throughput over PyTorch's: > 1 means ours is faster).
 */
export interface TorchRow {
  workload: 'W-GEMM' | 'W-HVP';
  threads: number;
  backend: string;
  dtype: 'float32' | 'float64';
  size: string;
  quantity: string;
  ours: string;
  peer: string;
  /** ‖PyTorch − ours‖ / ‖ours‖ on this problem, and the tolerance it was held to. */
  relDiff: number;
  tolerance: number;
  /** Set when the check failed or a call threw: the row was not timed. */
  failed?: string;
  oursMs?: number;
  peerMs?: number;
  /** peerMs / oursMs: > 1 means ours is faster. */
  ratio?: number;
  oursGflops?: number;
  peerGflops?: number;
  /** CPU time / wall time of each side over its samples (≈ threads on idle cores). */
  oursCpuShare?: number;
  peerCpuShare?: number;
  oursRoundsMs?: number[];
  peerRoundsMs?: number[];
}

export interface TorchComparison {
  /** The peer process of each thread count, or why it did not start. */
  peers: { threads: number; label?: string; blas?: string; reason?: string }[];
  rows: TorchRow[];
  notes: string[];
  rounds: number;
  minMs: number;
  loadBefore: number[];
  loadAfter: number[];
}

export const TOLERANCE = { float32: 1e-3, float64: 1e-9 } as const;

export interface VsTorchOptions { backends: string[]; threads: number[]; gemmSizes: number[]; batches: number[]; rounds: number; minMs: number }

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/** Our thread count for a backend: wasm's setWasmThreads; another backend's set<Name>Threads when the library exports one. */
function setOurThreads(backend: string, n: number, notes: string[]): void {
  if (backend === 'wasm') { c.setWasmThreads(n); return; }
  const name = `set${backend[0]!.toUpperCase()}${backend.slice(1)}Threads`;
  const f = (c as unknown as Record<string, unknown>)[name];
  if (typeof f === 'function') (f as (n: number) => void)(n);
  else if (n > 1) notes.push(`backend ${backend}: no ${name}() in this build; its ${n}-thread rows ran at its default thread count.`);
}

/** Wall and CPU seconds per call of fn over calls filling at least minMs. */
function sample(fn: () => void, minMs: number): { wall: number; cpu: number } {
  let calls = 0;
  const c0 = process.cpuUsage(), t0 = performance.now();
  let t = t0;
  do { fn(); calls++; t = performance.now(); } while (t - t0 < minMs);
  const u = process.cpuUsage(c0);
  return { wall: (t - t0) / 1000 / calls, cpu: (u.user + u.system) / 1e6 / calls };
}

async function timeCase(peer: TorchPeer, k: VsCase, threads: number, backends: string[], o: VsTorchOptions, dir: string, rows: TorchRow[]): Promise<void> {
  for (const q of k.quantities) {
    const theirs = readNpy(await peerResult(peer, dir, k.key, q.peerQuantity));
    const base = { workload: k.workload, threads, dtype: k.dtype, size: k.size, quantity: q.name, ours: q.ours, peer: q.peer, tolerance: TOLERANCE[k.dtype] };
    const live: { row: TorchRow; backend: string }[] = [];
    for (const backend of backends) {
      c.setBackend(backend);
      const row: TorchRow = { ...base, backend, relDiff: relDiff(theirs, q.result()) };
      rows.push(row);
      if (!(row.relDiff <= row.tolerance)) {
        row.failed = `‖PyTorch − ours‖/‖ours‖ = ${row.relDiff.toExponential(2)} > ${row.tolerance}`;
        console.error(`\n*** PyTorch peer row FAILED its check: ${k.workload} ${q.name} ${k.size} ${k.dtype}, ${threads} thread(s), ${backend}: ${row.failed} ***\n`);
      } else live.push({ row, backend });
    }
    if (!live.length) continue;
    const ours = live.map(() => ({ wall: [] as number[], cpu: 0, t: 0 })), theirsT = { wall: [] as number[], cpu: 0, t: 0 };
    const runOurs = (i: number): void => {
      c.setBackend(live[i]!.backend);
      const s = sample(q.run, o.minMs);
      ours[i]!.wall.push(s.wall); ours[i]!.cpu += s.cpu; ours[i]!.t += s.wall;
    };
    const runPeer = async (): Promise<void> => {
      const s = await peer.time(k.key, q.peerQuantity, o.minMs);
      theirsT.wall.push(s.wall); theirsT.cpu += s.cpu; theirsT.t += s.wall;
    };
    // Warm-up: V8 tiers the wasm module and the JS around it up in the first calls; torch's allocator and OpenBLAS's buffers.
    for (let i = 0; i < live.length; i++) { c.setBackend(live[i]!.backend); sample(q.run, o.minMs); }
    await peer.time(k.key, q.peerQuantity, o.minMs);
    for (let r = 0; r < o.rounds; r++) {
      if (r % 2 === 0) { for (let i = 0; i < live.length; i++) runOurs(i); await runPeer(); }
      else { await runPeer(); for (let i = live.length - 1; i >= 0; i--) runOurs(i); }
    }
    live.forEach(({ row }, i) => {
      const mine = ours[i]!;
      row.oursMs = median(mine.wall) * 1000;
      row.peerMs = median(theirsT.wall) * 1000;
      row.ratio = row.peerMs / row.oursMs;
      if (k.flops) { row.oursGflops = k.flops / row.oursMs / 1e6; row.peerGflops = k.flops / row.peerMs / 1e6; }
      row.oursCpuShare = +(mine.cpu / mine.t).toFixed(3);
      row.peerCpuShare = +(theirsT.cpu / theirsT.t).toFixed(3);
      row.oursRoundsMs = mine.wall.map((x) => +(x * 1000).toFixed(4));
      row.peerRoundsMs = theirsT.wall.map((x) => +(x * 1000).toFixed(4));
      console.log(`  [vs PyTorch, ${threads} thread(s)] ${k.workload} ${q.name} ${k.size} ${k.dtype} ${row.backend}: ours ${row.oursMs.toFixed(3)} ms, PyTorch ${row.peerMs.toFixed(3)} ms, ` +
        `ours/PyTorch throughput ${row.ratio.toFixed(2)}× (check ${row.relDiff.toExponential(1)}; CPU share ours ${row.oursCpuShare}, PyTorch ${row.peerCpuShare})`);
    });
  }
}

export async function runVsTorch(o: VsTorchOptions): Promise<TorchComparison> {
  const out: TorchComparison = { peers: [], rows: [], notes: [], rounds: o.rounds, minMs: o.minMs, loadBefore: loadavg().map((x) => +x.toFixed(2)), loadAfter: [] };
  const backends = o.backends.filter((b) => b !== 'js');
  const dir = mkdtempSync(join(tmpdir(), 'curvature-vs-torch-'));
  try {
    for (const threads of o.threads) {
      let peer: TorchPeer;
      try { peer = await TorchPeer.start(threads); } catch (err) {
        out.peers.push({ threads, reason: reason(err) });
        console.log(`PyTorch peer (${threads} thread(s)) unavailable: ${reason(err)}`);
        continue;
      }
      out.peers.push({ threads, label: peer.label, blas: peer.blas });
      for (const b of backends) setOurThreads(b, threads, out.notes);
      try {
        const cases: (() => Promise<VsCase>)[] = [];
        for (const n of o.gemmSizes) for (const d of ['float32', 'float64'] as const) cases.push(() => gemmCase(peer, dir, n, d));
        for (const B of o.batches) cases.push(() => whvpCase(peer, dir, B));
        // Case by case, each of our backends in turn with the peer (a case's tensors live on one backend).
        for (const make of cases) for (const backend of backends) {
          c.setBackend(backend);
          let k: VsCase | undefined;
          try {
            k = await make();
            await timeCase(peer, k, threads, [backend], o, dir, out.rows);
          } catch (err) {
            out.notes.push(`${threads} thread(s): ${k ? `${k.workload} ${k.size} ${k.dtype}` : 'a problem'} failed: ${reason(err)}`);
            console.error(`*** PyTorch comparison failed: ${reason(err)} ***`);
          } finally {
            k?.dispose();
          }
        }
      } finally {
        await peer.close();
        for (const b of backends) setOurThreads(b, 1, []);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.loadAfter = loadavg().map((x) => +x.toFixed(2));
  return out;
}
