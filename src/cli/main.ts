#!/usr/bin/env node
/**
 * The `curvature` command. Parsing (program.ts) runs here; a command that writes files runs in a
 * worker thread, so that this thread stays free to answer SIGINT/SIGTERM at once even while the
 * computation is synchronous: it stops the worker, deletes the run's temporary files and says so.
 * Outputs are staged and renamed only when complete (outputs.ts), so an interrupted or killed run
 * leaves the previous files as they were; a SIGKILLed run's temporaries are removed by the next run.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CurvatureError, DTypeError, InputError, ShapeError, UnsupportedLayerError } from '../errors.js';
import { removeStalePartials, removeTrackedTemps } from '../io/temp-files.js';
import { demoCommand } from './demo.js';
import { hvpCommand } from './hvp-command.js';
import { influenceCommand } from './influence-command.js';
import { parseCli, type CommandSpec } from './program.js';
import { reportCommand } from './report-command.js';
import { trainCommand } from './train-command.js';
import type { Flags } from './flags.js';

const RUN: Record<string, (flags: Flags) => number> = {
  demo: () => { demoCommand(); return 0; },
  train: trainCommand, influence: influenceCommand, hvp: hvpCommand, report: reportCommand,
};

/** Runs a parsed command; a typed error becomes its message on stderr and an exit code (2 bad input, 1 failure). */
export function execute(command: CommandSpec, flags: Flags): number {
  try {
    return RUN[command.name]!(flags);
  } catch (err) {
    removeTrackedTemps();
    if (err instanceof CurvatureError) {
      process.stderr.write(`curvature ${command.name}: ${err.name}: ${err.message}\n`);
      // Shapes and dtypes of the user's files or flags (a model that does not match --arch, a rank
      // larger than the model) are bad input, like a malformed file; so is a model with a layer or
      // an ONNX operator the chosen method does not support.
      return err instanceof InputError || err instanceof ShapeError || err instanceof DTypeError || err instanceof UnsupportedLayerError ? 2 : 1;
    }
    process.stderr.write(`curvature ${command.name}: internal error (please report it): ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

const io = { out: (s: string) => { process.stdout.write(s); }, err: (s: string) => { process.stderr.write(s); } };

function supervise(argv: string[], command: CommandSpec, flags: Flags): void {
  const outputs = command.writes.map((w) => flags[w]).filter((p): p is string => typeof p === 'string' && p !== '-');
  const worker = new Worker(new URL(import.meta.url), { workerData: { argv }, stdout: false, stderr: false });
  let code: number | null = null;
  worker.on('message', (m: { exitCode: number }) => { code = m.exitCode; });
  worker.on('error', (err) => {
    process.stderr.write(`curvature ${command.name}: internal error (please report it): ${err.stack ?? String(err)}\n`);
    code = 1;
  });
  worker.on('exit', () => { process.exitCode = code ?? 1; });
  const stop = (signal: NodeJS.Signals): void => {
    void worker.terminate().then(() => {
      for (const p of outputs) removeStalePartials(p, { includeOwn: true });
      process.stderr.write(`curvature ${command.name}: interrupted by ${signal}; nothing was written${outputs.length ? ` (${outputs.join(', ')} left as they were)` : ''}\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isMainThread) {
  // `curvature … | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw err; });
  const argv = process.argv.slice(2);
  const parsed = parseCli(argv, io);
  if ('exit' in parsed) process.exitCode = parsed.exit;
  else if (parsed.command.writes.length > 0 && process.env['CURVATURE_CLI_INLINE'] !== '1') supervise(argv, parsed.command, parsed.flags);
  else process.exitCode = execute(parsed.command, parsed.flags);
} else {
  const parsed = parseCli((workerData as { argv: string[] }).argv, io);
  const exitCode = 'exit' in parsed ? parsed.exit : execute(parsed.command, parsed.flags);
  parentPort!.postMessage({ exitCode });
}
