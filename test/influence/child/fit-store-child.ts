/**
 * Child process of fit-store.test.ts (not a test itself): `save ROOT CASES` fits the small problem
 * with each case's influence options (CASES: JSON [dir, options][]), saves each fit to ROOT/dir and
 * prints its test×train and self-influence scores; `load ROOT CASES` loads the fits instead (the
 * options given must agree) and prints the scores. One line per case, `SCORES <dir> <hex> <hex>`:
 * the hex of the float64 bytes, so the parent compares them bit for bit.
 */
import { join } from 'node:path';
import * as c from '../../../src/index.js';
import { smallProblem } from '../problem.js';

c.setBackend('js');
const [mode, root, spec] = process.argv.slice(2) as [string, string, string];
const cases = JSON.parse(spec) as [string, c.InfluenceOptions][];
const { objective, theta, train, test } = smallProblem();
const hex = (t: c.Tensor): string => Buffer.from(Float64Array.from(t.dataSync()).buffer).toString('hex');
for (const [name, options] of cases) {
  const dir = join(root, name);
  const model = mode === 'save' ? c.InfluenceModel.fit(objective, theta, train, options) : c.InfluenceModel.load(dir, objective, theta, train, options);
  if (mode === 'save') model.save(dir);
  const { scores } = model.influence(test);
  const self = model.selfInfluence(train).scores;
  console.log(`SCORES ${name} ${hex(scores)} ${hex(self)}`);
  model.dispose();
}
