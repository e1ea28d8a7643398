import type { Layer } from '../module.js';

/** Layer kinds whose output has their input's shape. */
const SHAPE_PRESERVING = new Set(['tanh', 'sigmoid', 'relu', 'gelu', 'softplus', 'silu', 'dropout']);

/**
 * The output shape a layer gives for an input shape ([N, …]), from its `outputShape` rule or, for
 * the elementwise kinds, the input's own shape; null when the layer does not say. Throws the
 * layer's ShapeError for an input it cannot take.
 */
export function layerOutputShape(layer: Layer, input: readonly number[]): number[] | null {
  if (layer.outputShape) return layer.outputShape(input);
  return SHAPE_PRESERVING.has(layer.kind) ? [...input] : null;
}
