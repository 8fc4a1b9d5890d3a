/**
 * Robust accuracy against ε: one line chart per norm, a series per attack, each named with how its points
 * were obtained (derived from the per-image minimal ε, or measured by running the attack at each ε). Derived
 * curves are step functions: their points are every image's minimal ε; a minimal-ε search stops at its budget.
 */
import type { RobustnessCurvesSection } from '../../../src/engine/attacks/robustnessCurves';
import { chartFigure, standaloneSvg, type Figure } from '../charts/exportChart';
import { lineChart } from '../charts/lineChart';
import { epsilon, percent, sig } from '../format';
import type { RenderContext, SectionEntry, Side } from './context';
import { sideTitle } from './context';

type NormCurves = RobustnessCurvesSection['norms'][number];

const NORM_TEXT = { linf: 'L∞', l2: 'L2' } as const;

export function renderRobustnessCurves(entries: SectionEntry<RobustnessCurvesSection>[], ctx: RenderContext): Node[] {
  return entries.flatMap(({ side, section }) => section.norms.map((n) => curveFigure(ctx, side, section, n)));
}

function seriesName(c: NormCurves['curves'][number]): string {
  return `${c.label} (${c.source})`;
}

function curveFigure(ctx: RenderContext, side: Side, s: RobustnessCurvesSection, n: NormCurves): HTMLElement {
  const id = `robustness-curve-${n.norm}${ctx.compare ? `-${side.key}` : ''}`;
  const title = sideTitle(ctx, side, `Robust accuracy vs ${NORM_TEXT[n.norm]} ε`);
  const series = n.curves.map((c) => ({ name: seriesName(c), points: c.points.map((p) => ({ x: p.eps, y: p.accuracy })) }));
  let fig: Figure | null = null;
  const chart = lineChart(ctx.h.doc, {
    id,
    title,
    xLabel: `${NORM_TEXT[n.norm]} ε (pixel units)`,
    yLabel: `robust accuracy (${s.criterion === 'top1' ? 'top-1' : 'top-5'})`,
    series,
    formatX: (v) => (n.norm === 'linf' ? epsilon(v, 'linf') : sig(v, 3)),
    formatY: (v) => percent(v, 0),
    yDomain: [0, 1],
    announce: (t) => fig?.announce(t),
  });
  chart.svg.dataset.testid = `robustness-curve-${n.norm}`;
  chart.svg.dataset.side = side.key;
  const bounded = n.curves.filter((c) => c.budget !== null).map((c) => `${c.label} searched up to ${epsilon(c.budget, n.norm)}`);
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id,
    title,
    caption: [
      `Share of the ${s.evaluated} evaluated images still classified correctly (clean errors count as not robust). `,
      'Derived: exact, from each image’s minimal ε (no extra attack); measured: the attack run at each ε. ',
      bounded.length ? `${bounded.join('; ')}: unknown beyond.` : '',
    ],
    body: [chart.svg],
    data: {
      columns: [
        { label: 'series' },
        { label: 'source' },
        { label: 'ε' },
        { label: 'robust accuracy', format: (v) => percent(v as number) },
      ],
      rows: n.curves.flatMap((c) => c.points.map((p) => [c.label, c.source, p.eps, p.accuracy])),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}
