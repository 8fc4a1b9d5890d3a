/**
 * The colour scale of heatmaps: viridis (perceptually uniform, readable on light, dark and high-contrast
 * backgrounds and by colour-blind readers), linear or logarithmic. A log scale starts four decades below
 * the maximum, since spectra span orders of magnitude and zeros would have no place on it.
 */
import { scaleSequential, scaleSequentialLog } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';

export type ScaleKind = 'linear' | 'log';

export interface ColourScale {
  kind: ScaleKind;
  domain: [number, number];
  colour(value: number): string;
}

const LOG_DECADES = 4;

export function colourScale(values: ArrayLike<number>, kind: ScaleKind): ColourScale {
  let lo = Infinity,
    hi = -Infinity,
    minPositive = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    if (v > 0) minPositive = Math.min(minPositive, v);
  }
  if (kind === 'log') {
    if (!(hi > 0)) return linear([0, 1]);
    const floor = Math.max(minPositive, hi / 10 ** LOG_DECADES);
    const top = floor === hi ? hi * 10 : hi;
    const s = scaleSequentialLog(interpolateViridis).domain([floor, top]).clamp(true);
    return { kind, domain: [floor, top], colour: (v) => s(Math.max(v, floor)) };
  }
  if (!Number.isFinite(lo)) return linear([0, 1]);
  return linear([Math.min(lo, 0), hi > Math.min(lo, 0) ? hi : Math.min(lo, 0) + 1]);
}

function linear(domain: [number, number]): ColourScale {
  const s = scaleSequential(interpolateViridis).domain(domain).clamp(true);
  return { kind: 'linear', domain, colour: (v) => s(v) };
}
