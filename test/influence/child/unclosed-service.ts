/**
 * Child process of service-lifecycle.test.ts (not a test itself): starts an InfluenceService, fits,
 * scores, and never closes it. The process must then exit by itself (an idle worker is unref'd).
 */
import * as c from '../../../src/index.js';
import { smallProblem } from '../problem.js';

c.setBackend('js');
const { objective, theta, train, test } = smallProblem(21);
const service = await c.InfluenceService.start(objective, theta, train);
await service.fit({ solver: 'direct' });
const r = await service.scores(test, { chunkSize: 7 });
const self = await service.selfInfluence();
console.log(`scored ${r.nTest}x${r.nTrain}, self-influence of ${self.scores.length}`);
// No service.close(): the event loop must still empty.
