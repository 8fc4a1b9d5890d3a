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
  return entries.flatMap(({ side, section }) => section.sweeps.map((sweep) => sweepFigure(ctx, side, sweep)));
}

function sweepFigure(ctx: RenderContext, side: Side, sweep: Sweep): HTMLElement {
  const id = `sweep-${sweep.id}${ctx.compare ? `-${side.key}` : ''}`;
  const title = sideTitle(ctx, side, sweep.title);
  const series = sweep.series.map((s) => ({
    name: s.mode === 'clean' ? s.name : `${s.name} (${modeWords(s.mode)})`,
    points: sweep.x.map((x, i) => ({ x, y: s.y[i] ?? null })),
  }));
  let fig: Figure | null = null;
  const chart = lineChart(ctx.h.doc, {
    id,
    title,
    xLabel: sweep.xLabel,
    yLabel: sweep.yLabel,
    series,
    formatX: (v) => sig(v, 3),
    formatY: (v) => percent(v, 0),
    yDomain: [0, 1],
    announce: (t) => fig?.announce(t),
  });
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
