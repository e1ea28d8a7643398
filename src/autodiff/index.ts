export { vjp, vjpAtTaps, valueAndGrad, grad, jvp, hvp, gnvp, type HvpMode, type Args } from './api.js';
