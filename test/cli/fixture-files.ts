import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import * as c from '../../src/index.js';
import { get, loadFixture } from '../fixtures.js';
import { repoRoot } from '../helpers.js';

/** The mlp-tiny PyTorch fixture (49-8-10 tanh, 500 training points) written as the files a CLI user has. */
export function tinyFiles(nTest = 10) {
  const fx = loadFixture('mlp-tiny');
  const dir = mkdtempSync(join(tmpdir(), 'curvature-cli-'));
  const model = c.Sequential.mlp([49, 8, 10], 'tanh');
  const theta = c.tensor(get(fx, 'theta').data, [490], 'float64');
  writeSafetensors(join(dir, 'model.safetensors'), c.stateDict(model, theta));
  writeNpy(join(dir, 'train_x.npy'), { data: get(fx, 'train_x').data, shape: [500, 49], dtype: 'float64' });
  writeNpy(join(dir, 'test_x.npy'), { data: get(fx, 'test_x').data.slice(0, nTest * 49), shape: [nTest, 49], dtype: 'float64' });
  writeNpy(join(dir, 'train_y.npy'), { data: BigInt64Array.from(get(fx, 'train_y').data, (v) => BigInt(v)), shape: [500], dtype: 'int64' });
  writeNpy(join(dir, 'test_y.npy'), { data: BigInt64Array.from(get(fx, 'test_y').data.slice(0, nTest), (v) => BigInt(v)), shape: [nTest], dtype: 'int64' });
  const common = ['--model', join(dir, 'model.safetensors'), '--arch', '49,8,10', '--activation', 'tanh', '--loss', 'cross-entropy',
    '--train-x', join(dir, 'train_x.npy'), '--train-y', join(dir, 'train_y.npy'), '--weight-decay', '1e-3'];
  const testFlags = ['--test-x', join(dir, 'test_x.npy'), '--test-y', join(dir, 'test_y.npy')];
  return { fx, dir, model, theta, common, testFlags };
}

export const cliPath = (): string => join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

export function runCli(args: string[]) {
  return spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}
