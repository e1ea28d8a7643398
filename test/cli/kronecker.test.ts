import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { readNpy } from '../../src/io/npy.js';
import { get } from '../fixtures.js';
import { runCli, tinyFiles } from './fixture-files.js';

/**
 * Issue 12 in the CLI: --solver kfac|ekfac, --preconditioner ekfac, --fisher-samples,
 * --damping-heuristic, --kronecker-fallback, and --save-fit/--load-fit with the stages saved by name.
 * Scores are checked against the library (same θ, data and options) to round-off, so the flags
 * reach the solver with their meaning.
 */
const { fx, dir, model, theta, common, testFlags } = tinyFiles(3);
const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
const train = { x: c.tensor(get(fx, 'train_x').data, [500, 49], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'train_y').data), [500], 'int32') };
const testSet = { x: c.tensor(get(fx, 'test_x').data.slice(0, 3 * 49), [3, 49], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'test_y').data.slice(0, 3)), [3], 'int32') };

function run(args: string[], name: string) {
  const out = join(dir, `${name}.npy`), json = join(dir, `${name}.json`);
  const r = runCli(['influence', ...common, ...testFlags, '--out', out, '--json', json, '--quiet', ...args]);
  return { ...r, out, json };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0, s = 0;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i]! - b[i]!)); s = Math.max(s, Math.abs(b[i]!)); }
  return m / s;
}

const CASES: [string, string[], c.InfluenceOptions][] = [
  ['ekfac', ['--solver', 'ekfac', '--hessian', 'gauss-newton', '--damping', '0.01'], { solver: 'ekfac', hessian: 'gauss-newton', damping: 0.01 }],
  ['kfac-sampled', ['--solver', 'kfac', '--hessian', 'gauss-newton', '--fisher-samples', '2', '--seed', '3', '--damping-heuristic'],
    { solver: 'kfac', hessian: 'gauss-newton', solverOptions: { fisherSamples: 2, seed: 3, dampingHeuristic: true } }],
  ['ekfac-empirical', ['--solver', 'ekfac', '--hessian', 'empirical-fisher', '--damping', '0.1'], { solver: 'ekfac', hessian: 'empirical-fisher', damping: 0.1 }],
];

for (const [name, flags, options] of CASES) {
  test(`${name}: CLI scores equal the library's (≤ 1e-12 relative); the JSON reports an approximation with its form`, () => {
    const r = run(flags, name);
    assert.is(r.status, 0, r.stderr);
    const got = readNpy(readFileSync(r.out)).data as Float64Array;
    const infl = c.InfluenceModel.fit(objective, theta, train, options);
    const want = infl.influence(testSet).scores.dataSync();
    infl.dispose();
    assert.ok(maxRelDiff(got, want) <= 1e-12, `max rel diff ${maxRelDiff(got, want)}`);
    const j = JSON.parse(readFileSync(r.json, 'utf8')) as { exact: boolean; converged: unknown; approximation: Record<string, unknown> };
    assert.is(j.exact, false);
    assert.is(j.converged, null);
    assert.is(j.approximation['method'], options.solver);
    assert.is(j.approximation['form'], options.hessian === 'empirical-fisher' ? 'empirical-fisher' : flags.includes('--fisher-samples') ? 'sampled-fisher' : 'gauss-newton');
  });
}

test('--save-fit with ekfac writes covariances, eigendecompositions and corrections as named stages; --load-fit reproduces the bytes', () => {
  const fit = join(dir, 'fit-ekfac');
  const a = run(['--solver', 'ekfac', '--hessian', 'gauss-newton', '--damping', '0.01', '--save-fit', fit], 'save-a');
  assert.is(a.status, 0, a.stderr);
  assert.equal(readdirSync(fit).sort(), ['corrections.safetensors', 'covariances.safetensors', 'eigendecompositions.safetensors', 'manifest.json', 'solver.safetensors']);
  const manifest = JSON.parse(readFileSync(join(fit, 'manifest.json'), 'utf8')) as { stages: Record<string, { tensors: { name: string }[] }> };
  assert.ok(manifest.stages['covariances']!.tensors.some((t) => t.name === 'covariances.0.A'), 'covariance A of layer 0');
  assert.ok(manifest.stages['corrections']!.tensors.some((t) => t.name === 'corrections.2.corrections'), 'corrections of layer 2');
  const b = run(['--load-fit', fit], 'save-b');
  assert.is(b.status, 0, b.stderr);
  assert.ok(Buffer.compare(readFileSync(a.out), readFileSync(b.out)) === 0, 'scores differ after --load-fit');
  const other = run(['--load-fit', fit, '--solver', 'kfac'], 'save-c');
  assert.is(other.status, 2, other.stderr);
  assert.match(other.stderr, /solver differs/);
});

test('--preconditioner ekfac: CG converges to the direct solve (exit 0, scores ≤ 1e-6 relative)', () => {
  const d = run(['--solver', 'direct'], 'pcg-direct');
  const p = run(['--solver', 'cg', '--preconditioner', 'ekfac', '--rtol', '1e-10'], 'pcg-ekfac');
  assert.is(d.status, 0, d.stderr);
  assert.is(p.status, 0, p.stderr);
  const e = maxRelDiff(readNpy(readFileSync(p.out)).data as Float64Array, readNpy(readFileSync(d.out)).data as Float64Array);
  assert.ok(e <= 1e-6, `max rel diff ${e}`);
  const j = JSON.parse(readFileSync(p.json, 'utf8')) as { solve: { info: { preconditioner?: { kind: string } }[] } };
  assert.is(j.solve.info[0]!.preconditioner?.kind, 'ekfac');
});

test('--query-rank R: scores equal the library\'s with queryRank R; the JSON reports the rank and each test point\'s relative error', () => {
  const r = run(['--solver', 'ekfac', '--hessian', 'gauss-newton', '--damping', '0.01', '--query-rank', '2'], 'query-rank');
  assert.is(r.status, 0, r.stderr);
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'ekfac', hessian: 'gauss-newton', damping: 0.01, queryRank: 2 });
  const { scores, stats } = infl.influence(testSet);
  const want = scores.dataSync();
  infl.dispose();
  const got = readNpy(readFileSync(r.out)).data as Float64Array;
  assert.ok(maxRelDiff(got, want) <= 1e-12, `max rel diff ${maxRelDiff(got, want)}`);
  const j = JSON.parse(readFileSync(r.json, 'utf8')) as { queryRank: { rank: number; relativeError: number[] } };
  assert.is(j.queryRank.rank, 2);
  assert.equal(j.queryRank.relativeError.length, 3);
  j.queryRank.relativeError.forEach((e, i) => assert.ok(Math.abs(e - stats.queryRank!.relativeError[i]!) <= 1e-12, `error ${i}`));
  assert.ok(j.queryRank.relativeError.some((e) => e > 0), 'rank 2 of [8, 50] layer matrices is an approximation');
  const bad = run(['--solver', 'ekfac', '--query-rank', '0'], 'query-rank-bad');
  assert.is(bad.status, 2, bad.stderr);
});

test('Kronecker flags a solver would ignore exit 2 naming who reads them', () => {
  const cases: [string[], RegExp][] = [
    [['--solver', 'direct', '--fisher-samples', '2'], /--fisher-samples does not apply to --solver direct.*kfac, ekfac/],
    [['--solver', 'cg', '--preconditioner', 'nystrom', '--fisher-samples', '2'], /--fisher-samples does not apply/],
    [['--solver', 'cg', '--damping-heuristic'], /--damping-heuristic does not apply/],
    [['--solver', 'ekfac', '--block-diagonal'], /--block-diagonal does not apply to --solver ekfac/],
    [['--solver', 'ekfac', '--kronecker-fallback', 'ekfac'], /kronecker-fallback/],
    [['--solver', 'ekfac', '--hessian', 'empirical-fisher', '--fisher-samples', '2'], /empirical Fisher/],
  ];
  for (const [flags, pattern] of cases) {
    const r = run(flags, 'bad');
    assert.is(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, flags.join(' '));
  }
});

test.run();
