import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../../../src/index.js';
import { relErr } from '../../helpers.js';
import { smallProblem } from '../problem.js';
import { rejectsType, slowProblem } from './service-helpers.js';

/**
 * Issue 10, defect 3 (InfluenceService races) and the service half of defect 2 (temporary files
 * when the worker stops). The backend does not matter here: js.
 */


const s = suite('InfluenceService lifecycle: queued calls, restarts, temporary files, process exit');
c.setBackend('js');
const { objective, theta, train, test } = smallProblem(21);
const root = mkdtempSync(join(tmpdir(), 'curv-service-life-'));
// Other files' suites may change the active backend between this file's loading and its run.
s.before(() => { c.setBackend('js'); });
s.after(() => rmSync(root, { recursive: true, force: true }));

s('a fit after a cancelled fit succeeds: the old worker\'s exit does not fail the new worker\'s calls', async () => {
  const slow = slowProblem();
  const service = await c.InfluenceService.start(slow.objective, slow.theta, slow.train);
  try {
    for (let trial = 0; trial < 3; trial++) {
      const ctl = new AbortController();
      // Aborted as soon as the worker reports that the (second-long) fit has begun.
      await rejectsType(service.fit({ solver: 'direct', hessian: 'gauss-newton', damping: 1e-3 }, {
        signal: ctl.signal, onProgress: (p) => { if (p.done === 0) ctl.abort(); },
      }), c.CancelledError);
      const r = await service.fit({ solver: 'cg', hessian: 'gauss-newton', damping: 1e-3, solverOptions: { maxIter: 3 } });
      assert.ok(r.seconds >= 0, `trial ${trial}: the fit after a cancelled one resolves`);
    }
  } finally {
    await service.close();
  }
});

s('scores() issued while fit() runs waits for it; a fit() issued while scores() run waits for them', async () => {
  const service = await c.InfluenceService.start(objective, theta, train);
  try {
    const order: string[] = [];
    const note = <T>(name: string, p: Promise<T>): Promise<T> => p.then((v) => { order.push(name); return v; });
    const gn = { solver: 'direct' as const, hessian: 'gauss-newton' as const, damping: 1 };
    const f1 = note('fit', service.fit({ solver: 'direct' }));
    const r1 = note('scores', service.scores(test, { chunkSize: 1 }));
    const s1 = note('self', service.selfInfluence({ chunkSize: 3 }));
    const f2 = note('fit 2', service.fit(gn));
    const r2 = note('scores 2', service.scores(test));
    const [, a, self, , b] = await Promise.all([f1, r1, s1, f2, r2]);
    assert.is(order[0], 'fit');
    assert.equal(order.slice(1, 3).sort(), ['scores', 'self']);
    assert.equal(order.slice(3), ['fit 2', 'scores 2']);
    const exact = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    const damped = c.InfluenceModel.fit(objective, theta, train, gn);
    assert.ok(relErr(a.scores!, exact.influence(test).scores.dataSync()) < 1e-12, 'the first scores used the first fit');
    assert.ok(relErr(self.scores, exact.selfInfluence().scores.dataSync()) < 1e-12);
    assert.ok(relErr(b.scores!, damped.influence(test).scores.dataSync()) < 1e-12, 'the second scores used the second fit');
    // A queued call can still be cancelled while it waits for its turn.
    const f3 = service.fit({ solver: 'direct' });
    const ctl = new AbortController();
    const waiting = service.scores(test, {}, { signal: ctl.signal });
    ctl.abort();
    await rejectsType(waiting, c.CancelledError, /before it started/);
    await f3;
  } finally {
    await service.close();
  }
});

s('close() in the middle of a scoring pass leaves no temporary .npy behind', async () => {
  const service = await c.InfluenceService.start(objective, theta, train);
  await service.fit({ solver: 'direct' });
  const dir = mkdtempSync(join(root, 'closed-'));
  const out = join(dir, 'closed.npy');
  let closing: Promise<void> | null = null;
  await rejectsType(service.scores(test, { chunkSize: 1, npyPath: out }, {
    onProgress: (p) => { if (p.done >= 3 && !closing) closing = service.close(); },
  }), c.CancelledError, /closed/);
  assert.ok(closing, 'close() was called mid-stream');
  await closing;
  assert.equal(readdirSync(dir), [], 'neither the target nor a .partial');
});

s('a worker terminated by another call\'s cancellation takes a scoring pass\'s temporary .npy with it', async () => {
  const service = await c.InfluenceService.start(objective, theta, train);
  const dir = mkdtempSync(join(root, 'terminated-'));
  try {
    await service.fit({ solver: 'direct' });
    const out = join(dir, 'terminated.npy');
    const ctl = new AbortController();
    let pbrf: Promise<unknown> | null = null;
    const scoring = service.scores(test, { chunkSize: 1, npyPath: out }, {
      onProgress: (p) => {
        // PBRF is one synchronous computation: cancelling it terminates the worker.
        if (p.done >= 2 && !pbrf) pbrf = service.pbrf(test, [0, 1, 2, 3, 4, 5, 6, 7], { damping: 1e-2 }, { signal: ctl.signal, onProgress: () => ctl.abort() });
      },
    });
    await rejectsType(scoring, c.CancelledError);
    assert.ok(pbrf, 'pbrf was started mid-stream');
    await rejectsType(pbrf!, c.CancelledError, /pbrf was cancelled/);
  } finally {
    await service.close(); // resolves once every worker is gone and cleaned up after
  }
  assert.equal(readdirSync(dir), []);
});

s('a service that is never closed does not keep the process alive (child process exits by itself)', async () => {
  const script = fileURLToPath(new URL('../child/unclosed-service.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  // A safety net so a regression fails instead of hanging the suite; not a timing assertion.
  const LIMIT_S = 120;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    new Promise<'hung'>((resolve) => { timer = setTimeout(() => resolve('hung'), LIMIT_S * 1000); }),
  ]);
  clearTimeout(timer);
  if (outcome === 'hung') {
    child.kill('SIGKILL');
    assert.unreachable(`the child process did not exit within ${LIMIT_S} s after its last call (stdout: ${stdout.trim()})`);
  } else {
    assert.equal(outcome, { code: 0, signal: null }, `child failed: ${stderr}`);
    assert.match(stdout, /scored 4x30, self-influence of 30/);
  }
});

s.run();
