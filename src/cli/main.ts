#!/usr/bin/env node
import { CurvatureError, InputError } from '../errors.js';
import { hvpCommand, influenceCommand } from './commands.js';
import { demoCommand } from './demo.js';

const USAGE = `usage: curvature <command> [flags]

commands:
  demo        influence vs leave-one-out retraining on the bundled breast-cancer data (npm start)
  influence   test×train influence matrix: --model W.safetensors --arch 784,16,10 [--activation tanh]
              [--loss cross-entropy|bce-with-logits|mse] --train-x X.npy --train-y y.npy --test-x Xt.npy
              --test-y yt.npy [--weight-decay 1e-3] [--damping 0] [--hessian exact|gauss-newton]
              [--solver direct|cg|block-cg|lissa|neumann|arnoldi|nystrom|datainf|diagonal]
              [--rtol 1e-8] [--atol 0] [--max-iter N] [--preconditioner jacobi|nystrom] [--rank R]
              [--scale S] [--depth T] [--repeats R] [--lissa-batch-size B] [--auto] [--seed N]
              [--block-diagonal] [--dtype float64|float32]
              [--batch-size 4096] [--backend wasm|js] [--out scores.npy] [--json summary.json]
  hvp         Hessian-vector product of the training objective: same model/data flags, --vector v.npy --out hv.npy
  help        this text
`;

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'demo': demoCommand(); break;
      case 'influence': influenceCommand(rest); break;
      case 'hvp': hvpCommand(rest); break;
      case 'help': case '--help': case '-h': process.stdout.write(USAGE); break;
      default: throw new InputError(`unknown command '${command}'\n${USAGE}`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CurvatureError) {
      process.stderr.write(`curvature: ${err.name}: ${err.message}\n`);
      return err instanceof InputError ? 2 : 1;
    }
    process.stderr.write(`curvature: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
