/** Occluded Frequency previews: PNGs of an image with each of its three highest-scoring bands ablated. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../attacks/gallery';
import { ablatedImages, topBands } from '../spectral/occludedFrequency';
import { Rng } from '../util/random';

/** Writes under outDir/occluded-frequency/; returned paths are relative to outDir, with forward slashes. */
export function writeOfPreviews(outDir: string, stem: string, pixels: Float32Array, shape: [number, number, number], scores: number[], baseline: 'zero' | 'noise', seed: number): { band: number; path: string }[] {
  const [c, h, w] = shape;
  const per = c * h * w;
  const ablated = ablatedImages(pixels, c, h, w, baseline, new Rng(seed));
  mkdirSync(join(outDir, 'occluded-frequency'), { recursive: true });
  return topBands(scores, 3).map((band) => {
    const rel = `occluded-frequency/image-${stem}-band-${band}.png`;
    writeFileSync(join(outDir, rel), encodePng(ablated.subarray(band * per, (band + 1) * per), c, h, w));
    return { band, path: rel };
  });
}
