import { InputError } from '../errors.js';
import { toFloat64 } from '../io/array.js';
import { encodeNpy, readNpy } from '../io/npy.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import { tensor } from '../tensor/index.js';
import { choiceFlag, numberFlag, required, type Flags } from './flags.js';
import { loadProblem } from './model-args.js';
import { OutputSet } from './outputs.js';
import { selectBackend } from './select-backend.js';

/** `curvature hvp`: H·v (or G·v) of the training objective for a vector from .npy. */
export function hvpCommand(flags: Flags): number {
  const out = required(flags, 'out', 'the .npy file to write H·v to');
  const vPath = required(flags, 'vector', 'the .npy vector v');
  const outputs = new OutputSet({ out, json: flags['json'] as string | undefined });
  const backend = selectBackend(flags);
  const hessian = choiceFlag(flags, 'hessian', ['exact', 'gauss-newton'] as const, 'exact');
  const t0 = performance.now();
  const problem = loadProblem(flags);
  const raw = toFloat64(readNpy(vPath));
  if (raw.data.length !== problem.model.numParams) {
    throw new InputError(`${vPath}: vector has ${raw.data.length} entries, the model has ${problem.model.numParams} parameters`);
  }
  for (let i = 0; i < raw.data.length; i++) if (!Number.isFinite(raw.data[i]!)) throw new InputError(`${vPath}: non-finite value at element ${i}`);
  const options = { batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1, default: 4096 }), damping: numberFlag(flags, 'damping', { min: 0, default: 0 }) };
  const op = hessian === 'exact'
    ? hessianOperator(problem.objective, problem.theta, problem.train, options)
    : gaussNewtonOperator(problem.objective, problem.theta, problem.train, options);
  const t1 = performance.now();
  const hv = op.matvec(tensor(raw.data, [raw.data.length], problem.dtype));
  const t2 = performance.now();
  const summary = {
    command: 'hvp', backend: backend ?? 'default', hessian, dtype: problem.dtype, model: problem.info.description,
    parameters: problem.model.numParams, train: problem.train.x.shape[0], out,
    timings: { loadSeconds: (t1 - t0) / 1000, hvpSeconds: (t2 - t1) / 1000 },
  };
  outputs.stage('out', encodeNpy({ data: Float64Array.from(hv.dataSync()), shape: [hv.size], dtype: 'float64' }));
  const json = JSON.stringify(summary, null, 2) + '\n';
  outputs.stage('json', json);
  outputs.commit();
  if (flags['json'] === '-') process.stdout.write(json);
  else process.stdout.write(`${hessian === 'exact' ? 'H' : 'G'}·v of ${summary.model} (${summary.parameters} parameters, ${summary.train} training points) written to ${out}\n`);
  return 0;
}
