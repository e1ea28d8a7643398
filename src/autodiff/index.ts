export { vjp, vjpAtTaps, valueAndGrad, grad, jvp, hvp, hvpBatched, gnvpBatched, linearBatched, BatchingUnsupported, gnvp, type HvpMode, type Args } from './api.js';
