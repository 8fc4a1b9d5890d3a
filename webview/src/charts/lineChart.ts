/**
 * Line chart (sweeps, budget curves): SVG with axes in `currentColor`, one path + point symbols per series,
 * gaps where a value is missing, a legend inside the SVG (so exports keep it), and hover / arrow-key values
 * through a focus dot and tooltip.
 */
import { pointer, select } from 'd3-selection';
import { scaleLinear, scaleLog } from 'd3-scale';
import { axisBottom, axisLeft } from 'd3-axis';
import { line } from 'd3-shape';
import { extent } from 'd3-array';
import { svgEl } from '../dom';
import { sig } from '../format';
import { attachKeyboardNav, type NavState } from './keyboardNav';
import { seriesClass, seriesDash, seriesSymbol } from './seriesStyle';
import { createTooltip } from './tooltip';

export interface LinePoint {
  x: number;
  y: number | null;
}

export interface LineSeries {
  name: string;
  points: LinePoint[];
}

export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
  /** Fixed y range (e.g. [0, 1] for rates); otherwise the data's, made nice. */
  yDomain?: [number, number];
  xLog?: boolean;
  /** Called with a sentence describing the focused point (for the figure's live region). */
  announce?: (text: string) => void;
}

export interface LineChart {
  svg: SVGSVGElement;
  /** Shows the value of one point, as hovering or the arrow keys do. */
  focus(series: number, index: number): void;
}

export const LINE_WIDTH = 560;
const PLOT_HEIGHT = 240;
const MARGIN = { top: 14, right: 20, bottom: 44, left: 60 };
const LEGEND_ROW = 16;
/** Sweeps have few x values: those are the ticks, so each measured point has its label. */
const MAX_EXACT_TICKS = 12;

export function lineChart(doc: Document, spec: LineChartSpec): LineChart {
  const fx = spec.formatX ?? ((v: number) => sig(v, 3));
  const fy = spec.formatY ?? ((v: number) => sig(v, 3));
  const plotW = LINE_WIDTH - MARGIN.left - MARGIN.right;
  const legendH = spec.series.length * LEGEND_ROW + 6;
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + legendH;
  const svg = svgEl(doc, 'svg', {
    viewBox: `0 0 ${LINE_WIDTH} ${height}`,
    class: 'line-chart',
    role: 'img',
    tabindex: 0,
    id: `${spec.id}-svg`,
    'aria-label': `${spec.title}. Line chart of ${spec.yLabel} against ${spec.xLabel}, ${spec.series.length} series. Arrow keys read the values.`,
  });
  svg.appendChild(svgEl(doc, 'title', null, spec.title));

  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x)).filter(Number.isFinite);
  const ys = spec.series.flatMap((s) => s.points.map((p) => p.y)).filter((v): v is number => v !== null && Number.isFinite(v));
  const [x0, x1] = extent(xs);
  const xDomain: [number, number] = x0 === undefined ? [0, 1] : x0 === x1 ? [x0 - 1, x0 + 1] : [x0, x1];
  const x = spec.xLog && xDomain[0] > 0 ? scaleLog().domain(xDomain).range([0, plotW]) : scaleLinear().domain(xDomain).range([0, plotW]);
  const [y0, y1] = extent(ys);
  const y = scaleLinear()
    .domain(spec.yDomain ?? (y0 === undefined ? [0, 1] : y0 === y1 ? [y0 - 1, y0 + 1] : [y0, y1]))
    .range([PLOT_HEIGHT, 0]);
  if (!spec.yDomain) y.nice();

  const plot = svgEl(doc, 'g', { class: 'plot', transform: `translate(${MARGIN.left},${MARGIN.top})` });
  svg.appendChild(plot);
  const distinctX = [...new Set(xs)].sort((a, b) => a - b);
  const xAxis = axisBottom(x).tickFormat((v) => fx(Number(v)));
  if (distinctX.length > 0 && distinctX.length <= MAX_EXACT_TICKS) xAxis.tickValues(distinctX);
  else xAxis.ticks(8);
  select(plot).append('g').attr('class', 'axis axis-x').attr('transform', `translate(0,${PLOT_HEIGHT})`).call(xAxis);
  select(plot)
    .append('g')
    .attr('class', 'axis axis-y')
    .call(
      axisLeft(y)
        .ticks(6)
        .tickFormat((v) => fy(Number(v))),
    );
  select(plot)
    .append('g')
    .attr('class', 'grid')
    .attr('aria-hidden', 'true')
    .selectAll('line')
    .data(y.ticks(6))
    .join('line')
    .attr('x1', 0)
    .attr('x2', plotW)
    .attr('y1', (v) => y(v))
    .attr('y2', (v) => y(v));
  plot.appendChild(svgEl(doc, 'text', { class: 'axis-label', x: plotW / 2, y: PLOT_HEIGHT + 36, 'text-anchor': 'middle' }, spec.xLabel));
  plot.appendChild(
    svgEl(
      doc,
      'text',
      { class: 'axis-label', transform: `translate(${-46},${PLOT_HEIGHT / 2}) rotate(-90)`, 'text-anchor': 'middle' },
      spec.yLabel,
    ),
  );

  const path = line<LinePoint>()
    .defined((p) => p.y !== null && Number.isFinite(p.y))
    .x((p) => x(p.x))
    .y((p) => y(p.y!));
  spec.series.forEach((s, i) => {
    const g = svgEl(doc, 'g', { class: `series ${seriesClass(i)}`, 'data-series': s.name });
    g.appendChild(svgEl(doc, 'path', { class: 'line', d: path(s.points) ?? '', 'stroke-dasharray': seriesDash(i) }));
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y)) continue;
      g.appendChild(svgEl(doc, 'path', { class: 'point', d: seriesSymbol(i), transform: `translate(${round(x(p.x))},${round(y(p.y))})` }));
    }
    plot.appendChild(g);
  });
  if (ys.length === 0)
    plot.appendChild(svgEl(doc, 'text', { class: 'no-data', x: plotW / 2, y: PLOT_HEIGHT / 2, 'text-anchor': 'middle' }, 'no values'));

  const legend = svgEl(doc, 'g', { class: 'legend', transform: `translate(${MARGIN.left},${MARGIN.top + PLOT_HEIGHT + MARGIN.bottom})` });
  spec.series.forEach((s, i) => {
    const row = svgEl(doc, 'g', { class: `legend-item ${seriesClass(i)}`, transform: `translate(0,${i * LEGEND_ROW})` });
    row.appendChild(svgEl(doc, 'line', { class: 'line', x1: 0, x2: 24, y1: 6, y2: 6, 'stroke-dasharray': seriesDash(i) }));
    row.appendChild(svgEl(doc, 'path', { class: 'point', d: seriesSymbol(i), transform: 'translate(12,6)' }));
    row.appendChild(svgEl(doc, 'text', { x: 30, y: 10 }, s.name));
    legend.appendChild(row);
  });
  svg.appendChild(legend);

  const focusLayer = svgEl(doc, 'g', { class: 'focus no-export', 'aria-hidden': 'true' });
  const dot = svgEl(doc, 'circle', { class: 'focus-dot', r: 5, visibility: 'hidden' });
  focusLayer.appendChild(dot);
  plot.appendChild(focusLayer);
  const tooltip = createTooltip(focusLayer, { width: plotW, height: PLOT_HEIGHT });

  const present = spec.series.map((s) => s.points.map((p) => p.y !== null && Number.isFinite(p.y)));
  const show = (si: number, pi: number) => {
    const s = spec.series[si];
    const p = s?.points[pi];
    if (!p || p.y === null) return;
    const px = x(p.x),
      py = y(p.y);
    dot.setAttribute('cx', String(round(px)));
    dot.setAttribute('cy', String(round(py)));
    dot.setAttribute('class', `focus-dot ${seriesClass(si)}`);
    dot.setAttribute('visibility', 'visible');
    tooltip.show(px, py, [s.name, `${spec.xLabel}: ${fx(p.x)}`, `${spec.yLabel}: ${fy(p.y)}`]);
    spec.announce?.(`${s.name}: ${spec.xLabel} ${fx(p.x)}, ${spec.yLabel} ${fy(p.y)}`);
  };
  const hide = () => {
    dot.setAttribute('visibility', 'hidden');
    tooltip.hide();
  };
  const nav = attachKeyboardNav(svg, {
    present,
    nearest: (from, index, to) => nearestIndex(spec.series[to].points, spec.series[from].points[index].x),
    show,
    hide,
  });
  svg.addEventListener('pointermove', (event) => {
    const [mx, my] = pointer(event, plot);
    let best: NavState | null = null;
    let bestDistance = Infinity;
    for (let si = 0; si < spec.series.length; si++) {
      for (let pi = 0; pi < spec.series[si].points.length; pi++) {
        if (!present[si][pi]) continue;
        const p = spec.series[si].points[pi];
        const d = Math.hypot(x(p.x) - mx, y(p.y!) - my);
        if (d < bestDistance) {
          bestDistance = d;
          best = { series: si, index: pi };
        }
      }
    }
    if (best) nav.set(best);
  });
  svg.addEventListener('pointerleave', hide);
  return { svg, focus: (s, i) => nav.set({ series: s, index: i }) };
}

function nearestIndex(points: LinePoint[], x: number): number {
  let best = 0;
  points.forEach((p, i) => {
    if (Math.abs(p.x - x) < Math.abs(points[best].x - x)) best = i;
  });
  return best;
}

const round = (v: number) => Math.round(v * 100) / 100;
