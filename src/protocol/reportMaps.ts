/**
 * The report's frequency maps (RCT, spectra) go into the report, across the engine → extension channel and
 * into a webview at a display resolution: a map wider or taller than MAX_MAP_SIDE is averaged over b×b
 * blocks of coefficients, b = ⌈side / MAX_MAP_SIDE⌉ (edge blocks average what they cover). A 224×224 map becomes 56×56: 3,136 numbers
 * instead of 50,176, about 60 KB of JSON instead of 1 MB, per map. The map records the block and its full size.
 */
import type { Map2D } from '../engine/report/sections';

export const MAX_MAP_SIDE = 64;

/** Appended to the definitions of the maps that are binned (RCT, spectra). */
export const BINNING_NOTE =
  `Maps wider or taller than ${MAX_MAP_SIDE} are reported as means over b×b blocks of coefficients, ` +
  `b = ⌈max(H, W)/${MAX_MAP_SIDE}⌉ (edge blocks average what they cover); the map's "binned" field gives b and the full size.`;

export function binForReport(map: Map2D, maxSide = MAX_MAP_SIDE): Map2D {
  const { height: h, width: w, values } = map;
  const block = Math.ceil(Math.max(h, w) / maxSide);
  if (block <= 1) return map;
  const bh = Math.ceil(h / block);
  const bw = Math.ceil(w / block);
  const sums = new Float64Array(bh * bw);
  const counts = new Float64Array(bh * bw);
  for (let r = 0; r < h; r++) {
    const row = Math.floor(r / block) * bw;
    for (let c = 0; c < w; c++) {
      const k = row + Math.floor(c / block);
      sums[k] += values[r * w + c];
      counts[k]++;
    }
  }
  return { height: bh, width: bw, values: Array.from(sums, (s, k) => s / counts[k]), binned: { block, height: h, width: w } };
}

/** Rows (or columns) of the full map that cell i of a map binned by `block` covers: "8–11", or "8" for one. */
export function spanLabel(i: number, block: number, full: number): string {
  const last = Math.min(full, (i + 1) * block) - 1;
  return last > i * block ? `${i * block}–${last}` : String(i * block);
}

/** The block and full size behind a map's cells (1 and its own size when it is not binned). */
export function binningOf(map: Map2D): { block: number; height: number; width: number } {
  return map.binned ?? { block: 1, height: map.height, width: map.width };
}
