#!/usr/bin/env node
import { CurvatureError, InputError } from '../errors.js';
import { hvpCommand, influenceCommand } from './commands.js';
import { demoCommand } from './demo.js';
import { reportCommand } from './report-command.js';
import { trainCommand } from './train-command.js';

const USAGE = `usage: curvature <command> [flags]

commands:
  demo        influence vs leave-one-out retraining on the bundled breast-cancer data (npm start)
  train       fit a model and save it: --arch 784,10 [--activation tanh] (--data NAME | --train-x X.npy --train-y y.npy)
              [--loss cross-entropy|bce-with-logits|mse] [--weight-decay 0.01] [--optimizer lbfgs|adam|sgd]
              [--grad-tol 1e-8] [--max-iter 2000] [--epochs 20] [--lr 1e-3] [--momentum 0.9] [--minibatch 128]
              [--seed 0] --out model.safetensors [--json summary.json]
  influence   influence of training points on test points:
              --model W.safetensors --arch 784,16,10 [--activation tanh] [--loss ...] [--weight-decay 1e-3]
              data: --data fashion-mnist[:DIR|:debian] | --data breast-cancer [--train-limit N] [--test-limit N]
                    or --train-x X.npy --train-y y.npy [--test-x Xt.npy --test-y yt.npy]
              curvature: [--hessian exact|gauss-newton|empirical-fisher] [--damping 0] [--batch-size 4096]
              solver: [--solver direct|cg|block-cg|lissa|neumann|arnoldi|nystrom|datainf|diagonal]
                    [--rtol 1e-8] [--atol 0] [--max-iter N] [--preconditioner jacobi|nystrom] [--rank R] [--power-iterations Q]
                    [--scale S] [--depth T] [--repeats R] [--lissa-batch-size B] [--auto] [--seed N] [--block-diagonal]
              outputs: [--top 10] [--self] [--self-out self.npy] [--validate loo|pbrf] [--validate-top 10]
                    [--chunk 1024] [--out scores.npy] [--json summary.json] [--report report.html]
              [--dtype float64|float32] [--backend wasm|js] [--quiet]
  report      HTML report of a saved run: --summary summary.json --out report.html
  hvp         Hessian-vector product of the training objective: same model/data flags, --vector v.npy --out hv.npy
  help        this text

Progress goes to stderr (--quiet turns it off). Exit codes: 0 ok, 1 failure, 2 bad input, 3 a solver did not converge.
`;

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'demo': demoCommand(); break;
      case 'influence': influenceCommand(rest); break;
      case 'hvp': hvpCommand(rest); break;
      case 'train': trainCommand(rest); break;
      case 'report': reportCommand(rest); break;
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
