/**
 * Gallery artefacts: clean image, adversarial example and the perturbation (amplified to the full grey
 * range, the factor recorded) as PNG, for the first few successful images of each attack.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';

export interface GalleryItem {
  relPath: string;
  label: number;
  cleanPrediction: number;
  adversarialPrediction: number;
  l2: number;
  linf: number;
  /** Perturbation PNG = 0.5 + amplification · δ (so ±max|δ| spans the grey range). */
  amplification: number;
  files: { clean: string; adversarial: string; perturbation: string };
}

/** Planar [C,H,W] values in [0,1] → PNG bytes (gray or RGB). */
export function encodePng(planar: ArrayLike<number>, channels: number, height: number, width: number): Buffer {
  const png = new PNG({ width, height, colorType: 6 });
  const hw = height * width;
  for (let p = 0; p < hw; p++) {
    for (let c = 0; c < 3; c++) {
      const v = planar[(channels === 1 ? 0 : c) * hw + p];
      png.data[p * 4 + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
    png.data[p * 4 + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2 });
}

/** Writes the three PNGs under root/subdir; the item's file paths are relative to root. */
export function writeGalleryItem(
  root: string,
  subdir: string,
  stem: string,
  clean: Float32Array,
  adversarial: Float32Array,
  shape: [number, number, number],
  meta: Omit<GalleryItem, 'files' | 'amplification'>,
): GalleryItem {
  mkdirSync(join(root, subdir), { recursive: true });
  const [c, h, w] = shape;
  const perturbation = perturbationPng(clean, adversarial, shape);
  const files = {
    clean: join(subdir, `${stem}-clean.png`),
    adversarial: join(subdir, `${stem}-adversarial.png`),
    perturbation: join(subdir, `${stem}-perturbation-x${perturbation.amplification.toFixed(1)}.png`),
  };
  writeFileSync(join(root, files.clean), encodePng(clean, c, h, w));
  writeFileSync(join(root, files.adversarial), encodePng(adversarial, c, h, w));
  writeFileSync(join(root, files.perturbation), perturbation.png);
  return { ...meta, amplification: perturbation.amplification, files };
}

/** The perturbation δ = adversarial − clean as a PNG of 0.5 + amplification · δ, ±max|δ| spanning the grey range. */
export function perturbationPng(
  clean: Float32Array,
  adversarial: Float32Array,
  [c, h, w]: [number, number, number],
): { png: Buffer; amplification: number } {
  const delta = Float32Array.from(adversarial, (v, i) => v - clean[i]);
  const maxAbs = delta.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const amplification = maxAbs > 0 ? 0.5 / maxAbs : 1;
  return {
    png: encodePng(
      delta.map((v) => 0.5 + amplification * v),
      c,
      h,
      w,
    ),
    amplification,
  };
}

/** Writes one PNG at root/relPath (folders made as needed). */
export function writePng(root: string, relPath: string, png: Buffer): void {
  mkdirSync(dirname(join(root, relPath)), { recursive: true });
  writeFileSync(join(root, relPath), png);
}
