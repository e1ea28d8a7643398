import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli, tinyFiles } from './fixture-files.js';

/** Issue 11 item 5: `--save-fit DIR` then `--load-fit DIR` (another process) gives the same .npy bytes; mismatches exit 2. */
const { dir, common, testFlags } = tinyFiles(3);

function run(args: string[], name: string, withSelf = false) {
  const out = join(dir, `${name}.npy`), self = join(dir, `${name}-self.npy`);
  const r = runCli(['influence', ...common, ...testFlags, '--out', out, ...(withSelf ? ['--self-out', self] : []), '--quiet', ...args]);
  return { ...r, out, self };
}

const CASES: [string, string[]][] = [
  ['direct', ['--solver', 'direct']],
  ['cg-jacobi', ['--solver', 'cg', '--preconditioner', 'jacobi', '--rtol', '1e-6']],
  ['nystrom-block', ['--solver', 'nystrom', '--hessian', 'gauss-newton', '--rank', '5', '--block-diagonal']],
  ['lissa', ['--solver', 'lissa', '--hessian', 'gauss-newton', '--damping', '0.01', '--depth', '20']],
];

for (const [name, flags] of CASES) {
  test(`${name}: --save-fit then --load-fit (without the solver flags, and with them) write the same .npy bytes`, () => {
    const fit = join(dir, `fit-${name}`);
    const a = run([...flags, '--save-fit', fit], `${name}-a`, name === 'direct');
    assert.ok(a.status === 0 || a.status === 3, `exit ${a.status}: ${a.stderr}`);
    assert.equal(readdirSync(fit).sort(), ['manifest.json', 'solver.safetensors']);
    const b = run(['--load-fit', fit], `${name}-b`, name === 'direct');
    assert.is(b.status, a.status, b.stderr);
    assert.ok(Buffer.compare(readFileSync(a.out), readFileSync(b.out)) === 0, 'scores differ');
    if (name === 'direct') assert.ok(Buffer.compare(readFileSync(a.self), readFileSync(b.self)) === 0, 'self-influence differs');
    const c = run([...flags, '--load-fit', fit], `${name}-c`);
    assert.is(c.status, a.status, c.stderr);
    assert.ok(Buffer.compare(readFileSync(a.out), readFileSync(c.out)) === 0, 'scores differ (flags given)');
  });
}

test('--load-fit: a solver, hessian, damping or option flag that disagrees with the fit exits 2 naming the field', () => {
  const fit = join(dir, 'fit-direct');
  const cases: [string[], RegExp][] = [
    [['--solver', 'cg'], /solver differs/],
    [['--hessian', 'gauss-newton'], /hessian differs/],
    [['--damping', '0.5'], /damping differs/],
    [['--solver', 'direct', '--block-diagonal'], /blockDiagonal/],
  ];
  for (const [flags, pattern] of cases) {
    const r = run(['--load-fit', fit, ...flags], 'mismatch');
    assert.is(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, flags.join(' '));
  }
  const missing = run(['--load-fit', join(dir, 'no-such-fit')], 'missing');
  assert.is(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /no saved fit/);
});

test('--save-fit: a run that fails leaves no fit and no temporary directory; a foreign non-empty directory is refused before computing', () => {
  const fit = join(dir, 'fit-failed');
  const r = runCli(['influence', ...common, ...testFlags, '--solver', 'direct', '--quiet', '--save-fit', fit, '--report', join(dir, 'no-such-folder', 'r.html')]);
  assert.is(r.status, 2, r.stderr);
  assert.not.ok(existsSync(fit));
  assert.is(readdirSync(dir).filter((f) => f.endsWith('.partial')).length, 0);
  const foreign = run(['--save-fit', dir], 'foreign');
  assert.is(foreign.status, 2);
  assert.match(foreign.stderr, /not empty and holds no fit/);
});

test.run();
