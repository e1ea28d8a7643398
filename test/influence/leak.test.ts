import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import { relErr, testBackends, throwsType } from '../helpers.js';
import { BackendBytes } from './memory.js';
import { smallProblem } from './problem.js';

/**
 * Issue 10, defect 1: every influence(), sTest(), inverseHvp() and streamInfluence() call leaked one
 * [P, nTest] tensor (the transposed right-hand side of the solve), freed only by the garbage
 * collector. Each call below runs a few times to warm up (caches, scratch buffers), then a few dozen
 * times; the backend bytes still allocated must not grow. The loops are synchronous where the API
 * is, so no finaliser can run in between and hide a leak.
 */
const WARMUP = 3, CALLS = 30;

for (const backend of testBackends()) {
  const s = suite(`influence calls free what they allocate [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test } = smallProblem(7);
  const P = theta.size;
  const dir = mkdtempSync(join(tmpdir(), 'curv-leak-'));
  s.after(() => rmSync(dir, { recursive: true, force: true }));

  /** Growth of the allocated backend bytes over CALLS calls of fn, after WARMUP calls. */
  async function growth(fn: () => unknown): Promise<{ counted: number; wasm?: number }> {
    const meter = new BackendBytes(getBackend());
    try {
      for (let i = 0; i < WARMUP; i++) await fn();
      const before = meter.sample();
      for (let i = 0; i < CALLS; i++) await fn();
      const after = meter.sample();
      return {
        counted: after.counted - before.counted,
        ...(after.wasmAllocated !== undefined ? { wasm: after.wasmAllocated - before.wasmAllocated! } : {}),
      };
    } finally {
      meter.uninstall();
    }
  }

  function noGrowth(what: string, g: { counted: number; wasm?: number }): void {
    assert.ok(g.counted <= 0, `${what}: ${g.counted} backend bytes more after ${CALLS} calls (${g.counted / CALLS} per call)`);
    if (g.wasm !== undefined) assert.ok(g.wasm <= 0, `${what}: wasm allocator grew by ${g.wasm} bytes over ${CALLS} calls`);
  }

  for (const solver of ['direct', 'cg'] as const) {
    // CG (an iterative solver, its own temporaries) on the calls that solve; direct on all of them.
    s(`influence(), sTest(), inverseHvp()${solver === 'direct' ? ', selfInfluence(), parameterInfluence()' : ''} [${solver}]: zero growth`, async () => {
      const model = c.InfluenceModel.fit(objective, theta, train, { solver, hessian: 'gauss-newton', damping: 1e-3, solverOptions: { rtol: 1e-6 } });
      try {
        noGrowth('influence()', await growth(() => model.influence(test).scores.dispose()));
        const g = c.keep(model.gradients(test));
        try {
          noGrowth('inverseHvp() [m, P]', await growth(() => model.inverseHvp(g).x.dispose()));
          const v = c.keep(c.reshape(c.slice(g, [1, 0], [1, P]), [P]));
          noGrowth('inverseHvp() [P]', await growth(() => model.inverseHvp(v).x.dispose()));
          v.dispose();
        } finally {
          g.dispose();
        }
        if (solver !== 'direct') return;
        noGrowth('sTest()', await growth(() => model.sTest(test).s.dispose()));
        noGrowth('selfInfluence()', await growth(() => model.selfInfluence().scores.dispose()));
        noGrowth('parameterInfluence()', await growth(() => model.parameterInfluence(test).dispose()));
      } finally {
        model.dispose();
      }
    });
  }

  s('streamInfluence (with .npy and top-k), streamSelfInfluence, group and perturbation influence: zero growth', async () => {
    const model = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    try {
      const path = join(dir, 'scores.npy');
      noGrowth('streamInfluence()', await growth(() => c.streamInfluence(model, test, c.chunked(train, 8), { npyPath: path, topK: 2 })));
      noGrowth('streamInfluence() refusing a bad topK after its solve', await growth(async () => {
        try { await c.streamInfluence(model, test, c.chunked(train, 8), { topK: -1 }); } catch (err) { assert.instance(err, c.InputError); return; }
        assert.unreachable('topK -1 was accepted');
      }));
      noGrowth('streamSelfInfluence()', await growth(() => c.streamSelfInfluence(model, c.chunked(train, 8))));
      noGrowth('groupInfluence()', await growth(() => c.groupInfluence(model, test, [[0, 1], [2]]).dispose()));
      const few = c.batchOf(train, 0, 3);
      noGrowth('perturbationInfluence()', await growth(() => c.perturbationInfluence(model, test, few).dispose()));
      assert.equal(readdirSync(dir), ['scores.npy'], 'no temporary file left');
    } finally {
      model.dispose();
    }
  });

  s('inverseHvp of a wrong shape is a ShapeError and allocates nothing', async () => {
    const model = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    try {
      const bad = c.keep(c.zeros([2, P + 1], 'float64'));
      noGrowth('inverseHvp() of a wrong shape', await growth(() => throwsType(() => model.inverseHvp(bad), c.ShapeError, new RegExp(`\\[m, ${P}\\]`))));
      bad.dispose();
    } finally {
      model.dispose();
    }
  });

  s('inverseHvp of one gradient [P] returns a live vector [P] equal to the row of the matrix solve', () => {
    const model = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    try {
      const g = model.gradients(test);
      const rows = model.inverseHvp(g);
      const v = c.reshape(c.slice(g, [2, 0], [1, P]), [P]);
      const one = model.inverseHvp(v);
      assert.not.ok(one.x.isDisposed, 'the returned vector is alive');
      assert.not.ok(v.isDisposed, "the caller's vector is left alone");
      assert.equal(one.x.shape, [P]);
      assert.is(one.stats.solves, 1);
      const want = c.reshape(c.slice(rows.x, [2, 0], [1, P]), [P]).dataSync();
      assert.ok(relErr(one.x.dataSync(), want) < 1e-12, `vector vs matrix solve: ${relErr(one.x.dataSync(), want)}`);
      throwsType(() => model.inverseHvp(c.zeros([P - 1], 'float64')), c.ShapeError, /one gradient/);
      throwsType(() => model.inverseHvp(c.zeros([1, 1, P], 'float64')), c.ShapeError);
    } finally {
      model.dispose();
    }
  });

  s.run();
}
