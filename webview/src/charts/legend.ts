/**
 * The colour bar of a heatmap: a vertical SVG gradient bar as tall as the map, high values at the top, with
 * an axis (linear or log) on its right and the quantity it shows (with its unit) as a rotated title.
 */
import { select } from 'd3-selection';
import { scaleLinear, scaleLog } from 'd3-scale';
import { axisRight } from 'd3-axis';
import { svgEl } from '../dom';
import { sig } from '../format';
import type { ColourScale } from './colourScale';

/** Default bar length (a heatmap passes its canvas height). */
export const LEGEND_LENGTH = 256;
export const LEGEND_WIDTH = 80;
const BAR_WIDTH = 12;
const BAR_X = 4;
const STOPS = 16;

export function colourLegend(
  doc: Document,
  opts: { id: string; title: string; scale: ColourScale; testId?: string; length?: number },
): SVGSVGElement {
  const { scale } = opts;
  const length = opts.length ?? LEGEND_LENGTH;
  const svg = svgEl(doc, 'svg', {
    viewBox: `0 0 ${LEGEND_WIDTH} ${length}`,
    width: LEGEND_WIDTH,
    height: length,
    class: 'colour-legend',
    role: 'img',
    'data-testid': opts.testId,
    'aria-label': `Colour scale: ${opts.title}, ${scale.kind}, from ${sig(scale.domain[0], 3)} to ${sig(scale.domain[1], 3)}`,
  });
  const gradientId = `${opts.id}-gradient`;
  // bottom (low) to top (high)
  const gradient = svgEl(doc, 'linearGradient', { id: gradientId, x1: 0, x2: 0, y1: 1, y2: 0 });
  const [d0, d1] = scale.domain;
  for (let k = 0; k <= STOPS; k++) {
    const t = k / STOPS;
    const v = scale.kind === 'log' ? d0 * (d1 / d0) ** t : d0 + (d1 - d0) * t;
    gradient.appendChild(svgEl(doc, 'stop', { offset: `${Math.round(t * 1000) / 10}%`, 'stop-color': scale.colour(v) }));
  }
  svg.appendChild(svgEl(doc, 'defs', null, gradient));
  svg.appendChild(
    svgEl(doc, 'rect', { class: 'legend-bar', x: BAR_X, y: 0, width: BAR_WIDTH, height: length, fill: `url(#${gradientId})` }),
  );
  const axisScale =
    scale.kind === 'log' ? scaleLog().domain(scale.domain).range([length, 0]) : scaleLinear().domain(scale.domain).range([length, 0]);
  const axis = axisRight(axisScale).tickSize(4);
  axis.tickFormat((v) => sig(Number(v), 2));
  if (scale.kind === 'log') axis.tickValues(decades(d0, d1));
  else axis.ticks(5);
  select(svg)
    .append('g')
    .attr('class', 'axis')
    .attr('transform', `translate(${BAR_X + BAR_WIDTH},0)`)
    .call(axis);
  svg.appendChild(
    svgEl(
      doc,
      'text',
      { class: 'legend-title', transform: `translate(${LEGEND_WIDTH - 4},${length / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      opts.title,
    ),
  );
  return svg;
}

/** Powers of ten inside [lo, hi] (log ticks with a label each); the ends when the range spans less than a decade. */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
  return out.length >= 2 ? out : [lo, hi];
}
