import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers.js';
import { breastCancerModels } from './breast-cancer-models.js';
import { runCli } from './fixture-files.js';

/** The CLI's conventional manners (issue 9 item 5) and the bad flags of issue 10 item 7, as a subprocess. */
const { lr } = breastCancerModels();
const bc = ['--model', lr, '--data', 'breast-cancer', '--test-index', '0-1', '--quiet'];

function fails(args: string[], pattern: RegExp, code = 2): string {
  const r = runCli(args);
  assert.is(r.status, code, `${args.join(' ')}\n${r.stderr}`);
  assert.match(r.stderr, pattern, args.join(' '));
  assert.not.match(r.stderr, /internal error/);
  return r.stderr;
}

test('--version prints the package version', () => {
  const version = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version;
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.is(r.status, 0);
    assert.is(r.stdout.trim(), version);
  }
});

test('every command has --help (exit 0, its flags listed); a bare curvature prints usage', () => {
  const expected: Record<string, RegExp[]> = {
    demo: [/Usage: curvature demo/],
    train: [/--arch <widths>/, /--optimizer <name>/, /--out <file>/],
    influence: [/--model <file>/, /--solver <name>/, /--test-index <list>/, /--override-metadata/, /Exit codes/],
    hvp: [/--vector <file>/, /--hessian <kind>/],
    report: [/--summary <file>/],
  };
  for (const [cmd, patterns] of Object.entries(expected)) {
    const r = runCli([cmd, '--help']);
    assert.is(r.status, 0, cmd);
    for (const p of patterns) assert.match(r.stdout, p, `${cmd} --help`);
  }
  const bare = runCli([]);
  assert.is(bare.status, 0);
  assert.match(bare.stdout, /Usage: curvature \[options\] \[command\]/);
  assert.match(bare.stdout, /Examples:/);
});

test('misspellings get "did you mean"; unknown flags and positionals are bad input', () => {
  fails(['influence', ...bc, '--rtl', '1e-3'], /unknown option '--rtl'\n\(Did you mean --rtol\?\)/);
  fails(['infuence'], /unknown command 'infuence'\n\(Did you mean influence\?\)/);
  fails(['influence', ...bc, 'extra'], /too many arguments|excess/i);
});

test('a flag given twice is rejected, also in --flag=value form', () => {
  fails(['influence', ...bc, '--top', '3', '--top', '4'], /--top given more than once/);
  fails(['influence', ...bc, '--top=3', '--top', '4'], /--top given more than once/);
});

test('solver flags the chosen solver does not read are rejected, naming who reads them', () => {
  fails(['influence', ...bc, '--rtol', '1e-3'], /--rtol does not apply to --solver direct \(the default\): it is read by cg, block-cg, neumann/);
  fails(['influence', ...bc, '--solver', 'cg', '--rank', '5'], /--rank does not apply to --solver cg: .*--preconditioner nystrom/);
  fails(['influence', ...bc, '--solver', 'nystrom', '--depth', '5'], /--depth does not apply to --solver nystrom: it is read by lissa/);
  const ok = runCli(['influence', ...bc, '--solver', 'cg', '--preconditioner', 'nystrom', '--rank', '5', '--rtol', '1e-10']);
  assert.is(ok.status, 0, ok.stderr);
});

test('issue 10 item 7: __proto__/toString solvers, negative damping and an oversized rank are bad input (exit 2), not internal errors', () => {
  for (const name of ['__proto__', 'toString', 'constructor']) {
    fails(['influence', ...bc, '--solver', name], new RegExp(`argument '${name}' is invalid. Allowed choices are direct, cg, block-cg, lissa`));
  }
  fails(['influence', ...bc, '--damping', '-1'], /--damping: expected a finite number ≥ 0, got '-1'/);
  fails(['influence', ...bc, '--damping=-1'], /--damping: expected a finite number ≥ 0, got '-1'/);
  fails(['influence', ...bc, '--solver', 'nystrom', '--rank', '100'], /--rank: expected an integer ≥ 1 and ≤ 31, got '100'/);
  fails(['influence', ...bc, '--loss', '__proto__'], /unknown loss '__proto__'|contradicts/);
});

test('default stdout is a summary for a person; --json - is the JSON', () => {
  const r = runCli(['influence', ...bc, '--top', '2']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^model {6}logistic regression 30 → 1, bce-with-logits, weight decay 0\.01, 31 parameters/);
  assert.match(r.stdout, /test point 0 \(label \d\): predicted [01] \(p = [01]\.\d+\), loss /);
  assert.match(r.stdout, /rank {2}helpful train/);
  const j = runCli(['influence', ...bc, '--top', '2', '--json', '-']);
  const s = JSON.parse(j.stdout);
  assert.is(s.top.length, 2);
  assert.is(s.testPoints.length, 2);
  assert.is(s.model.description, 'logistic regression 30 → 1');
  assert.is(s.model.activation, null);
});

test.run();
