export { vjp, vjpAtTaps, valueAndGrad, grad, jvp, hvp, hvpBatched, gnvpBatched, BatchingUnsupported, gnvp, type HvpMode, type Args } from './api.js';
