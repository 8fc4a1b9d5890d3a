/**
 * Pixels → the tensor the model receives. Pixels arrive planar (C×H×W per image, values in [0,1]);
 * this applies the pixel scale, per-channel (x − mean)/std, and the model's layout. Kept separate from
 * decoding so attacks can work in pixel space and normalise only when they call the model.
 */
import type { Preprocessing } from '../config/runConfig';
import { channelCount } from '../data/pixels';

/** Converts `count` planar [0,1] images into the model's input layout and value space. */
export function pixelsToModelInput(
  pixels: Float32Array,
  count: number,
  p: Preprocessing,
  out = new Float32Array(pixels.length),
): Float32Array {
  const c = channelCount(p);
  const hw = p.height * p.width;
  const per = c * hw;
  if (pixels.length !== count * per)
    throw new Error(`pixelsToModelInput: ${pixels.length} values for ${count} images of ${c}×${p.height}×${p.width}`);
  // Per channel: y = x·scale·a + b with a = 1/std, b = −mean/std, so one multiply-add per value.
  const a = new Float64Array(c),
    b = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const std = p.std ? p.std[ch] : 1;
    const mean = p.mean ? p.mean[ch] : 0;
    a[ch] = p.pixelScale / std;
    b[ch] = -mean / std;
  }
  const channelsLast = p.layout === 'NHWC';
  for (let n = 0; n < count; n++) {
    const base = n * per;
    for (let ch = 0; ch < c; ch++) {
      const src = base + ch * hw;
      const ac = a[ch],
        bc = b[ch];
      if (channelsLast) {
        for (let i = 0; i < hw; i++) out[base + i * c + ch] = pixels[src + i] * ac + bc;
      } else {
        for (let i = 0; i < hw; i++) out[src + i] = pixels[src + i] * ac + bc;
      }
    }
  }
  return out;
}
