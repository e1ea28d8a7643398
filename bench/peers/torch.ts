import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { blasInUse, peerUnavailable, PYTHON } from '../ekfac-peer.js';
import { peerEnv } from './env.js';

/**
 * The PyTorch peer process (bench/peers/torch_server.py under Debian's /usr/bin/python3): started
 * once per thread count with OPENBLAS_NUM_THREADS and torch.set_num_threads set to it, then driven
 * one JSON request at a time over stdin/stdout (the protocol is described in the script).
 */
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'peers', 'torch_server.py');

export interface TorchReply { ok: boolean; error?: string; seconds?: number; cpu_seconds?: number; calls?: number }

export class TorchPeer {
  private nextId = 0;
  private pending: { resolve: (r: TorchReply) => void; reject: (e: Error) => void } | null = null;
  private exited: string | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly label: string, readonly threads: number, readonly blas: string, readonly ompWaitPolicy: string) {}

  /** Starts the peer with `threads` threads; rejects with the reason when it cannot run here. */
  static async start(threads: number): Promise<TorchPeer> {
    const why = peerUnavailable();
    if (why) throw new Error(why);
    // Threads, OMP_WAIT_POLICY and OpenBLAS's kernel set: see peerEnv.
    const env = peerEnv(threads);
    const child = spawn(PYTHON, [script, String(threads)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    let peer: TorchPeer | undefined;
    return new Promise<TorchPeer>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
      child.on('error', (err) => reject(err));
      child.on('exit', (code, signal) => {
        const why = `${PYTHON} ${script} exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
        if (!peer) reject(new Error(why));
        else { peer.exited = why; peer.pending?.reject(new Error(why)); peer.pending = null; }
      });
      lines.on('line', (line) => {
        let msg: Record<string, unknown>;
        try { msg = JSON.parse(line) as Record<string, unknown>; } catch { return; } // not ours (a library's print)
        if (!peer) {
          if (msg['ready'] !== true) { reject(new Error(`unexpected first line from the peer: ${line}`)); return; }
          peer = new TorchPeer(child, String(msg['label']), Number(msg['threads']), blasInUse(), env['OMP_WAIT_POLICY'] ?? 'PASSIVE');
          resolve(peer);
          return;
        }
        const p = peer.pending;
        peer.pending = null;
        p?.resolve(msg as unknown as TorchReply);
      });
    });
  }

  private tail: Promise<unknown> = Promise.resolve();

  /** One request (queued behind any in flight); rejects when the peer answers ok: false or has exited. */
  request(op: string, args: Record<string, unknown>): Promise<TorchReply> {
    const r = this.tail.then(() => this.send(op, args));
    this.tail = r.catch(() => undefined);
    return r;
  }

  private send(op: string, args: Record<string, unknown>): Promise<TorchReply> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise<TorchReply>((resolve, reject) => {
      this.pending = {
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(`PyTorch peer ${op}: ${r.error ?? 'failed'}`))),
        reject,
      };
      this.child.stdin.write(JSON.stringify({ id: this.nextId++, op, ...args }) + '\n');
    });
  }

  /** Wall and CPU seconds per call of `quantity` of case `key`, over calls filling at least minMs. */
  async time(key: string, quantity: string, minMs: number): Promise<{ wall: number; cpu: number }> {
    const r = await this.request('time', { key, quantity, min_ms: minMs });
    return { wall: r.seconds!, cpu: r.cpu_seconds! };
  }

  /** Ends the process once the queued requests are answered. */
  async close(): Promise<void> {
    await this.tail;
    this.child.stdin.end();
  }
}
