/**
 * Frequency axes of a heatmap, in the FULL map's indices even when the map is binned (each cell a block of
 * coefficients). Two layouts:
 * - 'dct': DCT coefficient maps (RCT): index 0, the DC coefficient, at the top left; frequency grows to the
 *   right and downwards.
 * - 'centred-dft': centred DFT maps (spectra): position p holds frequency p − ⌊n/2⌋ cycles per image, so DC
 *   is in the middle and the ticks run from −⌊n/2⌋ to ⌈n/2⌉ − 1 (src/engine/spectral/spectra.ts).
 * A centred map may sample every `step`-th frequency (the Fourier heat map's coarser grid for large images):
 * position p then holds (p − ⌊n/2⌋)·step.
 * Each axis is its own SVG, one SVG unit per canvas pixel, so it lines up with the canvas beside it.
 */
import { select } from 'd3-selection';
import { scaleLinear } from 'd3-scale';
import { axisBottom, axisLeft } from 'd3-axis';
import { ticks } from 'd3-array';
import { spanLabel } from '../../../src/protocol/reportMaps';
import { svgEl } from '../dom';

export type FrequencyLayout = 'dct' | 'centred-dft';

/** Width of the vertical axis (tick labels and the rotated title), height of the horizontal one. */
export const Y_AXIS_WIDTH = 50;
export const X_AXIS_HEIGHT = 36;
const TICK_COUNT = 5;

/**
 * The frequency at position p (0 … n−1) of an axis of n coefficients. Centred: p − ⌊n/2⌋, as the engine's
 * centredFrequency (src/engine/spectral/fft.ts, which the webview bundle must not import; a test ties the two).
 */
export function frequencyAt(layout: FrequencyLayout, p: number, n: number, step = 1): number {
  return layout === 'dct' ? p : (p - Math.floor(n / 2)) * step;
}

/** Integer with a real minus sign, as the rest of the panel writes negatives. */
export function frequencyText(v: number): string {
  return v < 0 ? `−${-v}` : String(v);
}

/** What cell i of a map binned by `block` covers on an axis of `full` coefficients: "8–11", or "−4…−1" when centred. */
export function frequencySpan(layout: FrequencyLayout, i: number, block: number, full: number, step = 1): string {
  if (layout === 'dct') return spanLabel(i, block, full);
  const first = i * block,
    last = Math.min(full, (i + 1) * block) - 1;
  const [a, b] = [frequencyAt(layout, first, full, step), frequencyAt(layout, last, full, step)].map(frequencyText);
  return first === last ? a : `${a}…${b}`;
}

export interface FrequencyTick {
  /** Position in the full map (0 … full−1). */
  index: number;
  /** The frequency there. */
  value: number;
  label: string;
}

/** Round-numbered ticks over the axis' frequency range (DC, 0, always among them). */
export function frequencyTicks(layout: FrequencyLayout, full: number, count = TICK_COUNT, step = 1): FrequencyTick[] {
  const lo = frequencyAt(layout, 0, full, step),
    hi = frequencyAt(layout, full - 1, full, step);
  const values = ticks(lo, hi, count).filter((v) => Number.isInteger(v) && v % step === 0);
  if (!values.includes(0)) values.push(0);
  return values.sort((a, b) => a - b).map((value) => ({ index: (value - lo) / step, value, label: frequencyText(value) }));
}

/** Pixel offset along the canvas of the centre of full-map coefficient p: cells are `zoom` pixels, `block` coefficients each. */
export function coefficientOffset(p: number, block: number, zoom: number): number {
  return ((p + 0.5) * zoom) / block;
}

export interface AxisSpec {
  layout: FrequencyLayout;
  label: string;
  /** Coefficients along the axis in the full map, and per drawn cell. */
  full: number;
  block: number;
  /** Canvas pixels per drawn cell, and drawn cells. */
  zoom: number;
  cells: number;
  /** Frequencies per position (centred layout only; default 1). */
  step?: number;
}

export function frequencyAxis(doc: Document, orientation: 'left' | 'bottom', spec: AxisSpec): SVGSVGElement {
  const length = spec.cells * spec.zoom;
  const [width, height] = orientation === 'left' ? [Y_AXIS_WIDTH, length] : [length, X_AXIS_HEIGHT];
  const tickList = frequencyTicks(spec.layout, spec.full, TICK_COUNT, spec.step ?? 1);
  const svg = svgEl(doc, 'svg', {
    class: `heatmap-axis heatmap-axis-${orientation === 'left' ? 'y' : 'x'}`,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    'aria-hidden': 'true',
  });
  // index p → pixel (p + ½)·zoom/block, a linear map: −½ → 0 and cells·block − ½ → the canvas' length
  const scale = scaleLinear()
    .domain([-0.5, spec.cells * spec.block - 0.5])
    .range([0, length]);
  const byIndex = new Map(tickList.map((t) => [t.index, t.label]));
  const axis = (orientation === 'left' ? axisLeft(scale) : axisBottom(scale))
    .tickValues(tickList.map((t) => t.index))
    .tickFormat((p) => byIndex.get(Number(p)) ?? '')
    .tickSize(4)
    .tickSizeOuter(0)
    // ticks exactly on the cells' centres (d3 shifts them half a pixel for crisp lines by default)
    .offset(0);
  const g = select(svg)
    .append('g')
    .attr('class', 'axis')
    .attr('transform', orientation === 'left' ? `translate(${width - 1},0)` : 'translate(0,1)');
  g.call(axis);
  svg.appendChild(
    orientation === 'left'
      ? svgEl(
          doc,
          'text',
          { class: 'axis-label', transform: `translate(11,${length / 2}) rotate(-90)`, 'text-anchor': 'middle' },
          spec.label,
        )
      : svgEl(doc, 'text', { class: 'axis-label', x: length / 2, y: X_AXIS_HEIGHT - 4, 'text-anchor': 'middle' }, spec.label),
  );
  return svg;
}
