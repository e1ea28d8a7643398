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
 * bench/peers/torch_server.py; all of them alive at once). For each problem: set up on the same
 * inputs on every side, PyTorch's result checked against ours (relative 2-norm difference; a row
 * above the tolerance is reported as failed and not timed), all warmed up, then `rounds` rounds;
 * a round takes one sample (calls until minMs have passed) of ours and of the peer at every thread
 * count, alternating the order round by round. Medians over the rounds; ratio = the peer's median
 * time / ours (our throughput over PyTorch's: > 1 means ours is faster).
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
  peers: { threads: number; label?: string; blas?: string; ompWaitPolicy?: string; reason?: string }[];
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

/**
 * Our thread count for a backend. wasm: the pool is kept at `pool` threads for the whole comparison
 * and one thread means nothing is posted to it (minFlops above every problem), as in
 * bench/threads-gemm.ts — setWasmThreads(1) would stop the workers and the next 2-thread sample
 * would pay for restarting them. Another backend: its set<Name>Threads(n) when the library has one.
 */
function setOurThreads(backend: string, n: number, notes: string[], pool = n): void {
  if (backend === 'wasm') { c.setWasmThreads(Math.max(pool, n), n === 1 ? { minFlops: Number.MAX_VALUE } : {}); return; }
  const name = `set${backend[0]!.toUpperCase()}${backend.slice(1)}Threads`;
  const f = (c as unknown as Record<string, unknown>)[name];
  if (typeof f === 'function') (f as (n: number) => void)(n);
  else if (n > 1) notes.push(`backend ${backend}: no ${name}() in this build; its ${n}-thread rows ran at its default thread count.`);
}

/**
 * After a multi-threaded PyTorch sample: OpenBLAS's worker threads busy-wait for the next call for
 * 2^OPENBLAS_THREAD_TIMEOUT cycles (2^28 by default, ≈ 0.1 s) before they sleep, and on two cores
 * they took the cores from whatever ran next (our 2-thread GEMM at n = 256 ran 30× slower right after
 * them). Waiting SETTLE_MS lets them go to sleep without changing PyTorch's configuration.
 */
export const SETTLE_MS = 300;
const settle = (threads: number): Promise<void> => (threads > 1 ? new Promise((r) => setTimeout(r, SETTLE_MS)) : Promise.resolve());

/** Wall and CPU seconds per call of fn over calls filling at least minMs. */
function sample(fn: () => void, minMs: number): { wall: number; cpu: number } {
  let calls = 0;
  const c0 = process.cpuUsage(), t0 = performance.now();
  let t = t0;
  do { fn(); calls++; t = performance.now(); } while (t - t0 < minMs);
  const u = process.cpuUsage(c0);
  return { wall: (t - t0) / 1000 / calls, cpu: (u.user + u.system) / 1e6 / calls };
}

/** One thread count of one quantity: ours at t threads against the peer process of t threads. */
interface Lane { t: number; peer: TorchPeer; row: TorchRow; ours: number[]; oursCpu: number; oursWall: number; theirs: number[]; theirsCpu: number; theirsWall: number }

async function timeCase(peers: readonly TorchPeer[], k: VsCase, backend: string, o: VsTorchOptions, dir: string, rows: TorchRow[], notes: string[]): Promise<void> {
  const pool = Math.max(...o.threads);
  for (const q of k.quantities) {
    const base = { workload: k.workload, dtype: k.dtype, size: k.size, quantity: q.name, ours: q.ours, peer: q.peer, tolerance: TOLERANCE[k.dtype], backend };
    const lanes: Lane[] = [];
    for (const peer of peers) {
      const theirs = readNpy(await peerResult(peer, dir, k.key, q.peerQuantity));
      setOurThreads(backend, peer.threads, notes, pool);
      const row: TorchRow = { ...base, threads: peer.threads, relDiff: relDiff(theirs, q.result()) };
      rows.push(row);
      if (!(row.relDiff <= row.tolerance)) {
        row.failed = `‖PyTorch − ours‖/‖ours‖ = ${row.relDiff.toExponential(2)} > ${row.tolerance}`;
        console.error(`\n*** PyTorch peer row FAILED its check: ${k.workload} ${q.name} ${k.size} ${k.dtype}, ${peer.threads} thread(s), ${backend}: ${row.failed} ***\n`);
      } else lanes.push({ t: peer.threads, peer, row, ours: [], oursCpu: 0, oursWall: 0, theirs: [], theirsCpu: 0, theirsWall: 0 });
    }
    const runOurs = (l: Lane): void => {
      setOurThreads(backend, l.t, notes, pool);
      const s = sample(q.run, o.minMs);
      l.ours.push(s.wall); l.oursCpu += s.cpu; l.oursWall += s.wall;
    };
    const runPeer = async (l: Lane): Promise<void> => {
      const s = await l.peer.time(k.key, q.peerQuantity, o.minMs);
      l.theirs.push(s.wall); l.theirsCpu += s.cpu; l.theirsWall += s.wall;
      await settle(l.t);
    };
    // Warm-up: V8 tiers the wasm module and the JS around it up in the first calls; torch's allocator and OpenBLAS's buffers.
    for (const l of lanes) { setOurThreads(backend, l.t, notes, pool); sample(q.run, o.minMs); await l.peer.time(k.key, q.peerQuantity, o.minMs); await settle(l.t); }
    // Each round: every thread count, ours and the peer back to back; the order of both alternates round by round.
    for (let r = 0; r < o.rounds; r++) {
      for (const l of r % 2 === 0 ? lanes : [...lanes].reverse()) {
        if (r % 2 === 0) { runOurs(l); await runPeer(l); } else { await runPeer(l); runOurs(l); }
      }
    }
    for (const l of lanes) {
      const row = l.row;
      row.oursMs = median(l.ours) * 1000;
      row.peerMs = median(l.theirs) * 1000;
      row.ratio = row.peerMs / row.oursMs;
      if (k.flops) { row.oursGflops = k.flops / row.oursMs / 1e6; row.peerGflops = k.flops / row.peerMs / 1e6; }
      row.oursCpuShare = +(l.oursCpu / l.oursWall).toFixed(3);
      row.peerCpuShare = +(l.theirsCpu / l.theirsWall).toFixed(3);
      row.oursRoundsMs = l.ours.map((x) => +(x * 1000).toFixed(4));
      row.peerRoundsMs = l.theirs.map((x) => +(x * 1000).toFixed(4));
      console.log(`  [vs PyTorch, ${l.t} thread(s)] ${k.workload} ${q.name} ${k.size} ${k.dtype} ${backend}: ours ${row.oursMs.toFixed(3)} ms, PyTorch ${row.peerMs.toFixed(3)} ms, ` +
        `ours/PyTorch throughput ${row.ratio.toFixed(2)}× (check ${row.relDiff.toExponential(1)}; CPU share ours ${row.oursCpuShare}, PyTorch ${row.peerCpuShare})`);
    }
  }
}

export async function runVsTorch(o: VsTorchOptions): Promise<TorchComparison> {
  const out: TorchComparison = { peers: [], rows: [], notes: [], rounds: o.rounds, minMs: o.minMs, loadBefore: loadavg().map((x) => +x.toFixed(2)), loadAfter: [] };
  const backends = o.backends.filter((b) => b !== 'js');
  const dir = mkdtempSync(join(tmpdir(), 'curvature-vs-torch-'));
  // One peer process per thread count, all alive for the whole comparison, so that 1 and 2 threads are interleaved too.
  const peers: TorchPeer[] = [];
  for (const threads of o.threads) {
    try {
      const peer = await TorchPeer.start(threads);
      peers.push(peer);
      out.peers.push({ threads, label: peer.label, blas: peer.blas, ompWaitPolicy: peer.ompWaitPolicy });
    } catch (err) {
      out.peers.push({ threads, reason: reason(err) });
      console.log(`PyTorch peer (${threads} thread(s)) unavailable: ${reason(err)}`);
    }
  }
  try {
    const cases: ((p: readonly TorchPeer[]) => Promise<VsCase>)[] = [];
    for (const n of o.gemmSizes) for (const d of ['float32', 'float64'] as const) cases.push((p) => gemmCase(p, dir, n, d));
    for (const B of o.batches) cases.push((p) => whvpCase(p, dir, B));
    // Case by case, each of our backends in turn with the peers (a case's tensors live on one backend).
    if (peers.length) for (const make of cases) for (const backend of backends) {
      c.setBackend(backend);
      let k: VsCase | undefined;
      try {
        k = await make(peers);
        await timeCase(peers, k, backend, o, dir, out.rows, out.notes);
      } catch (err) {
        out.notes.push(`${k ? `${k.workload} ${k.size} ${k.dtype}` : 'a problem'} on ${backend} failed: ${reason(err)}`);
        console.error(`*** PyTorch comparison failed: ${reason(err)} ***`);
      } finally {
        k?.dispose();
      }
    }
  } finally {
    for (const b of backends) if (b === 'wasm') c.setWasmThreads(1);
    for (const p of peers) await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
  out.notes = [...new Set(out.notes)];
  out.loadAfter = loadavg().map((x) => +x.toFixed(2));
  return out;
}
