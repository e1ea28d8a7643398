import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../../src/index.js';
import { testBackends } from '../../helpers.js';
import { smallProblem } from '../problem.js';

/** InfluenceService.save/load: a fit made in one worker is scored by another, bit for bit; a mismatch is a typed error. */
for (const backend of testBackends()) {
  const s = suite(`InfluenceService save and load [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test } = smallProblem(23);
  const dir = mkdtempSync(join(tmpdir(), 'curv-service-fit-'));

  for (const options of [
    { hessian: 'gauss-newton', solver: 'ekfac', damping: 0.01 },
    { hessian: 'exact', solver: 'cg', damping: 0.05, solverOptions: { preconditioner: 'kfac', rtol: 1e-10 } },
  ] as c.InfluenceOptions[]) {
    s(`${options.solver}: save from one service, load into another, scores identical; the local model agrees`, async () => {
      const fit = join(dir, `${options.solver}-${backend}`);
      const a = await c.InfluenceService.start(objective, theta, train);
      let before: Float64Array;
      try {
        await a.fit(options);
        before = (await a.scores(test)).scores!;
        const manifest = await a.save(fit);
        assert.is(manifest.solver, options.solver);
      } finally {
        await a.close();
      }
      assert.ok(readdirSync(fit).includes('manifest.json'));
      const b = await c.InfluenceService.start(objective, theta, train);
      try {
        await b.load(fit);
        const after = (await b.scores(test)).scores!;
        assert.ok(before.every((v, i) => Object.is(v, after[i])), 'scores differ after load');
      } finally {
        await b.close();
      }
      const local = c.InfluenceModel.load(fit, objective, theta, train);
      const here = local.influence(test).scores.dataSync();
      local.dispose();
      assert.ok(before.every((v, i) => Object.is(v, here[i])), 'the in-process load differs');
    });
  }

  s('load against another θ is a FitMismatchError naming θ; save before a fit is an InputError', async () => {
    const fit = join(dir, `ekfac-${backend}`);
    const other = c.add(theta, 1e-3);
    const svc = await c.InfluenceService.start(objective, other, train);
    try {
      let caught: unknown;
      try { await svc.load(fit); } catch (err) { caught = err; }
      assert.instance(caught, c.FitMismatchError);
      assert.match((caught as Error).message, /θ/);
      caught = undefined;
      try { await svc.save(join(dir, 'never')); } catch (err) { caught = err; }
      assert.instance(caught, c.InputError);
    } finally {
      await svc.close();
    }
  });

  s.run();
}
