/** The colour-scale legend of a heatmap: an SVG gradient bar with an axis (linear or log) and a title. */
import { select } from 'd3-selection';
import { scaleLinear, scaleLog } from 'd3-scale';
import { axisBottom } from 'd3-axis';
import { svgEl } from '../dom';
import { sig } from '../format';
import type { ColourScale } from './colourScale';

export const LEGEND_WIDTH = 256;
const BAR_HEIGHT = 10;
const STOPS = 16;
const SIDE = 12;

export function colourLegend(doc: Document, opts: { id: string; title: string; scale: ColourScale; testId?: string }): SVGSVGElement {
  const { scale } = opts;
  const width = LEGEND_WIDTH + 2 * SIDE;
  const height = 52;
  const svg = svgEl(doc, 'svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'colour-legend',
    role: 'img',
    'data-testid': opts.testId,
    'aria-label': `Colour scale: ${opts.title}, ${scale.kind}, from ${sig(scale.domain[0], 3)} to ${sig(scale.domain[1], 3)}`,
  });
  const gradientId = `${opts.id}-gradient`;
  const gradient = svgEl(doc, 'linearGradient', { id: gradientId, x1: 0, x2: 1, y1: 0, y2: 0 });
  const [d0, d1] = scale.domain;
  for (let k = 0; k <= STOPS; k++) {
    const t = k / STOPS;
    const v = scale.kind === 'log' ? d0 * (d1 / d0) ** t : d0 + (d1 - d0) * t;
    gradient.appendChild(svgEl(doc, 'stop', { offset: `${Math.round(t * 1000) / 10}%`, 'stop-color': scale.colour(v) }));
  }
  svg.appendChild(svgEl(doc, 'defs', null, gradient));
  svg.appendChild(svgEl(doc, 'text', { class: 'legend-title', x: SIDE, y: 11 }, opts.title));
  svg.appendChild(
    svgEl(doc, 'rect', { class: 'legend-bar', x: SIDE, y: 16, width: LEGEND_WIDTH, height: BAR_HEIGHT, fill: `url(#${gradientId})` }),
  );
  const axisScale =
    scale.kind === 'log'
      ? scaleLog().domain(scale.domain).range([0, LEGEND_WIDTH])
      : scaleLinear().domain(scale.domain).range([0, LEGEND_WIDTH]);
  const axis = axisBottom(axisScale).tickSize(4);
  axis.tickFormat((v) => sig(Number(v), 2));
  if (scale.kind === 'log') axis.tickValues(decades(d0, d1));
  else axis.ticks(5);
  select(svg)
    .append('g')
    .attr('class', 'axis')
    .attr('transform', `translate(${SIDE},${16 + BAR_HEIGHT})`)
    .call(axis);
  return svg;
}

/** Powers of ten inside [lo, hi] (log ticks with a label each); the ends when the range spans less than a decade. */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
  return out.length >= 2 ? out : [lo, hi];
}
