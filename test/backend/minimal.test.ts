/**
 * A minimal backend — only the required part of the Backend interface (alloc/free/read/write/fill,
 * cast, unary/binary/where/copy/reduce, gemm), wrapping the js reference's buffers — registered
 * like any backend and run through a slice of the conformance checks at the tensor level: matmul
 * (2-D, batched, broadcast batch), the gradient and HVP of a small MLP with cross-entropy, and a
 * Cholesky solve and eigh through the tensor layer's reference fallback (src/tensor/kernels.ts).
 * This is what a new native or GPU backend must provide before it runs every op.
 *
 * Tolerance: the minimal backend runs the reference's own kernels (its gemm, its elementwise
 * kernels, and the reference potrf/trsm/syev on copies), so float64 results agree to 1e-12
 * relative (composed softmax vs the fused one differ by rounding only).
 *
 * Also here: gather/scatterAdd check their indices in the kernel (no host read by the tensor
 * layer), Tensor.dataAsync uses Backend.readAsync, and fallbacks are counted and reported once
 * per kernel in debug mode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { fallbackCounts } from '../../src/backend/fallback.js';
import { unregisterBackend } from '../../src/backend/registry.js';
import type {
  Backend, BackendBuffer, BinaryOp, DType, ReduceOp, TypedArray, UnaryOp,
} from '../../src/backend/types.js';
import { relErr, throwsType } from '../helpers.js';
import { onBackend } from './wasm/setup.js';

/** The required kernels only, delegating to a private reference backend; counts host reads. */
class MinimalBackend implements Backend {
  readonly name: string;
  private readonly js = new JsBackend();
  reads = 0;
  constructor(name: string) { this.name = name; }
  alloc(dtype: DType, size: number): BackendBuffer { return this.js.alloc(dtype, size); }
  free(buf: BackendBuffer): void { this.js.free(buf); }
  write(buf: BackendBuffer, data: ArrayLike<number>, offset?: number): void { this.js.write(buf, data, offset); }
  read(buf: BackendBuffer): TypedArray { this.reads++; return this.js.read(buf); }
  fill(buf: BackendBuffer, value: number): void { this.js.fill(buf, value); }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void { this.js.cast(src, dst, n); }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void { this.js.unary(op, x, out, n); }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aS: readonly number[], b: BackendBuffer, bS: readonly number[], out: BackendBuffer): void {
    this.js.binary(op, shape, a, aS, b, bS, out);
  }
  where(shape: readonly number[], cond: BackendBuffer, cS: readonly number[], a: BackendBuffer, aS: readonly number[],
    b: BackendBuffer, bS: readonly number[], out: BackendBuffer): void {
    this.js.where(shape, cond, cS, a, aS, b, bS, out);
  }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcS: readonly number[], dst: BackendBuffer, dstOff: number, dstS: readonly number[]): void {
    this.js.copy(shape, src, srcOff, srcS, dst, dstOff, dstS);
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void {
    this.js.reduce(op, x, outer, r, inner, out);
  }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: BackendBuffer, aOff: number, lda: number,
    b: BackendBuffer, bOff: number, ldb: number, beta: number, cc: BackendBuffer, cOff: number, ldc: number): void {
    this.js.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, cc, cOff, ldc);
  }
}

/** The minimal backend plus the kernels the tensor layer must not bypass (gather, readAsync). */
class GatherBackend extends MinimalBackend {
  private readonly ref = new JsBackend();
  asyncReads = 0;
  gather(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    this.ref.gather(src, idx, nIdx, rowSize, out);
  }
  scatterAdd(src: BackendBuffer, idx: BackendBuffer, nIdx: number, rowSize: number, out: BackendBuffer): void {
    this.ref.scatterAdd(src, idx, nIdx, rowSize, out);
  }
  readAsync(buf: BackendBuffer): Promise<TypedArray> {
    this.asyncReads++;
    return Promise.resolve(this.ref.read(buf));
  }
}

const minimal = new MinimalBackend('test-minimal');
const gathering = new GatherBackend('test-gather');
const quiet = new MinimalBackend('test-minimal-debug');
const TEMPORARY: [string, Backend][] = [['test-minimal', minimal], ['test-gather', gathering], ['test-minimal-debug', quiet]];

// Registered only while this file's tests run: suites of other files iterate over every
// registered backend (test/helpers.ts testBackends) when they are defined.
test.before(() => { for (const [name, b] of TEMPORARY) c.registerBackend(name, () => b, -100); });
test.after(() => { for (const [name] of TEMPORARY) unregisterBackend(name); });

const on = onBackend;

/** fn on the js reference and on `name`, values compared at float64 tolerance. */
function agree(name: string, what: string, fn: () => c.Tensor | c.Tensor[], tol = 1e-12): void {
  const run = (b: string) => on(b, () => c.tidy(() => {
    const r = fn();
    return (Array.isArray(r) ? r : [r]).map((t) => t.dataSync());
  }));
  const want = run('js'), got = run(name);
  assert.is(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const e = relErr(got[i]!, want[i]!);
    assert.ok(e <= tol, `${what} [${i}] on ${name}: relative error ${e} > ${tol}`);
  }
}

const total = (b: Backend) => [...fallbackCounts(b).values()].reduce((x, y) => x + y, 0);

test('the minimal backend implements only the required kernels', () => {
  for (const k of ['gemmStridedBatched', 'gather', 'scatterAdd', 'potrf', 'trsm', 'syev', 'tanhGrad', 'softmax', 'crossEntropy', 'readAsync', 'supports']) {
    assert.is((minimal as unknown as Record<string, unknown>)[k], undefined, k);
  }
});

test('matmul: 2-D, transposed, batched (one gemm per element, no fallback), broadcast batch', () => {
  const before = total(minimal);
  agree('test-minimal', 'matmul', () => {
    const n = (shape: number[], seed: number) => c.randomNormal(shape, { seed, dtype: 'float64' });
    const a = n([5, 7], 1), b = n([7, 4], 2);
    const A = n([3, 5, 7], 3), B = n([3, 4, 7], 4), B1 = n([1, 7, 2], 5);
    return [c.matmul(a, b), c.matmul(b, a, { transA: true, transB: true }), c.matmul(A, B, { transB: true }), c.matmul(A, B1),
      c.matmul(a, A, { transA: true })];
  });
  assert.is(total(minimal), before, 'matmul needs no reference fallback');
});

test('gradient and HVP of a small tanh MLP with cross-entropy (composed softmax/tanhGrad, gather via the reference)', () => {
  agree('test-minimal', 'mlp', () => {
    const model = c.Sequential.mlp([6, 5, 3], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 0);
    const theta = model.init({ seed: 0, dtype: 'float64' });
    const x = c.randomUniform([8, 6], { seed: 1, dtype: 'float64' });
    const y = c.tensor(Int32Array.from({ length: 8 }, (_, i) => (i * 2) % 3), [8], 'int32');
    const v = c.randomNormal([model.numParams], { seed: 2, dtype: 'float64' });
    const loss = (t: c.Tensor) => objective.dataLoss(t, { x, y });
    return [loss(theta), c.grad(loss, theta), c.hvp(loss, theta, v), c.hvp(loss, theta, v, 'reverse-over-reverse')];
  }, 1e-11);
});

test('Cholesky solve and eigh through the reference fallback, counted per kernel', () => {
  const before = new Map(fallbackCounts(minimal));
  agree('test-minimal', 'linalg', () => {
    const m = c.tensor([4, 1, 0.5, 1, 3, 0.25, 0.5, 0.25, 2], [3, 3], 'float64');
    const b = c.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
    const l = c.cholesky(m);
    const { values, vectors } = c.eigh(m);
    return [l, c.choleskySolve(l, b), values, vectors];
  });
  const grew = (k: string) => (fallbackCounts(minimal).get(k) ?? 0) - (before.get(k) ?? 0);
  assert.is(grew('potrf float64'), 1);
  assert.is(grew('trsm float64'), 2);
  assert.is(grew('syev float64'), 1);
  // A failed factorisation through the fallback is still the typed error, with the pivot.
  on('test-minimal', () => throwsType(() => c.cholesky(c.tensor([1, 2, 2, 1], [2, 2], 'float64')), c.NotPositiveDefiniteError, /pivot 1/));
});

test('CURVATURE_DEBUG=1: each fallback kernel is reported once per backend', () => {
  const saved = process.env['CURVATURE_DEBUG'], warn = console.warn;
  const lines: string[] = [];
  process.env['CURVATURE_DEBUG'] = '1';
  console.warn = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    on('test-minimal-debug', () => c.tidy(() => {
      const m = c.tensor([4, 1, 1, 3], [2, 2], 'float64');
      c.cholesky(m);
      c.cholesky(m);
    }));
  } finally {
    console.warn = warn;
    if (saved === undefined) delete process.env['CURVATURE_DEBUG'];
    else process.env['CURVATURE_DEBUG'] = saved;
  }
  const potrf = lines.filter((l) => l.includes('potrf'));
  assert.is(potrf.length, 1, lines.join('\n'));
  // Dense linear algebra goes to the fastest other backend that has the kernel (cuda, native, wasm), else the js reference.
  assert.match(potrf[0]!, /backend 'test-minimal-debug' has no kernel for potrf float64; running the ('cuda' backend's|'native' backend's|'wasm' backend's|js reference) kernel/);
  assert.is(fallbackCounts(quiet).get('potrf float64'), 2);
});

test('gather/scatterAdd: indices are checked by the kernel, never read to the host by the tensor layer', () => {
  on('test-gather', () => c.tidy(() => {
    const x = c.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'float64');
    const idx = c.tensor([2, 0, 2], [3], 'int32');
    const reads = gathering.reads;
    const g = c.gather(x, idx);
    const s = c.scatterAdd(g, idx, 3);
    assert.is(gathering.reads, reads, 'gather and scatterAdd made no host read');
    assert.equal([...g.dataSync()], [5, 6, 1, 2, 5, 6]);
    assert.equal([...s.dataSync()], [1, 2, 0, 0, 10, 12]);
    throwsType(() => c.gather(x, c.tensor([0, 3], [2], 'int32')), c.InputError, /gather: index 3 at position 1 is outside \[0, 3\)/);
    throwsType(() => c.scatterAdd(g, c.tensor([0, -1, 1], [3], 'int32'), 3), c.InputError, /scatterAdd: index -1 at position 1 is outside \[0, 3\)/);
    throwsType(() => c.gather(c.zeros([0, 2], 'float64'), c.tensor([0], [1], 'int32')), c.InputError, /outside \[0, 0\)/);
  }));
  // The same messages from every backend's kernel (the fallback on the minimal backend included).
  for (const name of ['js', 'test-minimal', ...(c.listBackends().some((b) => b.name === 'wasm' && b.loaded) ? ['wasm'] : [])]) {
    on(name, () => c.tidy(() => {
      const x = c.tensor([1, 2, 3, 4], [2, 2], 'float32');
      throwsType(() => c.gather(x, c.tensor([1, 2], [2], 'int32')), c.InputError, /gather: index 2 at position 1 is outside \[0, 2\)/);
    }));
  }
});

test('dataAsync: Backend.readAsync where present, the synchronous read otherwise; same values', async () => {
  const t1 = on('test-gather', () => c.tensor([1, 2, 3], [3], 'float64'));
  const t2 = on('test-minimal', () => c.tensor([4, 5], [2], 'float32'));
  const before = gathering.asyncReads;
  assert.equal([...await t1.dataAsync()], [1, 2, 3]);
  assert.equal([...await t1.data()], [1, 2, 3]);
  assert.is(gathering.asyncReads, before + 2);
  assert.equal([...await t2.dataAsync()], [4, 5]);
  t1.dispose();
  t2.dispose();
  let err: unknown;
  await t1.dataAsync().catch((e: unknown) => { err = e; });
  assert.match(String(err), /used after dispose/);
});

test.run();
