import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../../src/index.js';
import { writeNpy } from '../../../src/io/npy.js';
import { relErr, testBackends } from '../../helpers.js';
import { smallProblem } from '../problem.js';

async function rejectsType(p: Promise<unknown>, type: new (...a: any[]) => Error, re?: RegExp): Promise<void> {
  let caught: unknown;
  try { await p; } catch (err) { caught = err; }
  assert.instance(caught, type, `expected ${type.name}, got ${String(caught)}`);
  if (re) assert.match((caught as Error).message, re);
}

for (const backend of testBackends()) {
  const s = suite(`InfluenceService on .npy chunks, perturbation and group [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test, model } = smallProblem(21);
  const dir = mkdtempSync(join(tmpdir(), 'curv-service-chunks-'));
  const x = join(dir, 'x.npy'), y = join(dir, 'y.npy');
  writeNpy(x, { data: Float64Array.from(train.x.dataSync()), shape: [...train.x.shape], dtype: 'float64' });
  writeNpy(y, { data: Int32Array.from(train.y.dataSync()), shape: [...train.y.shape], dtype: 'int32' });
  const options: c.InfluenceOptions = { hessian: 'gauss-newton', solver: 'cg', solverOptions: { rtol: 1e-12, maxIter: 200 }, damping: 0.05 };

  s('a service started on an npy chunk spec fits and scores like InfluenceModel in memory; LOO/PBRF need memory', async () => {
    const local = c.InfluenceModel.fit(objective, theta, train, options);
    const service = await c.InfluenceService.start(objective, theta, { kind: 'npy', x, y, chunkRows: 7 });
    try {
      await service.fit(options);
      const r = await service.scores(test, { topK: 2 });
      assert.is(r.nTrain, 30);
      assert.ok(relErr(r.scores!, local.influence(test).scores.dataSync()) < 1e-8);
      const self = await service.selfInfluence();
      assert.ok(relErr(self.scores, local.selfInfluence().scores.dataSync()) < 1e-8);
      const groups = [[0, 1, 2], [29, 7]];
      const g = await service.group(test, groups);
      assert.equal(g.shape, [4, 2]);
      assert.ok(relErr(g.data, c.groupInfluence(local, test, groups).dataSync()) < 1e-8);
      await rejectsType(service.leaveOneOut(test, [0]), c.InputError, /in memory/);
      await rejectsType(service.pbrf(test, [0], { damping: 0.05 }), c.InputError, /in memory/);
    } finally {
      await service.close();
      local.dispose();
    }
  });

  s('perturbation influence through the service equals perturbationInfluence on this thread', async () => {
    const local = c.InfluenceModel.fit(objective, theta, train, options);
    const service = await c.InfluenceService.start(objective, theta, train);
    try {
      await rejectsType(service.perturbation(test, c.batchOf(train, 0, 3)), c.InputError, /call fit\(\)/);
      await service.fit(options);
      const some = c.batchOf(train, 4, 3);
      const p = await service.perturbation(test, some, { output: { logit: 1 } });
      const want = c.perturbationInfluence(local, test, some, { output: { logit: 1 } });
      assert.equal(p.shape, [...want.shape]);
      assert.ok(relErr(p.data, want.dataSync()) < 1e-8);
      await rejectsType(service.group(test, [[0, 99]]), c.InputError, /outside \[0, 30\)/);
    } finally {
      await service.close();
      local.dispose();
    }
  });

  s('bad npy specs are typed errors on the main thread', async () => {
    await rejectsType(c.InfluenceService.start(objective, theta, { kind: 'npy', x: join(dir, 'nope.npy'), y, chunkRows: 7 }), c.InputError, /not found/);
    await rejectsType(c.InfluenceService.start(objective, theta, { kind: 'npy', x, y, chunkRows: 0 }), c.InputError, /chunkRows/);
    const wide = c.Sequential.mlp([5, 3], 'tanh');
    await rejectsType(c.InfluenceService.start(new c.Objective(wide, c.crossEntropyLoss), wide.init({ dtype: 'float64' }), { kind: 'npy', x, y, chunkRows: 7 }), c.ShapeError, /4 features.*expects 5/);
    assert.ok(model.numParams > 0);
  });

  s.run();
}
