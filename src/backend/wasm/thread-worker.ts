/**
 * A GEMM worker thread of the wasm backend (started by ./thread-pool.ts with worker_threads).
 *
 * It instantiates the kernels module again over the same shared memory — the module's start
 * function sees the data segments already initialised (an atomic flag) and leaves them alone —,
 * moves its C stack pointer to the stack region the main thread allocated for it (every instance
 * starts with the same __stack_pointer, which would otherwise overlap the main thread's stack),
 * and then loops: wait for a job on its control slot (./thread-control.ts), run one band of the
 * GEMM with its own packing buffers (cv_gemm_part_*) or one chunk of an elementwise map, report. It never allocates: malloc runs only
 * on the main thread. It blocks in Atomics.wait between jobs, so it never returns to its event
 * loop until told to exit; the pool unref()s it so it does not keep the process alive.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { CurvatureExports } from './loader.js';
import {
  ALPHA, ARGS, BETA, DONE, OP, OP_EXIT, OP_GEMM_F32, OP_GEMM_F64, OP_UNARY_F32, OP_UNARY_F64, READY, SEQ, SLOT_INTS,
  STATUS, type WorkerSetup,
} from './thread-control.js';

interface WasmGlobal {
  Instance: new (module: unknown, imports: unknown) => { exports: Record<string, unknown> };
}

const setup = workerData as WorkerSetup;
const memory = setup.memory as { buffer: ArrayBufferLike };
const port = setup.port as MessagePort;
const i32 = new Int32Array(memory.buffer, setup.slot, SLOT_INTS);
const f64 = new Float64Array(memory.buffer, setup.slot, SLOT_INTS / 2);

function fail(stage: string, err: unknown): void {
  port.postMessage(`${stage}: ${err instanceof Error ? err.message : String(err)}`);
}

let x: CurvatureExports | null = null;
try {
  const W = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;
  const trap = (): never => {
    throw new Error('a kernel called an import from a worker thread (kernel bug)');
  };
  const instance = new W.Instance(setup.module, {
    env: { memory: setup.memory, emscripten_notify_memory_growth: () => {}, abort: trap },
  });
  const e = instance.exports as unknown as CurvatureExports;
  if (typeof e.cv_gemm_part_f32 !== 'function' || typeof e.cv_gemm_part_f64 !== 'function' || typeof e.stackRestore !== 'function') {
    throw new Error('the module lacks cv_gemm_part_f32/cv_gemm_part_f64/stackRestore');
  }
  e.stackRestore(setup.stackTop);
  x = e;
  Atomics.store(i32, READY, 1);
} catch (err) {
  fail('worker start', err);
  Atomics.store(i32, READY, -1);
}
Atomics.notify(i32, READY);

if (x) {
  let last = 0;
  for (;;) {
    Atomics.wait(i32, SEQ, last);
    const seq = Atomics.load(i32, SEQ);
    if (seq === last) continue;
    last = seq;
    const op = i32[OP]!;
    if (op === OP_EXIT) {
      Atomics.store(i32, DONE, seq);
      Atomics.notify(i32, DONE);
      break;
    }
    let status = 0;
    try {
      const a = ARGS;
      if (op === OP_GEMM_F32 || op === OP_GEMM_F64) {
        const fn = op === OP_GEMM_F32 ? x.cv_gemm_part_f32! : x.cv_gemm_part_f64!;
        fn(i32[a]!, i32[a + 1]!, i32[a + 2]!, i32[a + 3]!, i32[a + 4]!, f64[ALPHA]!, i32[a + 5]!, i32[a + 6]!,
          i32[a + 7]!, i32[a + 8]!, f64[BETA]!, i32[a + 9]!, i32[a + 10]!, i32[a + 11]!, i32[a + 12]!, setup.scratch);
      } else if (op === OP_UNARY_F32 || op === OP_UNARY_F64) {
        (op === OP_UNARY_F32 ? x.cv_unary_f32 : x.cv_unary_f64)(i32[a]!, i32[a + 1]!, i32[a + 2]!, i32[a + 3]!);
      } else {
        throw new Error(`unknown operation ${op}`);
      }
    } catch (err) {
      fail('gemm', err);
      status = 1;
    }
    Atomics.store(i32, STATUS, status);
    Atomics.store(i32, DONE, seq);
    Atomics.notify(i32, DONE);
  }
  port.close();
}
