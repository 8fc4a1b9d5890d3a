/**
 * The attack table: one row per attack run (both models' rows in compare mode), with the attack mode always
 * shown beside ε, in words, because a success rate means nothing without knowing how the budget was used.
 * Cells carry numbers; what they mean is in the headers' and cells' tooltips. The row the verdict's robust
 * accuracy comes from is marked, so the headline and the table visibly show the same figure. Minimal-
 * perturbation runs also get their accuracy-vs-budget curve; an AutoAttack run its ensemble table (ensembleTable.ts).
 */
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { AttackRunSummary } from '../../../src/engine/attacks/protocol';
import { chartFigure, standaloneSvg } from '../charts/exportChart';
import { lineChart, type LineSeries } from '../charts/lineChart';
import type { Child } from '../dom';
import { MODE_MEANING, attackName, modeWords } from '../../../src/protocol/verdict';
import { DASH, count, epsilon, fixed, fraction, percent, sig } from '../format';
import { comparedAttackRows } from './compareDeltas';
import { renderEnsembles } from './ensembleTable';
import type { RenderContext, SectionEntry } from './context';
import { sideVerdict } from './summary';

type Run = AttacksSection['runs'][number];
type NormName = 'linf' | 'l2';

export function renderAttacks(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): Node[] {
  // An AutoAttack run: the ensemble's reading (robust accuracy after each attack, who broke each image) follows the table.
  const out: Node[] = [attackTable(entries, ctx), ...renderEnsembles(entries, ctx)];
  const curve = budgetCurves(entries, ctx);
  if (curve) out.push(curve);
  return out;
}

/** The norm of an attack's budget: its `norm` parameter, else what the attack implies (FGSM is L∞, FGM L2). */
export function attackNorm(run: Pick<AttackRunSummary, 'params' | 'label'>): NormName | null {
  const n = run.params.norm;
  if (n === 'linf' || n === 'l2') return n;
  if (run.params.attack === 'fgsm') return 'linf';
  if (run.params.attack === 'fgm') return 'l2';
  if (run.label.includes('L∞')) return 'linf';
  if (run.label.includes('L2')) return 'l2';
  return null;
}

/** ε as the mode defines it: the fixed budget, the median minimal ε found, none, or a query-limited bound. */
export function epsilonText(run: Pick<AttackRunSummary, 'mode' | 'params' | 'label' | 'epsilon'>): string {
  const norm = attackNorm(run);
  const eps = typeof run.params.eps === 'number' ? run.params.eps : null;
  switch (run.mode) {
    case 'fixed-eps':
      return epsilon(eps, norm);
    case 'minimal-eps':
      return `median ${epsilon(run.epsilon?.median ?? null, norm)}`;
    case 'minimal-perturbation':
      return `${DASH} (unbounded)`;
    case 'query-limited': {
      const linf = typeof run.params.linf === 'number' ? run.params.linf : null;
      return linf !== null ? `L∞ ≤ ${epsilon(linf, 'linf')}` : `${DASH} (no norm bound)`;
    }
  }
}

/** What the ε cell's figure is, for its tooltip (the search bound of a minimal-ε run lives here, not in the cell). */
export function epsilonTitle(run: Pick<AttackRunSummary, 'mode' | 'params' | 'label' | 'epsilon'>): string {
  const norm = attackNorm(run);
  const eps = typeof run.params.eps === 'number' ? run.params.eps : null;
  switch (run.mode) {
    case 'fixed-eps':
      return 'The budget: every image may be perturbed by up to ε';
    case 'minimal-eps':
      return `Median of the per-image minimal ε that succeeded; searched up to ${epsilon(eps, norm)}`;
    case 'minimal-perturbation':
      return 'No budget: the attack searches the smallest perturbation that changes the prediction (its size is in the median norms)';
    case 'query-limited':
      return 'A query budget, not a norm budget; the L∞ bound when one was set';
  }
}

const COLUMNS: [string, string][] = [
  ['Attack', ''],
  ['Mode', 'How the budget was used'],
  ['ε', 'Perturbation budget in pixel units'],
  ['Clean top-1', ''],
  ['Clean top-5', ''],
  [
    'Attacked top-1',
    'Accuracy on the Attacked set (each correctly classified image replaced by its adversarial example where the attack succeeded): the robust accuracy',
  ],
  ['Attacked top-5', ''],
  ['Success rate', 'Adversarial examples ÷ attacked images'],
  ['#Adv', 'Adversarial examples / attacked images'],
  ['Median L2', 'Of the successful perturbations'],
  ['Median L∞', 'Of the successful perturbations'],
  ['Queries', 'Median model evaluations per attacked image'],
  ['Forward / image', "Mean forward passes per image the attack ran on (the attack's own, counted at the model; the total in the tooltip)"],
  ['Gradient / image', 'Mean gradient passes per image the attack ran on (the total in the tooltip)'],
  ['Images/s', 'Attacked images per second'],
];

/** A cost cell: the mean per image, its total and the time in the tooltip; a dash for reports without counters. */
function costCell(ctx: RenderContext, run: Run, which: 'forward' | 'gradient'): HTMLElement {
  const c = run.cost;
  if (!c) return num(ctx, DASH, 'not counted in this report');
  const mean = which === 'forward' ? c.perImage.forwardMean : c.perImage.gradientMean;
  const total = which === 'forward' ? c.forward : c.gradient;
  const extra = which === 'forward' ? ` (+${c.evaluationForward} evaluation passes of the final examples)` : '';
  return num(ctx, sig(mean, 3), `${total} ${which} passes on ${c.images} images${extra}; ${fixed(run.seconds, 2)} s`);
}

function attackTable(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): HTMLElement {
  const { h } = ctx;
  const first = entries[0].section;
  const head = h(
    'tr',
    null,
    ctx.compare ? h('th', { scope: 'col' }, 'Model') : null,
    ...COLUMNS.map(([label, title]) => h('th', { scope: 'col', title: title || null }, label)),
  );
  const rows = entries.flatMap(({ side, section }) => {
    // The verdict of this side, from the same sections the headline reads: its robust run is marked here.
    const robustLabel = sideVerdict(ctx, side).robust?.label ?? null;
    return section.runs.map((run) => {
      const isRobust = run.label === robustLabel;
      return h(
        'tr',
        { 'data-attack': run.label, 'data-mode': run.mode, 'data-side': side.key, 'data-verdict': isRobust ? 'robust' : null },
        ctx.compare ? h('td', null, side.label) : null,
        h(
          'th',
          { scope: 'row', title: `${run.label}, seed ${run.seed}` },
          attackName(run.label),
          run.targeted ? h('span', { class: 'muted' }, ` (targeted: ${run.targeted})`) : null,
          isRobust
            ? h(
                'span',
                {
                  class: 'verdict-mark',
                  title: "The verdict's robust accuracy: the strongest bounded white-box attack at the configured ε",
                  'aria-label': "the verdict's robust accuracy",
                },
                ' ★',
              )
            : null,
        ),
        h('td', { class: 'mode', title: MODE_MEANING[run.mode] ?? null }, modeWords(run.mode)),
        h('td', { title: epsilonTitle(run) }, epsilonText(run)),
        num(ctx, percent(run.clean.top1Accuracy), `${run.clean.top1Correct} of ${run.evaluated} images`),
        num(ctx, percent(run.clean.top5Accuracy), `${run.clean.top5Correct} of ${run.evaluated} images`),
        num(ctx, percent(run.attacked.top1Accuracy), `${run.attacked.top1Correct} of ${run.evaluated} images still correct`),
        num(ctx, percent(run.attacked.top5Accuracy)),
        num(ctx, percent(run.successRate)),
        num(
          ctx,
          fraction(run.numAdversarial, run.attackedImages),
          `${run.numAdversarial} adversarial examples among ${run.attackedImages} attacked images`,
        ),
        num(ctx, fixed(run.norms.successful.l2.median, 3)),
        num(ctx, linfText(run.norms.successful.linf.median)),
        num(ctx, count(run.queries.median), `mean ${sig(run.queries.mean, 3)}, max ${count(run.queries.max)}`),
        costCell(ctx, run, 'forward'),
        costCell(ctx, run, 'gradient'),
        num(ctx, sig(run.imagesPerSecond, 3)),
      );
    });
  });
  const shown = ctx.compare
    ? comparedAttackRows(
        entries,
        ctx,
        COLUMNS.map(([label]) => label),
        rows,
      )
    : rows;
  const notes: Child[] = [
    ctx.compare
      ? `${compareCaption(entries)} `
      : `Criterion ${first.criterion === 'top1' ? 'top-1' : 'top-5'}; gradients ${first.gradient}; ${first.runs[0]?.evaluated ?? 0} images. `,
    robustMarked(entries, ctx) ? "★ the verdict's robust accuracy." : '',
  ];
  const allNotes = entries.flatMap((e) => e.section.notes);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', 'data-testid': 'attack-table' },
      h('caption', null, ...notes),
      h('thead', null, head),
      h('tbody', null, ...shown),
    ),
    allNotes.length ? h('ul', { class: 'notes' }, ...allNotes.map((n) => h('li', null, n))) : null,
  );
}

/** Compare mode: each run's own criterion, gradients and image count, never the first run's for both. */
function compareCaption(entries: SectionEntry<AttacksSection>[]): string {
  const each = entries.map(
    ({ side, section }) =>
      `${side.label}: criterion ${section.criterion === 'top1' ? 'top-1' : 'top-5'}, gradients ${section.gradient}, ${section.runs[0]?.evaluated ?? 0} images`,
  );
  return `${each.join('; ')}. Each pair of rows is followed by B − A (rates in percentage points).`;
}

/** Whether any row is the verdict's robust one (then the caption explains the mark). */
function robustMarked(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): boolean {
  return entries.some(({ side }) => sideVerdict(ctx, side).robust !== null);
}

function num(ctx: RenderContext, text: string, title?: string): HTMLElement {
  return ctx.h('td', { class: 'num', title: title ?? null }, text);
}

/** L∞ norms read best against the byte grid: "0.0314 (≈8.0/255)". */
function linfText(v: number | null): string {
  return epsilon(v, 'linf');
}

/** Accuracy vs budget of the minimal-perturbation runs (DeepFool, C&W), one series per run. */
function budgetCurves(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): HTMLElement | null {
  const runs: { run: Run; name: string }[] = entries.flatMap(({ side, section }) =>
    section.runs
      .filter((r) => r.budgetCurve && r.budgetCurve.points.length > 0)
      .map((run) => ({ run, name: ctx.compare ? `${side.label}: ${run.label}` : run.label })),
  );
  if (runs.length === 0) return null;
  const norms = [...new Set(runs.map((r) => r.run.budgetCurve!.norm))];
  const normLabel = norms.map((n) => (n === 'l2' ? 'L2' : 'L∞')).join(' / ');
  const series: LineSeries[] = runs.map(({ run, name }) => ({
    name,
    points: run.budgetCurve!.points.map((p) => ({ x: p.budget, y: p.accuracy })),
  }));
  const title = `Accuracy vs perturbation budget (${normLabel})`;
  let fig: ReturnType<typeof chartFigure> | null = null;
  const chart = lineChart(ctx.h.doc, {
    id: 'budget-curve',
    title,
    xLabel: `${normLabel} budget`,
    yLabel: 'accuracy',
    series,
    formatY: (v) => percent(v, 0),
    yDomain: [0, 1],
    announce: (t) => fig?.announce(t),
  });
  chart.svg.dataset.testid = 'budget-curve';
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id: 'budget-curve',
    title,
    caption: [
      'Fraction of all evaluated images still classified correctly when the perturbation may be at most the budget, for the attacks in minimal perturbation mode (DeepFool, C&W: no budget of their own).',
    ],
    body: [chart.svg],
    data: {
      columns: [{ label: 'series' }, { label: 'budget' }, { label: 'accuracy', format: (v) => percent(v as number) }],
      rows: series.flatMap((s) => s.points.map((p) => [s.name, p.x, p.y])),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}
