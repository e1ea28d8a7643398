import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './fixture-files.js';

/**
 * Models trained once per test file by `curvature train` on the bundled breast-cancer data:
 * `lr` at its minimum (L-BFGS to 1e-10), `rough` a 30-3-1 tanh MLP after one SGD epoch (far from a
 * minimum, indefinite Hessian).
 */
export function breastCancerModels() {
  const dir = mkdtempSync(join(tmpdir(), 'curvature-bc-'));
  const lr = join(dir, 'lr.safetensors'), rough = join(dir, 'rough.safetensors');
  const a = runCli(['train', '--data', 'breast-cancer', '--arch', '30,1', '--weight-decay', '0.01', '--grad-tol', '1e-10', '--out', lr, '--quiet']);
  if (a.status !== 0) throw new Error(`train lr: ${a.stderr}`);
  const b = runCli(['train', '--data', 'breast-cancer', '--arch', '30,3,1', '--activation', 'tanh', '--weight-decay', '0', '--optimizer', 'sgd', '--epochs', '1', '--lr', '0.05', '--out', rough, '--quiet']);
  if (b.status !== 0) throw new Error(`train rough: ${b.stderr}`);
  return { dir, lr, rough };
}
