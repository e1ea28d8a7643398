/**
 * The im2col / col2im kernels (Backend.im2col / col2im, src/tensor/ops/conv.ts) on every backend
 * and through the dispatcher's composition from copy + binary add (a backend without them), against
 * a brute-force reading of the definition (Im2colGeometry in src/backend/types.ts) on odd
 * geometries: stride 2 and 3, padding, dilation, 1×1 and 5×5 kernels, non-square images.
 *
 * Tolerances: im2col moves values, so it is exact in both dtypes; col2im sums at most kh·kw
 * entries per pixel: float64 1e-14 relative, float32 1e-6 (a few roundings of 6e-8).
 * Also: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩, the batched-tangent rules (k directions folded into n)
 * against one direction at a time, and the ShapeError/DTypeError checks.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { hvp, hvpBatched } from '../../src/autodiff/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import type { Backend, BackendBuffer, BinaryOp, DType, Im2colGeometry, ReduceOp, TypedArray, UnaryOp } from '../../src/backend/types.js';
import { kernels } from '../../src/tensor/kernels.js';
import { col2im, im2col, maxPool2d } from '../../src/tensor/ops/conv.js';
import { Random } from '../../src/tensor/random.js';
import { dotArr, randn, relErr, testBackends } from '../helpers.js';

interface Case { name: string; n: number; c: number; h: number; w: number; k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number] }
const CASES: Case[] = [
  { name: '3×3 same padding', n: 2, c: 2, h: 5, w: 7, k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1] },
  { name: '3×3 stride 2, padding 1', n: 2, c: 3, h: 7, w: 6, k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1] },
  { name: '2×3 stride [2,1] padding [1,0] dilation [1,2]', n: 2, c: 3, h: 4, w: 5, k: [2, 3], s: [2, 1], p: [1, 0], d: [1, 2] },
  { name: '1×1', n: 3, c: 4, h: 3, w: 5, k: [1, 1], s: [1, 1], p: [0, 0], d: [1, 1] },
  { name: '1×1 stride 2', n: 1, c: 2, h: 5, w: 4, k: [1, 1], s: [2, 2], p: [0, 0], d: [1, 1] },
  { name: '5×5 padding 2', n: 2, c: 2, h: 6, w: 5, k: [5, 5], s: [1, 1], p: [2, 2], d: [1, 1] },
  { name: '5×5 stride 2 padding 2 dilation 2', n: 1, c: 3, h: 9, w: 11, k: [5, 5], s: [2, 2], p: [2, 2], d: [2, 2] },
  { name: '2×2 stride 3 (gaps)', n: 2, c: 1, h: 8, w: 7, k: [2, 2], s: [3, 3], p: [0, 0], d: [1, 1] },
  { name: '3×3 padding 1 on a 1×2 image', n: 2, c: 2, h: 1, w: 2, k: [3, 3], s: [1, 1], p: [1, 1], d: [1, 1] },
  { name: 'wide 1×4 stride [1,3]', n: 1, c: 2, h: 3, w: 13, k: [1, 4], s: [1, 3], p: [0, 1], d: [1, 1] },
];

const geom = (k: Case): Im2colGeometry => {
  const out = (sz: number, a: 0 | 1) => Math.floor((sz + 2 * k.p[a] - k.d[a] * (k.k[a] - 1) - 1) / k.s[a]) + 1;
  return {
    n: k.n, c: k.c, h: k.h, w: k.w, kh: k.k[0], kw: k.k[1], strideH: k.s[0], strideW: k.s[1], padH: k.p[0], padW: k.p[1],
    dilationH: k.d[0], dilationW: k.d[1], outH: out(k.h, 0), outW: out(k.w, 1),
  };
};
const params = (k: Case) => ({ kernel: k.k, stride: k.s, padding: k.p, dilation: k.d });

/** Brute force: for every patch entry, the pixel it reads (or −1 for padding). */
function sources(g: Im2colGeometry): Int32Array {
  const L = g.outH * g.outW, ck = g.c * g.kh * g.kw;
  const src = new Int32Array(g.n * L * ck);
  for (let b = 0; b < g.n; b++) for (let oh = 0; oh < g.outH; oh++) for (let ow = 0; ow < g.outW; ow++)
    for (let ch = 0; ch < g.c; ch++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const ih = oh * g.strideH + i * g.dilationH - g.padH, iw = ow * g.strideW + j * g.dilationW - g.padW;
      const at = ((b * L + oh * g.outW + ow) * g.c + ch) * g.kh * g.kw + i * g.kw + j;
      src[at] = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? ((b * g.c + ch) * g.h + ih) * g.w + iw : -1;
    }
  return src;
}
const bruteIm2col = (x: ArrayLike<number>, src: Int32Array) => Float64Array.from(src, (s) => (s < 0 ? 0 : x[s]!));
function bruteCol2im(y: ArrayLike<number>, src: Int32Array, size: number): Float64Array {
  const out = new Float64Array(size);
  src.forEach((s, i) => { if (s >= 0) out[s]! += y[i]!; });
  return out;
}

/** The required kernels only (the js reference's), so the dispatcher composes im2col / col2im. */
class NoIm2colBackend implements Backend {
  readonly name = 'test-no-im2col';
  private readonly js = new JsBackend();
  alloc(dtype: DType, size: number): BackendBuffer { return this.js.alloc(dtype, size); }
  free(buf: BackendBuffer): void { this.js.free(buf); }
  write(buf: BackendBuffer, data: ArrayLike<number>, offset?: number): void { this.js.write(buf, data, offset); }
  read(buf: BackendBuffer): TypedArray { return this.js.read(buf); }
  fill(buf: BackendBuffer, value: number): void { this.js.fill(buf, value); }
  cast(src: BackendBuffer, dst: BackendBuffer, n: number): void { this.js.cast(src, dst, n); }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, n: number): void { this.js.unary(op, x, out, n); }
  binary(op: BinaryOp, shape: readonly number[], a: BackendBuffer, aS: readonly number[], b: BackendBuffer, bS: readonly number[], out: BackendBuffer): void {
    this.js.binary(op, shape, a, aS, b, bS, out);
  }
  where(shape: readonly number[], cond: BackendBuffer, cS: readonly number[], a: BackendBuffer, aS: readonly number[],
    b: BackendBuffer, bS: readonly number[], out: BackendBuffer): void { this.js.where(shape, cond, cS, a, aS, b, bS, out); }
  copy(shape: readonly number[], src: BackendBuffer, srcOff: number, srcS: readonly number[], dst: BackendBuffer, dstOff: number, dstS: readonly number[]): void {
    this.js.copy(shape, src, srcOff, srcS, dst, dstOff, dstS);
  }
  reduce(op: ReduceOp, x: BackendBuffer, outer: number, r: number, inner: number, out: BackendBuffer): void { this.js.reduce(op, x, outer, r, inner, out); }
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: BackendBuffer, aOff: number, lda: number,
    b: BackendBuffer, bOff: number, ldb: number, beta: number, cc: BackendBuffer, cOff: number, ldc: number): void {
    this.js.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, cc, cOff, ldc);
  }
}

const DTYPES = ['float64', 'float32'] as const;
const tolCol2im = (dt: string) => (dt === 'float64' ? 1e-14 : 1e-6);
const rounded = (a: Float64Array, dt: string) => (dt === 'float32' ? Float64Array.from(Float32Array.from(a)) : a);

function randomArray(rng: Random, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

// The kernels on raw buffers: each backend's own, and the dispatcher's composition.
const composing = new NoIm2colBackend();
const kernelSuite = suite('im2col/col2im kernels vs brute force');
for (const backendName of [...testBackends(), composing.name]) {
  for (const dt of DTYPES) {
    for (const k of CASES) {
      kernelSuite(`${backendName} ${dt}: ${k.name}`, () => {
        const b: Backend = backendName === composing.name ? composing : (c.setBackend(backendName), c.getBackend());
        const g = geom(k), src = sources(g), rng = new Random(7);
        const imgSize = g.n * g.c * g.h * g.w, colSize = src.length;
        const x = rounded(randomArray(rng, imgSize), dt), y = rounded(randomArray(rng, colSize), dt);
        const xb = b.alloc(dt, imgSize), yb = b.alloc(dt, colSize), cols = b.alloc(dt, colSize), img = b.alloc(dt, imgSize);
        try {
          b.write(xb, x); b.write(yb, y);
          b.fill(cols, 99); b.fill(img, 99); // both kernels overwrite their output
          kernels(b).im2col(xb, g, cols);
          kernels(b).col2im(yb, g, img);
          const want = bruteIm2col(x, src), got = b.read(cols);
          assert.equal(Array.from(got), Array.from(want), 'im2col');
          const e = relErr(b.read(img), bruteCol2im(y, src, imgSize));
          assert.ok(e <= tolCol2im(dt), `col2im relative error ${e}`);
        } finally {
          for (const t of [xb, yb, cols, img]) b.free(t);
        }
      });
    }
  }
}
/** Brute-force window argmax (first largest in row-major order, NaN wins, padding skipped). */
function bruteArgmax(x: ArrayLike<number>, g: Im2colGeometry): number[] {
  const out: number[] = [];
  for (let p = 0; p < g.n * g.c; p++) for (let oh = 0; oh < g.outH; oh++) for (let ow = 0; ow < g.outW; ow++) {
    let best = -1, bv = -Infinity;
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const ih = oh * g.strideH + i * g.dilationH - g.padH, iw = ow * g.strideW + j * g.dilationW - g.padW;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      const k = (p * g.h + ih) * g.w + iw, v = x[k]!;
      if (best < 0 || v > bv || (Number.isNaN(v) && !Number.isNaN(bv))) { best = k; bv = v; }
    }
    out.push(best);
  }
  return out;
}
const POOLS = CASES.filter((k) => 2 * k.p[0] <= k.k[0] && 2 * k.p[1] <= k.k[1]);
for (const backendName of [...testBackends(), composing.name]) {
  for (const dt of DTYPES) {
    kernelSuite(`${backendName} ${dt}: maxPoolArgmax (ties to the first, NaN wins) on ${POOLS.length} geometries`, () => {
      const b: Backend = backendName === composing.name ? composing : (c.setBackend(backendName), c.getBackend());
      for (const k of POOLS) {
        const g = geom(k), rng = new Random(5), size = g.n * g.c * g.h * g.w;
        // Small integers: many ties; one NaN.
        const x = Float64Array.from({ length: size }, () => rng.int(3));
        x[Math.floor(size / 2)] = NaN;
        const xb = b.alloc(dt, size), ab = b.alloc('int32', g.n * g.c * g.outH * g.outW);
        try {
          b.write(xb, x);
          kernels(b).maxPoolArgmax(xb, g, ab);
          assert.equal(Array.from(b.read(ab)), bruteArgmax(x, g), k.name);
        } finally { b.free(xb); b.free(ab); }
      }
    });
  }
}

kernelSuite('the composing backend has no im2col kernel (the dispatcher composes)', () => {
  assert.is((composing as unknown as Record<string, unknown>)['im2col'], undefined);
  assert.is(kernels(composing).native('im2col', ['float64', 'float64']), false);
});
kernelSuite.run();

for (const backend of testBackends()) {
  const s = suite(`im2col/col2im ops [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('unfold2d is im2col; im2col and col2im are adjoint (float64)', () => {
    c.tidy(() => {
      for (const k of CASES) {
        const rng = new Random(3), g = geom(k);
        const x = randn(rng, [k.n, k.c, k.h, k.w]);
        const cols = c.unfold2d(x, params(k));
        assert.equal(cols.shape, [k.n, g.outH * g.outW, k.c * k.k[0] * k.k[1]]);
        const y = randn(rng, cols.shape);
        const back = col2im(y, params(k), [k.h, k.w]);
        assert.equal(back.shape, [k.n, k.c, k.h, k.w]);
        const lhs = dotArr(cols.dataSync(), y.dataSync()), rhs = dotArr(x.dataSync(), back.dataSync());
        assert.ok(Math.abs(lhs - rhs) <= 1e-12 * (Math.abs(lhs) + 1), `${k.name}: ⟨im2col x, y⟩ = ${lhs}, ⟨x, col2im y⟩ = ${rhs}`);
      }
    });
  });

  s('batched tangents fold into n: hvpBatched equals single HVPs through im2col and col2im', () => {
    c.tidy(() => {
      const k = CASES[2]!, rng = new Random(11), g = geom(k);
      const shape = [k.n, k.c, k.h, k.w], size = shape.reduce((p, q) => p * q, 1);
      const u = randn(rng, [k.n, g.outH * g.outW, k.c * k.k[0] * k.k[1]]);
      // Nonlinear on both sides so the HVP exercises jvp of im2col and of col2im (through the vjp).
      const f = (t: c.Tensor) => {
        const x = c.reshape(t, shape);
        const cols = c.tanh(c.mul(im2col(c.sin(x), params(k)), u));
        return c.sum(c.square(col2im(cols, params(k), [k.h, k.w])));
      };
      const theta = randn(rng, [size]), K = 3, V = randn(rng, [K, size]);
      const batched = hvpBatched(f, theta, V).dataSync();
      for (let i = 0; i < K; i++) {
        const one = hvp(f, theta, c.reshape(c.slice(V, [i, 0], [1, size]), [size])).dataSync();
        const e = relErr(batched.subarray(i * size, (i + 1) * size), one);
        assert.ok(e <= 1e-12, `direction ${i}: relative error ${e}`);
      }
    });
  });

  s('maxPool2d: values, the whole derivative to the first largest at ties, batched HVPs equal single ones', () => {
    c.tidy(() => {
      const p = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 2] as [number, number] };
      // A window of equal values: only its first pixel gets the cotangent.
      const x = c.tensor([1, 1, 1, 1, 0, 2, 2, 0, 0], [1, 1, 3, 3], 'float64');
      const q = { kernel: [2, 2] as [number, number], stride: [1, 1] as [number, number], padding: [0, 0] as [number, number], dilation: [1, 1] as [number, number] };
      assert.equal(Array.from(maxPool2d(x, q).dataSync()), [1, 2, 2, 2]);
      assert.equal(Array.from(c.grad((t) => c.sum(maxPool2d(t, q)), x).dataSync()), [1, 0, 0, 0, 0, 2, 1, 0, 0]);
      const rng = new Random(13), shape = [2, 3, 5, 6], size = 180;
      const u = randn(rng, [2, 3, 3, 6]);
      const f = (t: c.Tensor) => c.sum(c.mul(c.tanh(maxPool2d(c.sin(c.reshape(t, shape)), p)), u));
      const theta = randn(rng, [size]), K = 3, V = randn(rng, [K, size]);
      const batched = hvpBatched(f, theta, V).dataSync();
      for (let i = 0; i < K; i++) {
        const one = hvp(f, theta, c.reshape(c.slice(V, [i, 0], [1, size]), [size])).dataSync();
        const rr = hvp(f, theta, c.reshape(c.slice(V, [i, 0], [1, size]), [size]), 'reverse-over-reverse').dataSync();
        assert.ok(relErr(batched.subarray(i * size, (i + 1) * size), one) <= 1e-12, `direction ${i}: batched vs forward-over-reverse`);
        assert.ok(relErr(rr, one) <= 1e-12, `direction ${i}: reverse-over-reverse vs forward-over-reverse`);
      }
    });
  });

  s('argument checks: rank, dtype, patch count', () => {
    const p = params(CASES[0]!);
    assert.throws(() => im2col(c.zeros([2, 3, 4], 'float64'), p), (e: Error) => e instanceof c.ShapeError);
    assert.throws(() => im2col(c.zeros([1, 1, 4, 4], 'int32'), p), (e: Error) => e instanceof c.DTypeError);
    assert.throws(() => col2im(c.zeros([1, 7, 9], 'float64'), p, [4, 4]), (e: Error) => e instanceof c.ShapeError);
    assert.throws(() => im2col(c.zeros([1, 1, 1, 1], 'float64'), { ...p, padding: [0, 0] }), (e: Error) => e instanceof c.ShapeError);
  });

  s.run();
}
