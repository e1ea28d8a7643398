import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as c from '../../../src/index.js';
import { randn, relErr, testBackends } from '../../helpers.js';
import { smallProblem } from '../problem.js';
import { rejectsType, slowProblem } from './service-helpers.js';



for (const backend of testBackends()) {
  const s = suite(`InfluenceService (worker thread) [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test, rng } = smallProblem(21);
  const dir = mkdtempSync(join(tmpdir(), 'curv-service-'));

  s('fit, scores, top-k, self-influence, LOO and PBRF in the worker equal the same calls on this thread', async () => {
    const service = await c.InfluenceService.start(objective, theta, train);
    try {
      const progress: string[] = [];
      await service.fit({ solver: 'direct' }, { onProgress: (p) => progress.push(`${p.phase}:${p.done}`) });
      assert.equal(progress, ['fit:0', 'fit:1']);
      const local = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
      const r = await service.scores(test, { chunkSize: 7, topK: 3, output: 'loss' });
      assert.ok(relErr(r.scores!, local.influence(test).scores.dataSync()) < 1e-12);
      const lr = await c.streamInfluence(local, test, c.chunked(train, 7), { topK: 3 });
      assert.equal(r.topK, lr.topK);
      const p = await service.scores(test, { output: { probability: 1 } });
      const lp = await c.streamInfluence(local, test, c.chunked(train, 5), { output: { probability: 1 } });
      assert.ok(relErr(p.scores!, lp.scores!) < 1e-12);
      const si = await service.selfInfluence({ chunkSize: 4 });
      assert.ok(relErr(si.scores, local.selfInfluence().scores.dataSync()) < 1e-12);
      const loo = await service.leaveOneOut(test, [2, 5], { gradTol: 1e-10 });
      const lloo = c.leaveOneOut(objective, theta, train, test, [2, 5], { gradTol: 1e-10 });
      assert.ok(relErr(loo.deltas.flatMap((d) => [...d]), lloo.deltas.flatMap((d) => [...d])) < 1e-6);
      const pb = await service.pbrf(test, [1], { damping: 1e-2 });
      const lpb = c.pbrf(objective, theta, train, test, [1], { damping: 1e-2 });
      assert.ok(relErr(pb.deltas[0]!, lpb.deltas[0]!) < 1e-6);
    } finally {
      await service.close();
    }
  });

  s('typed errors cross the thread; scoring before fit, function outputs and a closed service are refused', async () => {
    await rejectsType(c.InfluenceService.start(objective, c.zeros([5], 'float64'), train), c.ShapeError);
    const service = await c.InfluenceService.start(objective, theta, train);
    try {
      await rejectsType(service.scores(test), c.InputError, /call fit\(\)/);
      await service.fit({ solver: 'cg', solverOptions: { rtol: 1e-10 } });
      await rejectsType(service.scores({ x: randn(rng, [2, 3]), y: c.tensor([0, 1], [2], 'int32') }), c.ShapeError, /features/);
      await rejectsType(service.scores({ x: test.x, y: c.tensor([0, 1, 9, 0], [4], 'int32') }), c.InputError, /outside \[0, 3\)/);
      await rejectsType(service.scores(test, { output: { logit: 7 } }), c.InputError, /\[0, 3\)/);
      await rejectsType(service.scores(test, { output: ((z: c.Tensor) => z) as unknown as 'loss' }), c.InputError, /function output/);
      await rejectsType(service.fit({ solver: 'nope' as 'cg' }), c.InputError);
      await service.fit({ solver: 'direct' });
      assert.is((await service.scores(test)).nTrain, 30, 'still usable after errors');
    } finally {
      await service.close();
    }
    await rejectsType(service.scores(test), c.InputError, /closed/);
  });

  s('cancellation: an aborted scoring pass leaves no .npy; an aborted fit stops the worker and needs a new fit', async () => {
    const service = await c.InfluenceService.start(objective, theta, train);
    try {
      await service.fit({ solver: 'direct' });
      const path = join(dir, 'scores.npy');
      const ctl = new AbortController();
      await rejectsType(service.scores(test, { chunkSize: 2, npyPath: path }, {
        signal: ctl.signal, onProgress: (p) => { if (p.done >= 6) ctl.abort(); },
      }), c.CancelledError);
      assert.not.ok(existsSync(path));
      assert.equal(readdirSync(dir), []);
      // Still fitted: the same call without abort writes the file.
      await service.scores(test, { chunkSize: 2, npyPath: path, keepScores: false });
      assert.ok(existsSync(path));
      const slow = slowProblem();
      const big = await c.InfluenceService.start(slow.objective, slow.theta, slow.train);
      const fitCtl = new AbortController();
      // Aborted as soon as the worker reports that the fit has begun, not after a fixed delay: on
      // native the fit takes about 0.15 s, near any timer one could pick (no bound on how long the
      // abort takes: a test never asserts a time).
      await rejectsType(big.fit({ solver: 'direct', hessian: 'gauss-newton', damping: 1e-3 }, {
        signal: fitCtl.signal, onProgress: (p) => { if (p.done === 0) fitCtl.abort(); },
      }), c.CancelledError);
      await rejectsType(big.scores(test), c.InputError, /call fit\(\)/);
      await big.close();
      await rejectsType(service.scores(test, {}, { signal: AbortSignal.abort() }), c.CancelledError);
    } finally {
      await service.close();
    }
  });

  s.run();
}

const loop = suite('InfluenceService keeps the event loop responsive');
loop('timers keep firing while the worker fits; none fire during the same fit on the main thread', async () => {
  c.setBackend('js');
  const { objective, theta, train } = slowProblem();
  const options = { solver: 'direct' as const, hessian: 'gauss-newton' as const, damping: 1e-3 };
  const service = await c.InfluenceService.start(objective, theta, train);
  // A behaviour, not a time: count timer callbacks that run while each fit is in progress.
  const ticker = () => {
    let ticks = 0, running = true;
    const tick = (): void => { if (running) { ticks++; setTimeout(tick, 5); } };
    setTimeout(tick, 5);
    return { stop: () => { running = false; return ticks; } };
  };
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t0 = performance.now();
  const during = ticker();
  await service.fit(options);
  const asyncTicks = during.stop();
  const asyncSeconds = (performance.now() - t0) / 1000;
  h.disable();
  await service.close();
  let syncTicks = 0;
  const t1 = performance.now();
  const sync = ticker();
  c.InfluenceModel.fit(objective, theta, train, options).dispose();
  syncTicks = sync.stop();
  const syncSeconds = (performance.now() - t1) / 1000;
  console.log(`  event loop (information, not asserted): fit in worker ${asyncSeconds.toFixed(2)} s with ${asyncTicks} timer callbacks, max delay ${(h.max / 1e6).toFixed(1)} ms; ` +
    `same fit on the main thread ${syncSeconds.toFixed(2)} s with ${syncTicks} timer callbacks`);
  assert.ok(asyncTicks >= 2, `timers ran while the worker fitted (${asyncTicks} callbacks)`);
  assert.is(syncTicks, 0, 'a synchronous fit blocks every timer until it returns');
});
loop.run();
