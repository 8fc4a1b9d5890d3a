/**
 * Sweep line charts (defence rate vs r, vs ε, vs K; accuracy vs low-pass cutoff), one per sweep, each
 * series labelled with the attack and mode it was measured under. All four plot fractions on 0…100 %.
 */
import { modeWords } from '../../../src/protocol/verdict';
import type { Sweep, SweepsSection } from '../../../src/engine/report/sections';
import { chartFigure, standaloneSvg, type Figure } from '../charts/exportChart';
import { lineChart } from '../charts/lineChart';
import { percent, sig } from '../format';
import type { RenderContext, SectionEntry, Side } from './context';
import { sideTitle } from './context';

export function renderSweeps(entries: SectionEntry<SweepsSection>[], ctx: RenderContext): Node[] {
  if (ctx.compare) return comparedSweeps(entries, ctx);
  return entries.flatMap(({ side, section }) => section.sweeps.map((sweep) => sweepFigure(ctx, side, sweep)));
}

/**
 * Compare mode: a sweep both runs made over the same x values with the same series is one chart holding
 * both models' curves (each series named by its model); any other sweep gets a chart per model.
 */
function comparedSweeps(entries: SectionEntry<SweepsSection>[], ctx: RenderContext): Node[] {
  const all = entries.flatMap(({ side, section }) => section.sweeps.map((sweep) => ({ side, sweep })));
  const out: Node[] = [];
  const done = new Set<(typeof all)[number]>();
  for (const part of all) {
    if (done.has(part)) continue;
    done.add(part);
    const other = part.side.key === 'a' ? all.find((p) => p.side.key === 'b' && !done.has(p) && axesAgree(part.sweep, p.sweep)) : undefined;
    if (other) {
      done.add(other);
      out.push(overlaidSweepFigure(ctx, [part, other]));
    } else out.push(sweepFigure(ctx, part.side, part.sweep));
  }
  return out;
}

/** Same sweep, same axes, same x values (to 1e-9) and the same series: the curves can share one chart. */
export function axesAgree(a: Sweep, b: Sweep): boolean {
  const names = (s: Sweep) =>
    s.series
      .map((x) => `${x.name}|${x.mode}`)
      .sort()
      .join('\n');
  return (
    a.id === b.id &&
    a.xLabel === b.xLabel &&
    a.yLabel === b.yLabel &&
    a.x.length === b.x.length &&
    a.x.every((v, i) => Math.abs(v - b.x[i]) <= 1e-9 * Math.max(1, Math.abs(v))) &&
    names(a) === names(b)
  );
}

/** A series' name with its attack mode in words (never the raw mode id). */
function seriesName(s: Sweep['series'][number]): string {
  return s.mode === 'clean' ? s.name : `${s.name} (${modeWords(s.mode)})`;
}

/** A sweep's line chart: y a share in [0, 1] shown as a percentage; it announces through the figure made after it. */
function sweepChart(
  ctx: RenderContext,
  id: string,
  title: string,
  sweep: Sweep,
  series: { name: string; points: { x: number; y: number | null }[] }[],
  figure: () => Figure | null,
) {
  return lineChart(ctx.h.doc, {
    id,
    title,
    xLabel: sweep.xLabel,
    yLabel: sweep.yLabel,
    series,
    formatX: (v) => sig(v, 3),
    formatY: (v) => percent(v, 0),
    yDomain: [0, 1],
    announce: (t) => figure()?.announce(t),
  });
}

function fixedText(sweep: Sweep): string {
  return Object.entries(sweep.fixed)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? sig(v, 4) : v}`)
    .join(', ');
}

/** Both models' curves of one sweep in one chart, A's series first. */
function overlaidSweepFigure(ctx: RenderContext, parts: { side: Side; sweep: Sweep }[]): HTMLElement {
  const sweep = parts[0].sweep;
  const id = `sweep-${sweep.id}`;
  const title = `${sweep.title}: ${parts.map((p) => p.side.label).join(' vs ')}`;
  const series = parts.flatMap(({ side, sweep: s }) =>
    s.series.map((x) => ({ name: `${side.label}: ${seriesName(x)}`, points: s.x.map((v, i) => ({ x: v, y: x.y[i] ?? null })) })),
  );
  let fig: Figure | null = null;
  const chart = sweepChart(ctx, id, title, sweep, series, () => fig);
  chart.svg.dataset.testid = `sweep-${sweep.id}`;
  chart.svg.dataset.side = 'both';
  const caption = parts.map(({ side, sweep: s }) => {
    const fixed = fixedText(s);
    return `${side.label}: ${fixed ? `fixed ${fixed}` : 'nothing fixed'}. `;
  });
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id,
    title,
    caption: ['Both models on one chart (same x values and series). ', ...caption],
    body: [chart.svg],
    data: {
      columns: [{ label: sweep.xLabel }, ...series.map((s) => ({ label: s.name, format: (v: unknown) => percent(v as number | null) }))],
      rows: sweep.x.map((x, i) => [x, ...parts.flatMap(({ sweep: s }) => s.series.map((x2) => x2.y[i] ?? null))]),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}

function sweepFigure(ctx: RenderContext, side: Side, sweep: Sweep): HTMLElement {
  const id = `sweep-${sweep.id}${ctx.compare ? `-${side.key}` : ''}`;
  const title = sideTitle(ctx, side, sweep.title);
  const series = sweep.series.map((s) => ({ name: seriesName(s), points: sweep.x.map((x, i) => ({ x, y: s.y[i] ?? null })) }));
  let fig: Figure | null = null;
  const chart = sweepChart(ctx, id, title, sweep, series, () => fig);
  chart.svg.dataset.testid = `sweep-${sweep.id}`;
  chart.svg.dataset.side = side.key;
  const fixed = Object.entries(sweep.fixed)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? sig(v, 4) : v}`)
    .join(', ');
  const measured = sweep.series
    .filter((s) => s.attack)
    .map((s) => `${s.name}: ${s.attack}, ${modeWords(s.mode)}`)
    .join('; ');
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id,
    title,
    caption: [fixed ? `Fixed: ${fixed}.` : '', measured ? ` Measured under: ${measured}.` : ''],
    body: [chart.svg],
    data: {
      columns: [{ label: sweep.xLabel }, ...series.map((s) => ({ label: s.name, format: (v: unknown) => percent(v as number | null) }))],
      rows: sweep.x.map((x, i) => [x, ...sweep.series.map((s) => s.y[i] ?? null)]),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}
