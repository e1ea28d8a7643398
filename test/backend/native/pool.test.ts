/**
 * The native backend's buffer reuse (src/backend/native/index.ts, BufferPool): a freed large
 * array (from 256 bytes) serves the next alloc of its dtype and size, tiny ones are left to the collector, a freed
 * handle is refused by every kernel (CurvatureError, never a silent write into a reused array),
 * and a second free does nothing. Strided copies (the 2-d block / transpose-tile paths of
 * native/src/elementwise.cc) against the js reference on transposes with short and long axes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { JsBackend } from '../../../src/backend/js/index.js';
import { BufferPool, type NativeBuffer } from '../../../src/backend/native/index.js';
import { nativeOrReason, nativeTest } from './setup.js';

const { backend: N, reason } = nativeOrReason();
const S = suite('native buffer pool and strided copy');
const t = nativeTest(S, N, reason);

t('a freed large array is reused by the next alloc of that dtype and size; small ones are not', () => {
  const big = N!.alloc('float32', 1 << 16) as NativeBuffer;
  const data = big.data;
  N!.free(big);
  const again = N!.alloc('float32', 1 << 16) as NativeBuffer;
  assert.ok(again.data === data, 'reused');
  const other = N!.alloc('float64', 1 << 16) as NativeBuffer;
  assert.ok(other.data !== data, 'another dtype gets another array');
  N!.free(again); N!.free(other);
  const mid = N!.alloc('float32', 256) as NativeBuffer;  // 1 KB: pooled (a fresh one costs more than the lookup)
  const md = mid.data;
  N!.free(mid);
  assert.ok((N!.alloc('float32', 256) as NativeBuffer).data === md, 'a 1 KB array is reused');
  const small = N!.alloc('float32', 16) as NativeBuffer;
  const sd = small.data;
  N!.free(small);
  assert.ok((N!.alloc('float32', 16) as NativeBuffer).data !== sd, 'tiny arrays are not pooled');
});

S('the pool holds at most its budget, dropping the longest unused first, by dtype and length', () => {
  const pool = new BufferPool(4096);
  const f = (n: number) => new Float32Array(n), d = (n: number) => new Float64Array(n);
  const a = f(256), b = d(128), c2 = f(256), big = f(2048);  // 1 KB each; 8 KB (over the budget)
  pool.give('float32', a); pool.give('float64', b); pool.give('float32', c2);
  pool.give('float32', big);
  assert.is(pool.take('float32', 2048), undefined, 'an array over the budget is not held');
  assert.is(pool.take('float32', 128), undefined, 'another length is another list');
  assert.is(pool.take('int32', 256), undefined, 'another dtype is another list');
  // 3 KB held; a 2 KB array drops the oldest (a) to stay within 4 KB.
  const e = f(512);
  pool.give('float32', e);
  assert.is(pool.take('float32', 256), c2, 'the newer of the two 256-float arrays stayed');
  assert.is(pool.take('float32', 256), undefined, 'the oldest was dropped');
  assert.is(pool.take('float64', 128), b);
  assert.is(pool.take('float32', 512), e);
  assert.is(pool.take('float32', 16), undefined, 'empty');
});

t('a freed handle is refused by kernels; a second free does nothing', () => {
  const b = N!.alloc('float64', 1 << 14);
  N!.free(b);
  N!.free(b);
  assert.throws(() => N!.fill(b, 1), (e: Error) => e instanceof c.CurvatureError && /after free/.test(e.message));
  const x = N!.alloc('float64', 1 << 14), y = N!.alloc('float64', 1 << 14);
  assert.ok((x as NativeBuffer).data !== (y as NativeBuffer).data, 'one pooled array is handed out once');
});

t('strided copies (transposes, short inner axes, broadcast, offsets) equal the reference', () => {
  const js = new JsBackend();
  const cases: [number[], number[]][] = [
    [[256, 16, 28, 28], [0, 2, 3, 1]], [[4, 28, 28, 4], [0, 3, 1, 2]], [[30, 9, 7, 4], [2, 0, 3, 1]],
    [[513, 3], [1, 0]], [[3, 513], [1, 0]], [[5, 6, 7], [2, 1, 0]], [[17, 19], [1, 0]], [[2, 3, 4, 5, 6], [4, 2, 0, 3, 1]],
  ];
  for (const [shape, perm] of cases) {
    for (const dt of ['float32', 'float64', 'int32'] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = Array.from({ length: n + 3 }, (_, i) => (i * 7919) % 1000 - 500);
      const st = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      const outShape = perm.map((p) => shape[p]!), srcStrides = perm.map((p) => st[p]!);
      const outStrides = outShape.map((_, i) => outShape.slice(i + 1).reduce((a, b) => a * b, 1));
      const run = (b: c.Backend) => {
        const s = b.alloc(dt, n + 3), d = b.alloc(dt, n + 2);
        b.write(s, vals); b.fill(d, -1);
        b.copy(outShape, s, 3, srcStrides, d, 2, outStrides);
        const r = Array.from(b.read(d));
        b.free(s); b.free(d);
        return r;
      };
      assert.equal(run(N!), run(js), `${dt} [${shape}] perm [${perm}]`);
    }
  }
  // A broadcast source (stride 0) over a short inner axis.
  const s = N!.alloc('float32', 4), d = N!.alloc('float32', 12);
  N!.write(s, [1, 2, 3, 4]);
  N!.copy([4, 3], s, 0, [1, 0], d, 0, [3, 1]);
  assert.equal(Array.from(N!.read(d)), [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
});

S.run();
