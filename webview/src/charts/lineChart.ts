/**
 * Line chart (sweeps, budget curves): SVG with axes in `currentColor`, one path + point symbols per series,
 * gaps where a value is missing, a legend inside the SVG (so exports keep it), and hover / arrow-key values
 * through a focus dot and tooltip. The legend lists the series that are drawn; series with no value and
 * series hidden under another (the same y at every x) are said in words below it.
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
  /**
   * Points only, no line (measurements beside a curve, e.g. empirical bounds): drawn in the colour of series
   * `colour` with a larger cross, so they read as belonging to that curve yet differ from every curve's symbol.
   */
  markers?: { colour: number };
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
  const plan = legendPlan(spec.series);
  const legendH = (plan.drawn.length + plan.notes.length) * LEGEND_ROW + 6;
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + legendH;
  const svg = svgEl(doc, 'svg', {
    viewBox: `0 0 ${LINE_WIDTH} ${height}`,
    class: 'line-chart',
    role: 'img',
    tabindex: 0,
    id: `${spec.id}-svg`,
    'aria-label': `${spec.title}. Line chart of ${spec.yLabel} against ${spec.xLabel}, ${plan.drawn.length} series.${plan.notes.map((n) => ` ${n}`).join('')} Arrow keys read the values.`,
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
    const g = svgEl(doc, 'g', {
      class: `series ${seriesClass(s.markers?.colour ?? i)}${s.markers ? ' markers' : ''}`,
      'data-series': s.name,
    });
    if (!s.markers) g.appendChild(svgEl(doc, 'path', { class: 'line', d: path(s.points) ?? '', 'stroke-dasharray': seriesDash(i) }));
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y)) continue;
      g.appendChild(
        svgEl(doc, 'path', { class: 'point', d: pointSymbol(s, i), transform: `translate(${round(x(p.x))},${round(y(p.y))})` }),
      );
    }
    plot.appendChild(g);
  });
  if (ys.length === 0)
    plot.appendChild(svgEl(doc, 'text', { class: 'no-data', x: plotW / 2, y: PLOT_HEIGHT / 2, 'text-anchor': 'middle' }, 'no values'));

  const legend = svgEl(doc, 'g', { class: 'legend', transform: `translate(${MARGIN.left},${MARGIN.top + PLOT_HEIGHT + MARGIN.bottom})` });
  plan.drawn.forEach((i, row) => {
    const s = spec.series[i];
    const item = svgEl(doc, 'g', {
      class: `legend-item ${seriesClass(s.markers?.colour ?? i)}`,
      transform: `translate(0,${row * LEGEND_ROW})`,
    });
    if (!s.markers) item.appendChild(svgEl(doc, 'line', { class: 'line', x1: 0, x2: 24, y1: 6, y2: 6, 'stroke-dasharray': seriesDash(i) }));
    item.appendChild(svgEl(doc, 'path', { class: 'point', d: pointSymbol(s, i), transform: 'translate(12,6)' }));
    item.appendChild(svgEl(doc, 'text', { x: 30, y: 10 }, spec.series[i].name));
    legend.appendChild(item);
  });
  plan.notes.forEach((note, k) => {
    legend.appendChild(svgEl(doc, 'text', { class: 'legend-note', x: 0, y: (plan.drawn.length + k) * LEGEND_ROW + 10 }, note));
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

/** Two series coincide when their values differ by at most this fraction of the plotted y range at every x. */
export const COINCIDE_TOLERANCE = 1e-6;

export interface LegendPlan {
  /** Indices of the series with at least one finite value, in order. */
  drawn: number[];
  /** Sentences for what the legend cannot show: coinciding lines, series with no value. */
  notes: string[];
}

/** Which series the legend lists, and what it says about the others. */
export function legendPlan(series: LineSeries[]): LegendPlan {
  const finite = (p: LinePoint): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y);
  const drawn = series.flatMap((s, i) => (s.points.some(finite) ? [i] : []));
  const ys = drawn.flatMap((i) => series[i].points.filter(finite).map((p) => p.y));
  const span = ys.length ? Math.max(...ys) - Math.min(...ys) : 0;
  const tolerance = COINCIDE_TOLERANCE * (span > 0 ? span : 1);
  const valuesByX = (s: LineSeries) => new Map(s.points.filter(finite).map((p) => [p.x, p.y]));
  const coincide = (a: Map<number, number>, b: Map<number, number>) =>
    a.size === b.size && [...a].every(([x, y]) => b.has(x) && Math.abs(b.get(x)! - y) <= tolerance);
  // Each drawn series joins the first earlier group it coincides with.
  const groups: { values: Map<number, number>; members: number[] }[] = [];
  for (const i of drawn) {
    const values = valuesByX(series[i]);
    const group = groups.find((g) => coincide(g.values, values));
    if (group) group.members.push(i);
    else groups.push({ values, members: [i] });
  }
  const notes = groups
    .filter((g) => g.members.length > 1)
    .map((g) => `${listNames(g.members.map((i) => series[i].name))} coincide: one line hides the other${g.members.length > 2 ? 's' : ''}.`);
  const empty = series.filter((_, i) => !drawn.includes(i)).map((s) => s.name);
  if (empty.length) notes.push(`Not drawn, no values: ${empty.join(', ')}.`);
  return { drawn, notes };
}

/** A curve's own symbol; a markers-only series' larger cross (symbol 4 of seriesStyle's list). */
function pointSymbol(s: LineSeries, i: number): string {
  return s.markers ? seriesSymbol(MARKER_SYMBOL, 90) : seriesSymbol(i);
}
const MARKER_SYMBOL = 4;

function listNames(names: string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function nearestIndex(points: LinePoint[], x: number): number {
  let best = 0;
  points.forEach((p, i) => {
    if (Math.abs(p.x - x) < Math.abs(points[best].x - x)) best = i;
  });
  return best;
}

const round = (v: number) => Math.round(v * 100) / 100;
