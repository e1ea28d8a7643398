import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../../src/index.js';
import type { RawArray } from '../../../src/io/array.js';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.js';
import { Random } from '../../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../../helpers.js';

/**
 * nn layers: Linear, activations, Sequential (flat θ in torch state_dict layout), init, state
 * dicts and safetensors. Values are compared in float64 with a relative tolerance of 1e-12 (a
 * handful of roundings of O(1) numbers); float32 paths are compared against float32-rounded
 * references with 1e-6. Save/load round trips must be bit-exact.
 */
const TOL64 = 1e-12;
const TOL32 = 1e-6;


const t64 = (v: ArrayLike<number>, shape: number[]): c.Tensor => c.tensor(Float64Array.from(v), shape, 'float64');

/** y = x·Wᵀ + b computed by hand: x [n, in], W [out, in], b [out]. */
function linearRef(x: ArrayLike<number>, n: number, W: ArrayLike<number>, b: ArrayLike<number> | null, inF: number, outF: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < n; i++) for (let o = 0; o < outF; o++) {
    let acc = b ? b[o]! : 0;
    for (let k = 0; k < inF; k++) acc += x[i * inF + k]! * W[o * inF + k]!;
    y.push(acc);
  }
  return y;
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-nn-'));
  try { return fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

for (const backend of testBackends()) {
  const s = suite(`nn layers [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('Linear computes x·Wᵀ + b with W in PyTorch layout [out, in]', () => {
    const lin = new c.Linear(3, 2);
    assert.equal(lin.params.map((p) => [p.name, [...p.shape]]), [['weight', [2, 3]], ['bias', [2]]]);
    assert.is(lin.describe(), 'Linear(3, 2)');
    const W = [1, 2, 3, -1, 0.5, 4], b = [0.25, -2], x = [1, 0, -1, 2, 3, 0.5];
    const y = lin.apply([t64(W, [2, 3]), t64(b, [2])], t64(x, [2, 3]));
    assert.equal([...y.shape], [2, 2]);
    // row 0: [1,0,−1]·[1,2,3] + 0.25 = −1.75, [1,0,−1]·[−1,0.5,4] − 2 = −7
    // row 1: [2,3,0.5]·[1,2,3] + 0.25 = 9.75, [2,3,0.5]·[−1,0.5,4] − 2 = −0.5
    assert.equal([...y.dataSync()], [-1.75, -7, 9.75, -0.5]);
    const rng = new Random(1);
    const Xr = randn(rng, [5, 3]), Wr = randn(rng, [2, 3]), br = randn(rng, [2]);
    const yr = lin.apply([Wr, br], Xr).dataSync();
    assert.ok(relErr(yr, linearRef(Xr.dataSync(), 5, Wr.dataSync(), br.dataSync(), 3, 2)) <= TOL64);
    // no bias
    const nb = new c.Linear(3, 2, false);
    assert.equal(nb.params.map((p) => p.name), ['weight']);
    assert.is(nb.describe(), 'Linear(3, 2, bias=false)');
    assert.ok(relErr(nb.apply([Wr], Xr).dataSync(), linearRef(Xr.dataSync(), 5, Wr.dataSync(), null, 3, 2)) <= TOL64);
    // a single example as a vector
    const y1 = lin.apply([t64(W, [2, 3]), t64(b, [2])], t64([1, 0, -1], [3]));
    assert.equal([...y1.shape], [2]);
    assert.equal([...y1.dataSync()], [-1.75, -7]);
    // float32
    const y32 = lin.apply([c.tensor(W, [2, 3], 'float32'), c.tensor(b, [2], 'float32')], c.tensor(x, [2, 3], 'float32'));
    assert.is(y32.dtype, 'float32');
    assert.equal([...y32.dataSync()], [-1.75, -7, 9.75, -0.5]);
  });

  s('Sequential.mlp([4,3,2], tanh): names, shapes, offsets, numParams, forward', () => {
    const model = c.Sequential.mlp([4, 3, 2], 'tanh');
    assert.equal(model.flatParams.map((p) => p.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.equal(model.flatParams.map((p) => [...p.shape]), [[3, 4], [3], [2, 3], [2]]);
    assert.equal(model.flatParams.map((p) => p.offset), [0, 12, 15, 21]);
    assert.is(model.numParams, 4 * 3 + 3 + 3 * 2 + 2);
    assert.is(model.numParams, 23);
    assert.is(model.layers.length, 3);
    assert.is(model.layers[1]!.kind, 'tanh');
    assert.is(model.inFeatures, 4);
    assert.is(model.outFeatures, 2);
    assert.is(model.describe(), 'Sequential(Linear(4, 3), Tanh(), Linear(3, 2))');
    assert.is(c.Sequential.mlp([13, 3]).numParams, 13 * 3 + 3, 'logistic regression');
    assert.is(c.Sequential.mlp([5, 4, 4, 3], 'relu').flatParams.map((p) => p.name).join(','), '0.weight,0.bias,2.weight,2.bias,4.weight,4.bias');

    const rng = new Random(5);
    const theta = randn(rng, [23]), x = randn(rng, [6, 4]);
    const th = theta.dataSync(), xd = x.dataSync();
    const h = linearRef(xd, 6, th.subarray(0, 12), th.subarray(12, 15), 4, 3).map(Math.tanh);
    const want = linearRef(h, 6, th.subarray(15, 21), th.subarray(21, 23), 3, 2);
    const y = model.apply(theta, x);
    assert.equal([...y.shape], [6, 2]);
    assert.ok(relErr(y.dataSync(), want) <= TOL64, `forward rel err ${relErr(y.dataSync(), want)}`);
  });

  s('unflatten/flatten round trip', () => {
    const model = c.Sequential.mlp([4, 3, 2], 'gelu');
    const theta = model.init({ seed: 3, dtype: 'float64' });
    const per = model.unflatten(theta);
    assert.is(per.length, 3);
    assert.equal(per.map((l) => l.map((t) => [...t.shape])), [[[3, 4], [3]], [], [[2, 3], [2]]]);
    // the pieces are the right parts of θ
    assert.equal([...per[2]![1]!.dataSync()], [...theta.dataSync().subarray(21, 23)]);
    const back = model.flatten(per.flat());
    assert.equal([...back.shape], [23]);
    assert.equal([...back.dataSync()], [...theta.dataSync()]);
    // flatten accepts any shapes of the right sizes, in state_dict order; rejects wrong counts/sizes
    throwsType(() => model.flatten(per.flat().slice(1)), c.ShapeError);
    throwsType(() => model.flatten([per[0]![1]!, per[0]![0]!, per[2]![0]!, per[2]![1]!]), c.ShapeError);
    throwsType(() => model.unflatten(c.zeros([22], 'float64')), c.ShapeError, /23 parameters/);
    throwsType(() => model.unflatten(c.zeros([23, 1], 'float64')), c.ShapeError);
  });

  s('init: U(±1/√in) bounds per layer, seed determinism, dtype', () => {
    const model = c.Sequential.mlp([16, 9, 4], 'tanh');
    const a = model.init({ seed: 11, dtype: 'float64' }), b = model.init({ seed: 11, dtype: 'float64' }), d = model.init({ seed: 12, dtype: 'float64' });
    assert.equal([...a.dataSync()], [...b.dataSync()], 'same seed, same θ');
    assert.not.equal([...a.dataSync()], [...d.dataSync()], 'other seed, other θ');
    const th = a.dataSync();
    for (const p of model.flatParams) {
      const fanIn = p.layer === 0 ? 16 : 9;
      const bound = 1 / Math.sqrt(fanIn);
      const vals = th.subarray(p.offset, p.offset + p.size);
      let lo = Infinity, hi = -Infinity;
      for (const v of vals) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      assert.ok(lo >= -bound && hi <= bound, `${p.name} in ±${bound}: [${lo}, ${hi}]`);
      if (p.size >= 36) assert.ok(hi > 0.7 * bound && lo < -0.7 * bound, `${p.name} spreads over the range: [${lo}, ${hi}]`);
    }
    const f32 = model.init({ seed: 11 });
    assert.is(f32.dtype, 'float32', 'default dtype float32');
    assert.equal([...f32.dataSync()], [...Float32Array.from(th)]);
    assert.equal([...model.init().dataSync()], [...model.init({ seed: 0 }).dataSync()], 'default seed 0');
  });

  s('activations: Tanh, Sigmoid, ReLU, GELU (exact erf form), Softplus', () => {
    const xs = [-2, -1, -0.5, 0, 0.3, 1, 2];
    const x = t64(xs, [xs.length]);
    const sigma = (v: number) => 1 / (1 + Math.exp(-v));
    // GELU references x·Φ(x) from mpmath (40 digits)
    const geluRef: Record<number, number> = { [-2]: -0.04550026389635842, [-1]: -0.15865525393145705, [-0.5]: -0.15426876936299344, 0: 0, 0.3: 0.1853734266566858, 1: 0.8413447460685429, 2: 1.9544997361036416 };
    const cases: [string, () => c.Layer, (v: number) => number][] = [
      ['tanh', c.Tanh, Math.tanh],
      ['sigmoid', c.Sigmoid, sigma],
      ['relu', c.ReLU, (v) => Math.max(v, 0)],
      ['gelu', c.GELU, (v) => geluRef[v]!],
      ['softplus', c.Softplus, (v) => Math.log1p(Math.exp(v))],
    ];
    for (const [name, make, ref] of cases) {
      for (const layer of [make(), c.activation(name)]) {
        assert.is(layer.kind, name);
        assert.equal(layer.params, []);
        assert.equal(layer.init(new Random(0)), []);
        const y = layer.apply([], x).dataSync();
        xs.forEach((v, i) => {
          const w = ref(v);
          assert.ok(Math.abs(y[i]! - w) <= TOL64 * Math.abs(w), `${name}(${v}) = ${y[i]}, want ${w}`);
        });
      }
    }
    assert.ok(Math.abs(c.gelu(t64([1], [1])).item() - 0.8413447460685429) <= TOL64 * 0.85, 'gelu(1) = Φ(1)');
    assert.ok(Math.abs(c.gelu(t64([1], [1])).item() - 0.8411919906082768) > 1e-4, 'not the tanh approximation');
    assert.equal([c.Tanh(), c.Sigmoid(), c.ReLU(), c.GELU(), c.Softplus()].map((l) => l.describe()), ['Tanh()', 'Sigmoid()', 'ReLU()', 'GELU()', 'Softplus()']);
    // float32
    const y32 = c.GELU().apply([], c.tensor([1, -1], [2], 'float32')).dataSync();
    assert.ok(Math.abs(y32[0]! - 0.8413447460685429) <= TOL32 * 0.85 && Math.abs(y32[1]! + 0.15865525393145705) <= TOL32 * 0.16);
  });

  s('bad architectures and activation names → InputError; bad layers → ShapeError', () => {
    throwsType(() => c.Sequential.mlp([4]), c.InputError, /widths/);
    throwsType(() => c.Sequential.mlp([]), c.InputError);
    throwsType(() => c.Sequential.mlp([4, 0, 2]), c.InputError);
    throwsType(() => c.Sequential.mlp([4, 2.5]), c.InputError);
    throwsType(() => c.Sequential.mlp([4, -3]), c.InputError);
    throwsType(() => c.Sequential.mlp([4, 3, 2], 'swish'), c.InputError, /unknown activation 'swish'/);
    throwsType(() => c.Sequential.mlp([4, 3, 2], 'Tanh'), c.InputError);
    throwsType(() => c.activation('leaky_relu'), c.InputError, /tanh, sigmoid, relu, gelu, softplus/);
    throwsType(() => new c.Linear(0, 3), c.ShapeError);
    throwsType(() => new c.Linear(3, 1.5), c.ShapeError);
    throwsType(() => new c.Sequential([]), c.ShapeError);
    throwsType(() => new c.Sequential([c.Tanh()]).inFeatures, c.ShapeError);
  });

  s('wrong input width or θ size → ShapeError', () => {
    const model = c.Sequential.mlp([4, 3, 2], 'tanh');
    const theta = model.init({ dtype: 'float64' });
    throwsType(() => model.apply(theta, c.zeros([5, 3], 'float64')), c.ShapeError, /Linear\(4, 3\): input has 3 features/);
    throwsType(() => model.apply(theta, c.zeros([5, 5], 'float64')), c.ShapeError);
    throwsType(() => model.apply(c.zeros([24], 'float64'), c.zeros([5, 4], 'float64')), c.ShapeError, /23 parameters/);
    throwsType(() => new c.Linear(3, 2).apply([c.zeros([2, 3], 'float64'), c.zeros([2], 'float64')], c.zeros([1, 2], 'float64')), c.ShapeError);
    throwsType(() => model.apply(theta, c.zeros([5, 4], 'float32')), c.DTypeError);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    s(`state dict: save/load round trip through a safetensors file (${dtype})`, () => {
      withTmp((dir) => {
        const model = c.Sequential.mlp([4, 3, 2], 'relu');
        const theta = model.init({ seed: 9, dtype });
        const sd = c.stateDict(model, theta);
        assert.equal([...sd.keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
        for (const p of model.flatParams) {
          const raw = sd.get(p.name)!;
          assert.equal(raw.shape, [...p.shape]);
          assert.is(raw.dtype, dtype);
          assert.equal([...(raw.data as Float64Array)], [...theta.dataSync().subarray(p.offset, p.offset + p.size)]);
        }
        const path = join(dir, 'sub', 'model.safetensors');
        c.saveSafetensors(path, model, theta, { note: 'test' });
        const file = readSafetensors(path);
        assert.equal(file.metadata, { note: 'test' });
        assert.equal([...file.tensors.keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
        assert.is(file.tensors.get('2.weight')!.dtype, dtype);
        const back = c.loadSafetensors(path, model, dtype);
        assert.is(back.dtype, dtype);
        assert.equal([...back.dataSync()], [...theta.dataSync()], 'bit-exact');
        // load into the other dtype: float32 → float64 is exact; float64 → float32 rounds
        const other = dtype === 'float32' ? 'float64' : 'float32';
        const conv = c.loadSafetensors(path, model, other);
        assert.is(conv.dtype, other);
        assert.equal([...conv.dataSync()], [...(other === 'float32' ? Float32Array.from(theta.dataSync()) : theta.dataSync())]);
        // the loaded θ runs the same model
        const x = c.tensor([1, -2, 0.5, 3, 0, 1, 1, -1], [2, 4], dtype);
        assert.equal([...model.apply(back, x).dataSync()], [...model.apply(theta, x).dataSync()]);
        // loadStateDict directly from the in-memory dict
        assert.equal([...c.loadStateDict(model, sd, dtype).dataSync()], [...theta.dataSync()]);
      });
    });
  }

  s('state dict: missing / extra / wrong-shape / NaN / int parameters and missing files → typed errors', () => {
    withTmp((dir) => {
      const model = c.Sequential.mlp([4, 3, 2], 'tanh');
      const theta = model.init({ seed: 2, dtype: 'float64' });
      const good = c.stateDict(model, theta);
      const edit = (f: (m: Map<string, RawArray>) => void): Map<string, RawArray> => { const m = new Map(good); f(m); return m; };
      const cases: [string, Map<string, RawArray>, new (...a: any[]) => Error, RegExp][] = [
        ['missing', edit((m) => m.delete('2.bias')), c.InputError, /missing parameter '2\.bias'/],
        ['extra', edit((m) => m.set('4.weight', { data: new Float64Array(2), shape: [2], dtype: 'float64' })), c.InputError, /unexpected parameter '4\.weight'/],
        ['wrong shape', edit((m) => m.set('0.weight', { data: new Float64Array(12), shape: [4, 3], dtype: 'float64' })), c.ShapeError, /'0\.weight' has shape \[4, 3\]/],
        ['wrong rank', edit((m) => m.set('0.bias', { data: new Float64Array(3), shape: [3, 1], dtype: 'float64' })), c.ShapeError, /0\.bias/],
        ['NaN', edit((m) => m.set('2.weight', { data: Float64Array.from([0, 1, NaN, 2, 3, 4]), shape: [2, 3], dtype: 'float64' })), c.InputError, /non-finite value \(NaN\) at element 2/],
        ['Inf', edit((m) => m.set('0.bias', { data: Float32Array.from([0, Infinity, 1]), shape: [3], dtype: 'float32' })), c.InputError, /non-finite/],
        ['int32', edit((m) => m.set('0.bias', { data: Int32Array.from([0, 1, 1]), shape: [3], dtype: 'int32' })), c.InputError, /float32 or float64/],
      ];
      for (const [what, dict, type, re] of cases) {
        throwsType(() => c.loadStateDict(model, dict), type, re);
        const path = join(dir, `${what.replace(/ /g, '-')}.safetensors`);
        writeSafetensors(path, dict);
        throwsType(() => c.loadSafetensors(path, model, 'float64'), type, re);
      }
      throwsType(() => c.loadSafetensors(join(dir, 'does-not-exist.safetensors'), model), c.InputError, /not found/);
      throwsType(() => c.loadSafetensors(dir, model), c.InputError, /directory/);
      // a model of another architecture cannot read the file
      const path = join(dir, 'good.safetensors');
      c.saveSafetensors(path, model, theta);
      throwsType(() => c.loadSafetensors(path, c.Sequential.mlp([4, 5, 2]), 'float64'), c.ShapeError);
      throwsType(() => c.loadSafetensors(path, c.Sequential.mlp([4, 2]), 'float64'), c.InputError);
      // stateDict checks θ
      throwsType(() => c.stateDict(model, c.zeros([5], 'float64')), c.ShapeError);
    });
  });

  s.run();
}
