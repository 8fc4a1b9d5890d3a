/**
 * Occluded Frequency in the jobs: rows per model call, previews of an image with its three strongest bands
 * ablated, and the image itself beside them.
 */
import { rowsPerCall } from '../runtime/callSize';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../attacks/gallery';
import { ablatedImages, topBands } from '../spectral/occludedFrequency';
import { Rng } from '../util/random';

/**
 * Previews of the three highest-scoring bands (band groups of `bandGroup`, `scores` then per group) ablated.
 * Writes under outDir/occluded-frequency/; returned paths are relative to outDir, with forward slashes.
 */
export function writeOfPreviews(
  outDir: string,
  stem: string,
  pixels: Float32Array,
  shape: [number, number, number],
  scores: number[],
  baseline: 'zero' | 'noise',
  seed: number,
  bandGroup = 1,
): { band: number; path: string }[] {
  const [c, h, w] = shape;
  const per = c * h * w;
  const ablated = ablatedImages(pixels, c, h, w, baseline, new Rng(seed), bandGroup);
  mkdirSync(join(outDir, 'occluded-frequency'), { recursive: true });
  // With band groups, `band` is the group's index (its bands g·band …) and the file says so.
  const word = bandGroup > 1 ? `group${bandGroup}` : 'band';
  return topBands(scores, 3).map((band) => {
    const rel = `occluded-frequency/image-${stem}-${word}-${band}.png`;
    writeFileSync(join(outDir, rel), encodePng(ablated.subarray(band * per, (band + 1) * per), c, h, w));
    return { band, path: rel };
  });
}

/**
 * Writes the unablated image (planar pixels in [0, 1], after the resize the model's input needed: what the
 * model saw, so it compares with the ablated previews pixel for pixel) under outDir/occluded-frequency/.
 */
export function writeOfOriginal(outDir: string, stem: string, pixels: Float32Array, shape: [number, number, number]): string {
  const [c, h, w] = shape;
  mkdirSync(join(outDir, 'occluded-frequency'), { recursive: true });
  const rel = `occluded-frequency/image-${stem}-original.png`;
  writeFileSync(join(outDir, rel), encodePng(pixels.subarray(0, c * h * w), c, h, w));
  return rel;
}

/**
 * Rows per model call: all bands (band groups) of an image plus its clean row in one call where they fit the
 * default call size (a 28×28 image: 29 rows), else the session's batch size (runtime/callSize.ts).
 */
export function ofRowsPerCall(batchSize: number, bands: number, pixelsPerImage: number): number {
  return rowsPerCall(batchSize, pixelsPerImage, bands + 1);
}
