import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy } from '../../src/io/npy.js';
import * as c from '../../src/index.js';
import { get } from '../fixtures.js';
import { relErr } from '../helpers.js';
import { runCli, tinyFiles } from './fixture-files.js';

/** `curvature influence`'s flags on the mlp-tiny fixture, checked against independent dense algebra. */
// The in-process references run on the js oracle; pin it for the tensors made here and for every test
// (in a full run, other files leave another backend active between import and execution).
c.setBackend('js');
test.before.each(() => { c.setBackend('js'); });
const { fx, dir, model, theta, common, testFlags } = tinyFiles(4);
const train = { x: c.tensor(get(fx, 'train_x').data, [500, 49], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'train_y').data), [500], 'int32') };
const testSet = { x: c.tensor(get(fx, 'test_x').data.slice(0, 4 * 49), [4, 49], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'test_y').data.slice(0, 4)), [4], 'int32') };
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);

function influence(args: string[], name: string, allowNotConverged = false) {
  const out = join(dir, `${name}.npy`), json = join(dir, `${name}.json`);
  const r = runCli(['influence', ...common, ...testFlags, '--out', out, '--json', json, ...args]);
  // Exit 3: an iterative solver stopped before its tolerance (outputs are still written).
  assert.ok(r.status === 0 || (allowNotConverged && r.status === 3), `exit ${r.status}: ${r.stderr}`);
  if (r.status === 3) assert.is(JSON.parse(readFileSync(json, 'utf8')).solve.converged, false);
  return { scores: readNpy(out).data as Float64Array, summary: JSON.parse(readFileSync(json, 'utf8')), stderr: r.stderr };
}

test('--hessian empirical-fisher: scores equal −g_testᵀ(GᵀG/N + λI)⁻¹g_train from dense algebra', () => {
  const { scores, summary } = influence(['--hessian', 'empirical-fisher', '--solver', 'direct', '--quiet'], 'ef');
  assert.is(summary.hessian, 'empirical-fisher');
  const ref = c.tidy(() => {
    const g = objective.perSampleGradients(theta, train), gt = objective.perSampleGradients(theta, testSet);
    const f = c.add(c.mul(c.matmul(g, g, { transA: true }), 1 / 500), c.mul(c.eye(490, 'float64'), 1e-3));
    const s = c.choleskySolve(c.cholesky(f), c.transpose(gt));
    return c.neg(c.matmul(c.transpose(s), g, { transB: true })).dataSync();
  });
  assert.ok(relErr(scores, ref) <= 1e-8, `rel ${relErr(scores, ref)}`);
});

test('--top: helpful = most negative I_up,loss, harmful = most positive, consistent with --out; --chunk does not change scores', () => {
  const a = influence(['--solver', 'direct', '--top', '5', '--chunk', '1024', '--quiet'], 'top');
  const b = influence(['--solver', 'direct', '--top', '5', '--chunk', '7', '--quiet'], 'chunk7');
  assert.ok(relErr(b.scores, a.scores) <= 1e-12);
  assert.is(a.summary.top.length, 4);
  for (const [i, t] of a.summary.top.entries()) {
    const row = Array.from(a.scores.subarray(i * 500, (i + 1) * 500));
    const sorted = [...row].sort((x, y) => x - y);
    assert.equal(t.helpful.map((r: { score: number }) => r.score), sorted.slice(0, 5));
    assert.equal(t.harmful.map((r: { score: number }) => r.score), sorted.slice(-5).reverse());
    for (const r of t.helpful) {
      assert.is(row[r.index], r.score);
      assert.ok(Math.abs(r.predictedDelta + r.score / 500) <= 1e-15 * Math.abs(r.score));
    }
  }
});

test('--self and --self-out: ∇ℓᵀH⁻¹∇ℓ per training point, as the library computes it; no test data needed', () => {
  const out = join(dir, 'self.npy'), json = join(dir, 'self.json');
  const r = runCli(['influence', ...common, '--solver', 'direct', '--self-out', out, '--top', '3', '--json', json, '--quiet']);
  assert.is(r.status, 0, r.stderr);
  const self = readNpy(out).data as Float64Array;
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  const ref = infl.selfInfluence().scores.dataSync();
  infl.dispose();
  assert.ok(relErr(self, ref) <= 1e-10);
  const summary = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(summary.top, null);
  const best = Array.from(self.keys()).sort((a, b) => self[b]! - self[a]!).slice(0, 3);
  assert.equal(summary.self.top.map((e: { index: number }) => e.index), best);
  assert.ok(self.every((v) => v > 0));
});

test('progress goes to stderr (fit, solves, scoring); --quiet silences it; --json - puts the JSON on stdout', () => {
  const r = runCli(['influence', ...common, ...testFlags, '--solver', 'cg', '--rtol', '1e-6', '--chunk', '50', '--json', '-']);
  assert.is(r.status, 0, r.stderr);
  assert.not.match(r.stderr, /fitting cg/, 'cg fits nothing before its solves');
  assert.match(r.stderr, /solving 4 test points \(cg\): done, 4\/4/);
  assert.match(r.stderr, /scoring training points: done, 500\/500/);
  const summary = JSON.parse(r.stdout);
  assert.is(summary.solve.method, 'cg');
  assert.is(summary.solve.histories.length, 4);
  for (const [i, h] of summary.solve.histories.entries()) {
    assert.is(h.length, summary.solve.iterations[i] + 1);
    assert.ok(h[h.length - 1] <= h[0] * 1e-6);
  }
  const d = runCli(['influence', ...common, ...testFlags, '--solver', 'direct']);
  assert.match(d.stderr, /fitting direct \(exact curvature, 490 parameters\): done, 490\/490/, 'the dense build counts its 490 products');
  const q = runCli(['influence', ...common, ...testFlags, '--solver', 'direct', '--quiet']);
  assert.is(q.status, 0);
  assert.is(q.stderr, '');
});

test('every solver runs from the CLI with its options (block-diagonal too), on the Gauss-Newton Hessian', () => {
  const base = influence(['--hessian', 'gauss-newton', '--solver', 'direct', '--quiet'], 'base').scores;
  const cases: [string[], number, boolean?][] = [
    [['--solver', 'block-cg', '--rtol', '1e-10'], 1e-6],
    [['--solver', 'cg', '--preconditioner', 'nystrom', '--rank', '20', '--rtol', '1e-10'], 1e-6],
    [['--solver', 'nystrom', '--rank', '490'], 1e-6],
    [['--solver', 'arnoldi', '--rank', '489', '--max-iter', '490'], 1e-2],
    [['--solver', 'neumann', '--max-iter', '20'], Infinity],
    [['--solver', 'lissa', '--depth', '20', '--repeats', '1', '--lissa-batch-size', '100'], Infinity],
    [['--solver', 'datainf', '--damping', '0.1'], Infinity],
    // The empirical Fisher has a closed-form diagonal (the Gauss-Newton one would be a Hutchinson estimate).
    [['--solver', 'diagonal'], Infinity, true],
    [['--solver', 'direct', '--block-diagonal'], Infinity],
  ];
  for (const [args, tol, fisher] of cases) {
    const { scores, summary } = influence(['--hessian', fisher ? 'empirical-fisher' : 'gauss-newton', ...args, '--quiet'], `s-${args[1]}-${args.length}`, !Number.isFinite(tol));
    assert.is(scores.length, 2000, args.join(' '));
    assert.ok(scores.every(Number.isFinite), args.join(' '));
    assert.is(summary.solver, args[1]);
    const approximate = ['arnoldi', 'nystrom', 'datainf', 'diagonal'].includes(args[1]!);
    assert.is(summary.exact, !approximate, args.join(' '));
    if (approximate) assert.is(summary.converged, null, `${args.join(' ')}: an approximate method reports no convergence`);
    if (Number.isFinite(tol)) assert.ok(relErr(scores, base) <= tol, `${args.join(' ')}: rel ${relErr(scores, base)}`);
  }
});

test.run();
