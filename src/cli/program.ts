/**
 * The command line, declared in one place with commander: every command, its flags, their help
 * texts and defaults. Parsing only: it returns which command to run with which flags, or the exit
 * code of a help, version or usage answer. Running happens in main.ts.
 *
 * Conventions: `curvature <cmd> --help` for every command, usage on a bare `curvature`,
 * `--version`, "did you mean" for a misspelled flag or command, a flag given twice is an error,
 * and defaults are applied by the commands (so a flag the user did not type is known as such).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { SOLVERS } from '../solvers/registry.js';
import { solverFlagHelp } from './solver-flags.js';
import type { Flags } from './flags.js';

interface FlagSpec { name: string; arg?: string; help: string; choices?: readonly string[] }

const f = (name: string, arg: string | undefined, help: string, choices?: readonly string[]): FlagSpec => ({ name, help, ...(arg ? { arg } : {}), ...(choices ? { choices } : {}) });

const COMMON: FlagSpec[] = [
  f('backend', 'name', 'compute backend (default: native where its addon loads, else wasm, else js)', ['native', 'wasm', 'js']),
  f('dtype', 'type', 'floating-point type of the computation (default: float64)', ['float64', 'float32']),
  f('quiet', undefined, 'no progress on stderr (warnings and errors still print)'),
];

const MODEL: FlagSpec[] = [
  f('model', 'file', 'the model: weights as .safetensors (a PyTorch state_dict; `curvature train` writes one with its settings), or an .onnx file exported by torch.onnx.export (architecture and weights; give --loss and --weight-decay)'),
  f('arch-file', 'file', 'the architecture as a JSON graph (README, "Your own architecture") for a .safetensors state_dict; default: from the model file'),
  f('arch', 'widths', 'layer widths, e.g. 784,16,10 (2 widths = logistic/softmax regression); default: from the model file'),
  f('activation', 'name', 'hidden activation: tanh, sigmoid, relu, gelu, softplus, silu; default: from the model file'),
  f('loss', 'name', 'cross-entropy, bce-with-logits or mse; default: from the model file, else the dataset\'s'),
  f('weight-decay', 'λ', 'L2 coefficient of the training objective J = mean loss + (λ/2)‖θ‖²; default: from the model file'),
  f('override-metadata', undefined, 'let --arch/--arch-file/--activation/--loss/--weight-decay override the model file\'s settings (with a warning)'),
];

const DATA: FlagSpec[] = [
  f('data', 'name', 'bundled data: breast-cancer, fashion-mnist, fashion-mnist:DIR or fashion-mnist:debian'),
  f('train-x', 'file', 'training inputs (.npy of shape [N, ...] or .csv)'),
  f('train-y', 'file', 'training targets (.npy or .csv); with a .csv --train-x, --label-column instead'),
  f('test-x', 'file', 'test inputs (.npy or .csv)'),
  f('test-y', 'file', 'test targets (.npy or .csv)'),
  f('label-column', 'name|index', 'take targets from this column of the .csv inputs (the other columns are the features)'),
  f('train-limit', 'N', 'use the first N training rows'),
  f('test-limit', 'N', 'use the first N test rows'),
  f('test-index', 'list', 'test rows to use, e.g. 0,5,10-19 (after --test-limit)'),
];

const CURVATURE: FlagSpec[] = [
  f('hessian', 'kind', 'curvature: exact, gauss-newton or empirical-fisher (default: exact)', ['exact', 'gauss-newton', 'empirical-fisher']),
  f('damping', 'λ', 'λ ≥ 0 added to the curvature: (H + λI) (default: 0)'),
  f('batch-size', 'B', 'examples per curvature-product batch (default: 4096)'),
];

// The solver flags' help texts derive from the registry's SOLVER_OPTIONS (one declaration per option).
const SOLVER: FlagSpec[] = [
  f('solver', 'name', 'inverse-HVP solver (default: direct)', Object.keys(SOLVERS)),
  ...solverFlagHelp().map((o) => f(o.name, o.arg, o.help, o.choices)),
];

const INFLUENCE_OUT: FlagSpec[] = [
  f('top', 'k', 'k most helpful and harmful training points per test point (default: 10)'),
  f('self', undefined, 'self-influence ∇ℓᵀH⁻¹∇ℓ of every training point (no test data needed)'),
  f('self-out', 'file', 'write the self-influence scores (.npy, float64 [N])'),
  f('validate', 'kind', 'check against retraining: loo (leave-one-out) or pbrf', ['loo', 'pbrf']),
  f('validate-top', 'k', 'retrain without the k most influential points per test point (default: 10)'),
  f('chunk', 'N', 'training gradients per scoring chunk (default: 1024)'),
  f('out', 'file', 'write the [test, train] score matrix (.npy, float64)'),
  f('json', 'file', 'write the JSON summary to a file (- for stdout)'),
  f('report', 'file', 'write an HTML report'),
  f('query-rank', 'R', 'score training points against each test point\'s preconditioned gradient approximated per Linear layer by rank R (Kronfluence\'s query rank); the JSON reports its relative error'),
  f('save-fit', 'dir', 'save the fitted curvature/solver to a directory (manifest.json + solver.safetensors), all or nothing'),
  f('load-fit', 'dir', 'load a fit saved by --save-fit instead of fitting (θ, data, loss and the solver flags given must match it)'),
];

const TRAIN: FlagSpec[] = [
  f('out', 'file', 'where to save the trained model (.safetensors, with its settings as metadata)'),
  f('optimizer', 'name', 'lbfgs (full batch, to --grad-tol; default), adam or sgd', ['lbfgs', 'adam', 'sgd']),
  f('grad-tol', 'x', 'lbfgs: stop when ‖∇J‖ ≤ x (default: 1e-8)'),
  f('max-iter', 'N', 'lbfgs: iterations (default: 2000)'),
  f('epochs', 'N', 'adam, sgd: epochs (default: 20)'),
  f('lr', 'x', 'adam, sgd: learning rate (default: 1e-3)'),
  f('momentum', 'x', 'sgd: momentum (default: 0.9)'),
  f('minibatch', 'N', 'adam, sgd: minibatch size (default: 128)'),
  f('seed', 'N', 'initialisation and shuffling seed (default: 0)'),
  f('batch-size', 'B', 'examples per gradient batch (default: 4096)'),
  f('json', 'file', 'write the JSON summary to a file (- for stdout)'),
];

export interface CommandSpec { name: string; summary: string; flags: FlagSpec[]; writes: string[] }

const only = (specs: FlagSpec[], names: string[]) => specs.filter((s) => names.includes(s.name));

export const COMMANDS: CommandSpec[] = [
  { name: 'demo', summary: 'influence vs leave-one-out retraining on the bundled breast-cancer data (npm start)', flags: [], writes: [] },
  {
    name: 'train', summary: 'fit a model and save it with its settings (arch, activation, loss, weight decay)',
    flags: [
      f('arch', 'widths', 'layer widths, e.g. 784,16,10 (2 widths = logistic/softmax regression); this or --arch-file'),
      f('arch-file', 'file', 'the architecture as a JSON graph (README, "Your own architecture"); stored in the model file'),
      f('activation', 'name', 'hidden activation: tanh (default), sigmoid, relu, gelu, softplus, silu'),
      f('loss', 'name', 'cross-entropy, bce-with-logits or mse (default: the dataset\'s, else cross-entropy)'),
      f('weight-decay', 'λ', 'L2 coefficient of J = mean loss + (λ/2)‖θ‖² (default: 0); stored in the model file'),
      ...DATA, ...TRAIN, ...COMMON], writes: ['out', 'json'],
  },
  {
    name: 'influence', summary: 'influence of training points on test points (and self-influence)',
    flags: [...MODEL, ...DATA, ...CURVATURE, ...SOLVER, ...INFLUENCE_OUT, ...COMMON], writes: ['out', 'json', 'report', 'self-out', 'save-fit'],
  },
  {
    name: 'hvp', summary: 'Hessian- (or Gauss–Newton-) vector product of the training objective',
    flags: [...MODEL, ...only(DATA, ['data', 'train-x', 'train-y', 'label-column', 'train-limit']),
      ...only(CURVATURE, ['damping', 'batch-size']), f('hessian', 'kind', 'exact or gauss-newton (default: exact)', ['exact', 'gauss-newton']),
      f('vector', 'file', 'the vector v (.npy with as many entries as the model has parameters)'),
      f('out', 'file', 'write H·v (.npy, float64)'), f('json', 'file', 'write the JSON summary to a file (- for stdout)'), ...COMMON],
    writes: ['out', 'json'],
  },
  {
    name: 'report', summary: 'HTML report of a saved influence run',
    flags: [f('summary', 'file', 'the JSON written by `curvature influence --json`'), f('out', 'file', 'the HTML file to write')], writes: ['out'],
  },
];

export const EXAMPLES = `
Examples:
  curvature train --data breast-cancer --arch 30,1 --weight-decay 0.01 --out model.safetensors
  curvature influence --model model.safetensors --data breast-cancer --top 5
  curvature influence --model model.safetensors --train-x X.npy --train-y y.npy --test-x Xt.npy --test-y yt.npy \\
      --solver cg --out scores.npy --json summary.json --report report.html

Exit codes: 0 ok, 1 failure, 2 bad input, 3 a solver did not converge (the outputs are still written).
Progress and warnings go to stderr; results to stdout and the files you name.`;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What parsing decided: run a command with flags, or exit (help, version, usage error) with a code. */
export type Parsed = { command: CommandSpec; flags: Flags } | { exit: number };

/** Parses argv; help/version/usage text goes to `out`/`err`. */
export function parseCli(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Parsed {
  // commander shares one output configuration between a program and its commands: one prefix, named after the command typed.
  const prefix = COMMANDS.some((c) => c.name === argv[0]) ? `curvature ${argv[0]}` : 'curvature';
  const output = { writeOut: io.out, writeErr: io.err, outputError: (s: string, write: (s: string) => void) => write(s.replace(/^error: /, `${prefix}: error: `)) };
  const program = new Command('curvature')
    .description('Second-order quantities of ML models: Hessian-vector products, inverse-Hessian solvers and influence functions.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(output)
    .addHelpText('after', EXAMPLES);
  let chosen: Parsed | null = null;
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.summary).allowExcessArguments(false)
      .helpOption('-h, --help', 'show help for this command').showSuggestionAfterError(true).exitOverride();
    for (const s of spec.flags) {
      const o = new Option(`--${s.name}${s.arg ? ` <${s.arg}>` : ''}`, s.help);
      if (s.choices) o.choices(s.choices);
      cmd.addOption(o);
    }
    if (spec.name === 'influence' || spec.name === 'hvp' || spec.name === 'train') cmd.addHelpText('after', `\nExit codes: 0 ok, 1 failure, 2 bad input${spec.name === 'influence' ? ', 3 a solver did not converge' : ''}.`);
    cmd.action(() => {
      const flags: Flags = {};
      for (const o of cmd.options) {
        const v = cmd.getOptionValue(o.attributeName()) as string | boolean | undefined;
        if (v !== undefined) flags[o.long!.slice(2)] = v;
      }
      chosen = { command: spec, flags };
    });
  }
  if (argv.length === 0) {
    io.out(program.helpInformation() + EXAMPLES + '\n');
    return { exit: 0 };
  }
  const dup = duplicateFlag(argv, program);
  if (dup) {
    io.err(`${prefix}: error: --${dup} given more than once (give each flag once)\n`);
    return { exit: 2 };
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      return { exit: ok ? 0 : 2 };
    }
    throw err;
  }
  return chosen ?? { exit: 2 };
}

/** The first long flag of the chosen command that appears twice in argv (values are skipped). */
function duplicateFlag(argv: string[], program: Command): string | null {
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (!cmd) return null;
  const known = new Map(cmd.options.map((o) => [o.long!.slice(2), o.required || o.optional]));
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const name = a.slice(2).split('=')[0]!;
    if (!known.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
    if (known.get(name) && !a.includes('=')) i++; // its value, even if it looks like a flag
  }
  return null;
}
