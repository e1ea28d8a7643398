import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { SOLVER_FLAG_RULES, solverFlagHelp } from '../../src/cli/solver-flags.js';

/** Solver options are declared once (SOLVER_OPTIONS); SOLVER_INFO and the CLI derive from the table. */

test('every option has a type, a default, one meaning and at least one registered reader', () => {
  const names = Object.keys(c.SOLVERS);
  for (const [key, spec] of Object.entries(c.SOLVER_OPTIONS) as [string, c.SolverOptionSpec][]) {
    assert.ok(spec.type && spec.default && spec.meaning, key);
    assert.ok(spec.readBy.length > 0 || spec.withPreconditioner, key);
    for (const s of [...spec.readBy, ...(spec.withPreconditioner?.solvers ?? [])]) assert.ok(names.includes(s), `${key}: ${s}`);
  }
});

test('SOLVER_INFO lists exactly the options the table says each solver reads', () => {
  for (const name of Object.keys(c.SOLVERS) as c.SolverName[]) {
    assert.equal(c.SOLVER_INFO[name].options, c.optionsOf(name), name);
    assert.ok(c.SOLVER_INFO[name].options.includes('damping'), name);
  }
  assert.ok(c.optionApplies('rank', 'cg', 'nystrom'));
  assert.not.ok(c.optionApplies('rank', 'cg', 'jacobi'));
  assert.not.ok(c.optionApplies('rank', 'cg'));
  assert.ok(c.optionApplies('seed', 'block-cg', 'jacobi'));
  assert.is(c.optionReaders('rank'), 'arnoldi, nystrom, and cg/block-cg with --preconditioner nystrom');
});

test('the CLI flag rules and help texts come from the table', () => {
  const byFlag = new Map(Object.values(c.SOLVER_OPTIONS as Record<string, c.SolverOptionSpec>).filter((o) => o.cli).map((o) => [o.cli!.flag, o]));
  assert.equal(Object.keys(SOLVER_FLAG_RULES).sort(), [...byFlag.keys()].sort());
  for (const h of solverFlagHelp()) {
    const spec = byFlag.get(h.name)!;
    assert.ok(h.help.includes(spec.meaning), h.name);
  }
  assert.ok(SOLVER_FLAG_RULES['rank']!.rule('cg', { preconditioner: 'nystrom' }));
  assert.not.ok(SOLVER_FLAG_RULES['rank']!.rule('cg', {}));
  assert.ok(SOLVER_FLAG_RULES['depth']!.rule('lissa', {}));
  assert.not.ok(SOLVER_FLAG_RULES['depth']!.rule('nystrom', {}));
});

test.run();
