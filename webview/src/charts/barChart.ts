/**
 * Grouped bar chart (Occluded Frequency: one group of bars per frequency band, one bar per model). Bars
 * grow from zero (scores can be negative), optional reference ticks (the dataset mean) sit across each
 * band, and marked bars (flipped predictions) carry a triangle. Hover / arrow keys read each bar.
 */
import { pointer, select } from 'd3-selection';
import { scaleBand, scaleLinear } from 'd3-scale';
import { axisBottom, axisLeft } from 'd3-axis';
import { extent } from 'd3-array';
import { svgEl } from '../dom';
import { sig } from '../format';
import { attachKeyboardNav } from './keyboardNav';
import { seriesClass } from './seriesStyle';
import { createTooltip } from './tooltip';

export interface BarGroup {
  name: string;
  values: (number | null)[];
  /** Per category: a note that marks the bar (e.g. "top-1 flips"), or null. */
  marks?: (string | null)[];
}

export interface BarChartSpec {
  id: string;
  title: string;
  categories: string[];
  xLabel: string;
  yLabel: string;
  groups: BarGroup[];
  /** Drawn as a tick across each category (e.g. the dataset mean behind a per-image view). */
  reference?: { name: string; values: number[] } | null;
  formatY?: (v: number) => string;
  announce?: (text: string) => void;
  /** data-testid of the SVG. */
  testId?: string;
}

export interface BarChart {
  svg: SVGSVGElement;
  focus(group: number, category: number): void;
}

export const BAR_WIDTH = 560;
const PLOT_HEIGHT = 220;
const MARGIN = { top: 18, right: 20, bottom: 44, left: 60 };
const LEGEND_ROW = 16;
/** Above this many bands only every n-th band is labelled, so labels do not collide. */
const MAX_LABELS = 16;

export function barChart(doc: Document, spec: BarChartSpec): BarChart {
  const fy = spec.formatY ?? ((v: number) => sig(v, 3));
  const plotW = BAR_WIDTH - MARGIN.left - MARGIN.right;
  // The legend lists the groups that have a bar; the others are named in one line under it.
  const hasBar = (g: BarGroup) => g.values.some((v) => v !== null && v !== undefined && Number.isFinite(v));
  const empty = spec.groups.filter((g) => !hasBar(g)).map((g) => g.name);
  const legendItems =
    spec.groups.length -
    empty.length +
    (spec.reference ? 1 : 0) +
    (spec.groups.some((g) => g.marks?.some(Boolean)) ? 1 : 0) +
    (empty.length ? 1 : 0);
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + legendItems * LEGEND_ROW + 6;
  const svg = svgEl(doc, 'svg', {
    viewBox: `0 0 ${BAR_WIDTH} ${height}`,
    class: 'bar-chart',
    role: 'img',
    tabindex: 0,
    id: `${spec.id}-svg`,
    'data-testid': spec.testId,
    'aria-label': `${spec.title}. Bar chart of ${spec.yLabel} per ${spec.xLabel}, ${spec.groups.length} series. Arrow keys read the values.`,
  });
  svg.appendChild(svgEl(doc, 'title', null, spec.title));

  const values = [...spec.groups.flatMap((g) => g.values), ...(spec.reference?.values ?? [])].filter(
    (v): v is number => v !== null && Number.isFinite(v),
  );
  const [lo, hi] = extent([0, ...values]) as [number, number];
  const y = scaleLinear()
    .domain([lo, hi === lo ? lo + 1 : hi])
    .range([PLOT_HEIGHT, 0])
    .nice();
  const x = scaleBand<string>().domain(spec.categories).range([0, plotW]).paddingInner(0.2).paddingOuter(0.1);
  const inner = scaleBand<number>()
    .domain(spec.groups.map((_, i) => i))
    .range([0, x.bandwidth()])
    .paddingInner(0.08);
  const band = (c: number) => x(spec.categories[c]) ?? 0;

  const plot = svgEl(doc, 'g', { class: 'plot', transform: `translate(${MARGIN.left},${MARGIN.top})` });
  svg.appendChild(plot);
  const every = Math.ceil(spec.categories.length / MAX_LABELS);
  select(plot)
    .append('g')
    .attr('class', 'axis axis-x')
    .attr('transform', `translate(0,${PLOT_HEIGHT})`)
    .call(axisBottom(x).tickValues(spec.categories.filter((_, i) => i % every === 0)));
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

  const zero = y(0);
  spec.groups.forEach((g, gi) => {
    const layer = svgEl(doc, 'g', { class: `series ${seriesClass(gi)}`, 'data-series': g.name });
    g.values.forEach((v, c) => {
      if (v === null || !Number.isFinite(v)) return;
      const left = band(c) + (inner(gi) ?? 0);
      const top = Math.min(y(v), zero);
      const bar = svgEl(doc, 'rect', {
        class: 'bar',
        x: round(left),
        y: round(top),
        width: round(inner.bandwidth()),
        height: round(Math.abs(y(v) - zero)),
        'data-category': spec.categories[c],
      });
      bar.appendChild(
        svgEl(doc, 'title', null, `${g.name}, ${spec.xLabel} ${spec.categories[c]}: ${fy(v)}${g.marks?.[c] ? ` (${g.marks[c]})` : ''}`),
      );
      layer.appendChild(bar);
      const mark = g.marks?.[c];
      if (mark) {
        // A triangle just beyond the bar's end, pointing away from zero.
        // Narrow bands (hundreds of them for large images) get narrower marks, so marks do not merge.
        const cx = round(left + inner.bandwidth() / 2);
        const half = round(Math.min(4, Math.max(1.5, inner.bandwidth() / 2)));
        const tip = v >= 0 ? top - 3 : top + Math.abs(y(v) - zero) + 3;
        const dir = v >= 0 ? -1 : 1;
        layer.appendChild(
          svgEl(
            doc,
            'path',
            {
              class: 'flip-mark',
              d: `M${round(cx - half)},${round(tip)}L${round(cx + half)},${round(tip)}L${cx},${round(tip + dir * 7)}Z`,
            },
            svgEl(doc, 'title', null, mark),
          ),
        );
      }
    });
    plot.appendChild(layer);
  });
  plot.appendChild(svgEl(doc, 'line', { class: 'zero-line', x1: 0, x2: plotW, y1: round(zero), y2: round(zero) }));
  if (spec.reference) {
    const ref = svgEl(doc, 'g', { class: 'reference', 'data-series': spec.reference.name });
    spec.reference.values.forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      ref.appendChild(svgEl(doc, 'line', { x1: round(band(c)), x2: round(band(c) + x.bandwidth()), y1: round(y(v)), y2: round(y(v)) }));
    });
    plot.appendChild(ref);
  }

  const legend = svgEl(doc, 'g', { class: 'legend', transform: `translate(${MARGIN.left},${MARGIN.top + PLOT_HEIGHT + MARGIN.bottom})` });
  let row = 0;
  const legendRow = (cls: string, swatch: SVGElement, text: string) => {
    const item = svgEl(doc, 'g', { class: `legend-item ${cls}`, transform: `translate(0,${row++ * LEGEND_ROW})` });
    item.appendChild(swatch);
    item.appendChild(svgEl(doc, 'text', { x: 22, y: 10 }, text));
    legend.appendChild(item);
  };
  spec.groups.forEach((g, gi) => {
    if (hasBar(g)) legendRow(seriesClass(gi), svgEl(doc, 'rect', { class: 'bar', x: 0, y: 1, width: 14, height: 10 }), g.name);
  });
  if (spec.reference) legendRow('reference', svgEl(doc, 'line', { x1: 0, x2: 14, y1: 6, y2: 6 }), spec.reference.name);
  if (spec.groups.some((g) => g.marks?.some(Boolean)))
    legendRow('flip', svgEl(doc, 'path', { class: 'flip-mark', d: 'M3,2L11,2L7,9Z' }), 'ablating the band changes the top-1 prediction');
  if (empty.length)
    legend.appendChild(
      svgEl(doc, 'text', { class: 'legend-note', x: 0, y: row++ * LEGEND_ROW + 10 }, `Not drawn, no values: ${empty.join(', ')}.`),
    );
  svg.appendChild(legend);

  const focusLayer = svgEl(doc, 'g', { class: 'focus no-export', 'aria-hidden': 'true' });
  const ring = svgEl(doc, 'rect', { class: 'focus-ring', visibility: 'hidden' });
  focusLayer.appendChild(ring);
  plot.appendChild(focusLayer);
  const tooltip = createTooltip(focusLayer, { width: plotW, height: PLOT_HEIGHT });
  const present = spec.groups.map((g) =>
    spec.categories.map((_, c) => g.values[c] !== null && g.values[c] !== undefined && Number.isFinite(g.values[c])),
  );
  const show = (gi: number, c: number) => {
    const g = spec.groups[gi];
    const v = g?.values[c];
    if (v === null || v === undefined) return;
    const left = band(c) + (inner(gi) ?? 0);
    const top = Math.min(y(v), zero);
    ring.setAttribute('x', String(round(left - 2)));
    ring.setAttribute('y', String(round(top - 2)));
    ring.setAttribute('width', String(round(inner.bandwidth() + 4)));
    ring.setAttribute('height', String(round(Math.abs(y(v) - zero) + 4)));
    ring.setAttribute('visibility', 'visible');
    const lines = [g.name, `${spec.xLabel}: ${spec.categories[c]}`, `${spec.yLabel}: ${fy(v)}`];
    if (spec.reference) lines.push(`${spec.reference.name}: ${fy(spec.reference.values[c])}`);
    if (g.marks?.[c]) lines.push(g.marks[c]);
    tooltip.show(left + inner.bandwidth() / 2, y(v), lines);
    spec.announce?.(`${g.name}: ${lines.slice(1).join(', ')}`);
  };
  const hide = () => {
    ring.setAttribute('visibility', 'hidden');
    tooltip.hide();
  };
  const nav = attachKeyboardNav(svg, { present, nearest: (_from, index) => index, show, hide });
  svg.addEventListener('pointermove', (event) => {
    const [mx] = pointer(event, plot);
    const c = Math.floor((mx - x.paddingOuter() * x.step()) / x.step());
    if (c < 0 || c >= spec.categories.length) return;
    const within = mx - band(c);
    const gi = Math.max(0, Math.min(spec.groups.length - 1, Math.floor(within / inner.step())));
    if (present[gi]?.[c]) nav.set({ series: gi, index: c });
  });
  svg.addEventListener('pointerleave', hide);
  return { svg, focus: (g, c) => nav.set({ series: g, index: c }) };
}

const round = (v: number) => Math.round(v * 100) / 100;
