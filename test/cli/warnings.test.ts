import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { breastCancerModels } from './breast-cancer-models.js';
import { runCli } from './fixture-files.js';

/** Issue 9 item 4: each warning and the exit-3 diagnosis, triggered and read from stderr. */
const { lr, rough } = breastCancerModels();
const on = (model: string) => ['influence', '--model', model, '--data', 'breast-cancer', '--test-index', '0-1', '--quiet'];

test('‖∇J(θ)‖ far from zero: a warning with the figure and a hint; none at a minimum', () => {
  const r = runCli([...on(rough), '--hessian', 'gauss-newton', '--damping', '0.01']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: ‖∇J\(θ\)‖ = \d\.\d\de-\d > 0\.001: the model is not at a minimum .*train longer/);
  const ok = runCli(on(lr));
  assert.is(ok.status, 0, ok.stderr);
  assert.is(ok.stderr, '');
});

test('indefinite curvature: direct falls back to eigh and warns with λ_min', () => {
  const r = runCli([...on(rough), '--json', '-']);
  assert.is(r.status, 0, r.stderr);
  const m = /warning: the curvature is indefinite \(λ_min = (-[\d.e+-]+), Cholesky failed\).*--hessian gauss-newton or --damping > /.exec(r.stderr);
  assert.ok(m, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.is(s.solve.info[0].factorization, 'eigh');
  assert.ok(Math.abs(Number(m![1]) - s.solve.info[0].minEigenvalue) <= 1e-3 * Math.abs(s.solve.info[0].minEigenvalue));
});

test('leave-one-out retrainings that stop short of their tolerance are reported', () => {
  // float32 L-BFGS cannot reach ‖∇J‖ ≤ 1e-10.
  const r = runCli([...on(lr), '--validate', 'loo', '--validate-top', '2', '--dtype', 'float32', '--damping', '0.001', '--json', '-']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: \d+ of \d+ loo retrainings stopped short of their tolerance \(largest ‖∇J₋ⱼ‖ = [\d.e+-]+, training points [\d, ]+\)/);
  assert.ok(JSON.parse(r.stdout).validation.shortOfTolerance.length > 0);
});

test('exit 3 names the solves that did not converge and their residuals', () => {
  const r = runCli([...on(lr), '--solver', 'cg', '--max-iter', '2']);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /not converged: the cg solves below stopped before their tolerance \(rtol 1e-8\)/);
  assert.match(r.stderr, /test-point solve 0: ‖r‖ = [\d.e+-]+, ‖r‖\/‖b‖ = [\d.e+-]+ after 2 iterations/);
  assert.match(r.stderr, /test-point solve 1: /);
  const block = runCli([...on(lr), '--solver', 'block-cg', '--max-iter', '1']);
  assert.is(block.status, 3, block.stderr);
  assert.match(block.stderr, /test-point solve \(all right-hand sides, block CG\)/);
});

test('approximate methods report exact: false with their rank and captured trace fraction, not converged: true', () => {
  const r = runCli([...on(lr), '--solver', 'nystrom', '--rank', '5', '--json', '-']);
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.is(s.exact, false);
  assert.is(s.converged, null);
  assert.is(s.solve.converged, null);
  assert.is(s.approximation.rank, 5);
  assert.ok(s.approximation.capturedTraceFraction > 0 && s.approximation.capturedTraceFraction <= 1, JSON.stringify(s.approximation));
  assert.ok(s.approximation.capturedEigenvalueSum > 0);
  // At full rank the sketch keeps every eigenvalue: the fraction is 1 up to the trace estimate's noise.
  const full = JSON.parse(runCli([...on(lr), '--solver', 'nystrom', '--rank', '31', '--json', '-']).stdout);
  const t = full.approximation.traceEstimate;
  assert.ok(Math.abs(full.approximation.capturedEigenvalueSum - t.value) <= 4 * t.standardError, JSON.stringify(full.approximation));
  for (const solver of ['diagonal', 'datainf']) {
    const d = JSON.parse(runCli([...on(lr), '--solver', solver, '--json', '-']).stdout);
    assert.is(d.exact, false, solver);
    assert.is(d.approximation.method, solver);
    assert.type(d.approximation.note, 'string');
  }
  const human = runCli([...on(lr), '--solver', 'nystrom', '--rank', '5']);
  assert.match(human.stdout, /solver nystrom \(approximate, rank 5, captures \d+\.\d% of the trace\)/);
});

test.run();
