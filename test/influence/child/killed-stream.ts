/**
 * Child process of temp-files.test.ts (not a test itself): streams influence scores to the .npy
 * path given as argv[2], slowly (one training point per second), printing "writing <pid>" once
 * the first chunk is written, so that the parent can SIGKILL it in the middle of the stream.
 */
import * as c from '../../../src/index.js';
import { smallProblem } from '../problem.js';

c.setBackend('js');
const { objective, theta, train, test } = smallProblem();
const model = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
async function* slowly(): AsyncGenerator<c.Dataset> {
  for (const chunk of c.chunked(train, 1)) {
    yield chunk;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
await c.streamInfluence(model, test, slowly(), {
  npyPath: process.argv[2]!,
  onProgress: (p) => { if (p.phase === 'scoring' && p.done === 1) console.log(`writing ${process.pid}`); },
});
console.log('finished (the parent should have killed this process)');
