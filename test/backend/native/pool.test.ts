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
import type { NativeBuffer } from '../../../src/backend/native/index.js';
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
