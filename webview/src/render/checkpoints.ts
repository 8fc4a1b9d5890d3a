/**
 * Robustness along training: two line charts over the checkpoints in training order — clean and robust
 * accuracy (FGM, PGD at one ε), and the low-frequency energy ratio τ of each attack's perturbations against the
 * images' τ(x) — each with its data table and exports, the order and the settings above them, and the
 * checkpoints that could not be analysed (with why) below. A failed checkpoint is a gap in the lines.
 */
import { LOW_FREQUENCY_RATIO_DEFINITION, checkpointCounts, type CheckpointsSection } from '../../../src/protocol/checkpoints';
import { chartFigure, standaloneSvg, type Figure } from '../charts/exportChart';
import { lineChart, type LineSeries } from '../charts/lineChart';
import { epsilon, fixed, percent } from '../format';
import { sideTitle, type RenderContext, type SectionEntry, type Side } from './context';

const NORM_TEXT = { linf: 'L∞', l2: 'L2' } as const;

export function renderCheckpoints(entries: SectionEntry<CheckpointsSection>[], ctx: RenderContext): Node[] {
  return entries.flatMap(({ side, section }) => {
    const nodes: Node[] = [paramsNote(ctx, side, section), accuracyFigure(ctx, side, section)];
    const tau = tauFigure(ctx, side, section);
    nodes.push(
      tau ??
        ctx.h(
          'p',
          { class: 'note', 'data-testid': 'checkpoints-no-tau' },
          'The low-frequency energy ratio τ was not measured for these entries.',
        ),
    );
    const failed = section.entries.filter((e) => e.status === 'failed');
    if (failed.length)
      nodes.push(
        ctx.h(
          'ul',
          { class: 'warnings', 'data-testid': 'checkpoints-failed' },
          ...failed.map((e) => ctx.h('li', null, `${e.name}: not analysed — ${e.error ?? 'unknown reason'}`)),
        ),
      );
    return nodes;
  });
}

/** The checkpoint names, by their place on the x axis (1 … n). */
function nameAt(s: CheckpointsSection): (v: number) => string {
  return (v) => {
    const e = s.entries[Math.round(v) - 1];
    return e && Math.abs(v - Math.round(v)) < 1e-9 ? e.name : '';
  };
}

function paramsNote(ctx: RenderContext, side: Side, s: CheckpointsSection): HTMLElement {
  const p = s.params;
  const c = checkpointCounts(s);
  const source =
    s.order === 'check-time'
      ? 'from the Quick Attack Check history'
      : `computed ${c.computed}, from the cache ${c.cached}${c.failed ? `, not analysed ${c.failed}` : ''}`;
  return ctx.h(
    'p',
    { class: 'note', 'data-testid': 'checkpoints-params' },
    `${ctx.compare ? `${side.label}: ` : ''}${s.done} of ${s.total} ${s.order === 'check-time' ? 'exports' : 'checkpoints'} of ${s.folder}, ordered ${s.orderNote}; ` +
      `${NORM_TEXT[p.norm]} ε = ${epsilon(p.epsilon, p.norm)}` +
      (p.cutoff !== null ? `, S_l = {|k_x|, |k_y| ≤ ${p.cutoff}}` : '') +
      `; ${source}.`,
  );
}

function attackLabels(s: CheckpointsSection): string[] {
  const first = s.entries.find((e) => e.result)?.result;
  return first ? first.attacks.map((a) => a.label) : [];
}

function figure(
  ctx: RenderContext,
  side: Side,
  s: CheckpointsSection,
  spec: { key: string; title: string; yLabel: string; series: LineSeries[]; formatY: (v: number) => string; caption: string },
): HTMLElement {
  const id = `checkpoints-${spec.key}${ctx.compare ? `-${side.key}` : ''}`;
  const title = sideTitle(ctx, side, spec.title);
  let fig: Figure | null = null;
  const chart = lineChart(ctx.h.doc, {
    id,
    title,
    xLabel: 'checkpoint (training order)',
    yLabel: spec.yLabel,
    series: spec.series,
    formatX: nameAt(s),
    formatY: spec.formatY,
    yDomain: [0, 1],
    announce: (t) => fig?.announce(t),
  });
  chart.svg.dataset.testid = `checkpoints-${spec.key}`;
  chart.svg.dataset.side = side.key;
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id,
    title,
    caption: [spec.caption],
    body: [chart.svg],
    data: {
      columns: [
        { label: 'checkpoint' },
        ...spec.series.map((x) => ({ label: x.name, format: (v: unknown) => (v === null ? '—' : spec.formatY(v as number)) })),
      ],
      rows: s.entries.map((e, i) => [e.name, ...spec.series.map((x) => x.points[i]?.y ?? null)]),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}

function accuracyFigure(ctx: RenderContext, side: Side, s: CheckpointsSection): HTMLElement {
  const labels = attackLabels(s);
  const series: LineSeries[] = [
    { name: 'clean', points: s.entries.map((e, i) => ({ x: i + 1, y: e.result?.cleanTop1 ?? null })) },
    ...labels.map((label, a) => ({
      name: `robust: ${label}`,
      points: s.entries.map((e, i) => ({ x: i + 1, y: e.result?.attacks[a]?.robustTop1 ?? null })),
    })),
  ];
  return figure(ctx, side, s, {
    key: 'accuracy',
    title: 'Clean and robust accuracy along training',
    yLabel: 'top-1 accuracy',
    series,
    formatY: (v) => percent(v, 1),
    caption:
      'Top-1 accuracy of each checkpoint on the same images, clean and after each attack at the fixed ε (clean errors count as not robust).',
  });
}

function tauFigure(ctx: RenderContext, side: Side, s: CheckpointsSection): HTMLElement | null {
  const labels = attackLabels(s);
  const series: LineSeries[] = [
    ...labels.map((label, a) => ({
      name: `τ(δ): ${label}`,
      points: s.entries.map((e, i) => ({ x: i + 1, y: e.result?.attacks[a]?.lowFrequencyRatio ?? null })),
    })),
    { name: 'τ(x): clean images', points: s.entries.map((e, i) => ({ x: i + 1, y: e.result?.imagesLowFrequencyRatio ?? null })) },
  ];
  if (series.every((x) => x.points.every((p) => p.y === null))) return null;
  return figure(ctx, side, s, {
    key: 'tau',
    title: 'Low-frequency energy ratio along training',
    yLabel: 'τ: share of the energy in S_l',
    series,
    formatY: (v) => fixed(v, 3),
    caption: LOW_FREQUENCY_RATIO_DEFINITION,
  });
}
