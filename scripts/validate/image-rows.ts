import { loadFashionMnist } from '../../src/io/datasets.js';

/**
 * Training rows for the streaming-memory scripts as host arrays: the bundled Fashion-MNIST images
 * (pixels/255), cycled past the end of the subset and perturbed by 1e-3·sin(seed + row + pixel) so
 * that a 10× larger training set is not 10 copies of the same points. Labels as float64 (what the
 * .npy writer and the tensor constructor both take).
 */
export function imageRowSource(): (start: number, count: number, seed: number) => { x: Float64Array; y: Float64Array } {
  const fm = loadFashionMnist({ split: 'train' });
  const pixels = fm.x.data as Uint8Array, labels = fm.y.data as Int32Array | Uint8Array;
  const available = fm.x.shape[0]!;
  return (start, count, seed) => {
    const x = new Float64Array(count * 784), y = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      const src = (start + r) % available;
      for (let k = 0; k < 784; k++) x[r * 784 + k] = pixels[src * 784 + k]! / 255 + 1e-3 * Math.sin(seed + r + k);
      y[r] = labels[src]!;
    }
    return { x, y };
  };
}
