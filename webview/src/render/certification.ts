/**
 * Randomized smoothing certification: per σ a summary row (certified accuracy at a few radii, abstention,
 * time), the certified-accuracy-vs-radius curve of every σ on one chart, and the per-image table (true class,
 * certified class or abstain, pA_lower and radius per σ). Radii are L2 in pixel units ([0,1] pixels).
 */
import { certifiedAccuracyAt, empiricalProblem, type CertificationSection } from '../../../src/protocol/certification';
import { chartFigure, standaloneSvg, type Figure } from '../charts/exportChart';
import { lineChart } from '../charts/lineChart';
import { duration, percent, sig } from '../format';
import { className, classNames, sideTitle, type RenderContext, type SectionEntry, type Side } from './context';

const SUMMARY_RADII = [0, 0.25, 0.5, 1];

export function renderCertification(entries: SectionEntry<CertificationSection>[], ctx: RenderContext): Node[] {
  return entries.flatMap(({ side, section }) => [
    paramsNote(ctx, side, section),
    summaryTable(ctx, side, section),
    ...empiricalTable(ctx, side, section),
    curveFigure(ctx, side, section),
    perImageTable(ctx, side, section),
  ]);
}

function paramsNote(ctx: RenderContext, side: Side, s: CertificationSection): HTMLElement {
  const p = s.params;
  return ctx.h(
    'p',
    { class: 'note', 'data-testid': 'certification-params' },
    `${ctx.compare ? `${side.label}: ` : ''}Randomized smoothing (Cohen et al. 2019), ${p.preset} preset: n0 = ${p.n0}, n = ${p.n.toLocaleString('en-US')}, α = ${p.alpha}, ${s.images.file.length} images. ${p.noiseNote}.`,
  );
}

function summaryTable(ctx: RenderContext, side: Side, s: CertificationSection): HTMLElement {
  const { h } = ctx;
  return h(
    'table',
    { class: 'data', 'data-testid': 'certification-summary' },
    h(
      'caption',
      null,
      sideTitle(ctx, side, 'Certified accuracy: share of the images correct and certified at L2 radius ≥ r (pixel units)'),
    ),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'σ'),
        ...SUMMARY_RADII.map((r) => h('th', { scope: 'col' }, `r ≥ ${r}`)),
        h('th', { scope: 'col' }, 'Abstained'),
        h('th', { scope: 'col' }, 'Time'),
      ),
    ),
    h(
      'tbody',
      null,
      ...s.runs.map((run) =>
        h(
          'tr',
          { 'data-sigma': String(run.sigma) },
          h('th', { scope: 'row' }, sig(run.sigma, 3)),
          ...SUMMARY_RADII.map((r) => h('td', { class: 'num' }, percent(certifiedAccuracyAt(run, r)))),
          h('td', { class: 'num' }, percent(run.abstentionRate)),
          h('td', { class: 'num' }, duration(run.totalSeconds)),
        ),
      ),
    ),
  );
}

function curveFigure(ctx: RenderContext, side: Side, s: CertificationSection): HTMLElement {
  const id = `certified-accuracy${ctx.compare ? `-${side.key}` : ''}`;
  const title = sideTitle(ctx, side, 'Certified accuracy vs L2 radius');
  // Long numeric arrays may arrive packed as Float64Array (whose map cannot build objects): read them as arrays.
  const radii = Array.from(s.radii);
  const curves = s.runs.map((run) => ({
    name: `σ = ${sig(run.sigma, 3)}`,
    points: radii.map((x, i) => ({ x, y: run.certifiedAccuracy[i] ?? null })),
  }));
  // The empirical robust accuracy (an upper bound) at its few radii, as points in the colour of its σ's curve.
  const empirical = hasEmpirical(s)
    ? s.runs.flatMap((run, k) =>
        run.empirical
          ? [
              {
                name: `empirical robust accuracy (APGD rand, upper bound), σ = ${sig(run.sigma, 3)}`,
                points: run.empirical.rows.map((row) => ({ x: row.radius, y: row.empiricalAccuracy })),
                markers: { colour: k },
              },
            ]
          : [],
      )
    : [];
  const series = [...curves, ...empirical];
  let fig: Figure | null = null;
  const chart = lineChart(ctx.h.doc, {
    id,
    title,
    xLabel: 'L2 radius r (pixel units)',
    yLabel: 'certified accuracy',
    series,
    formatX: (v) => sig(v, 3),
    formatY: (v) => percent(v, 0),
    yDomain: [0, 1],
    announce: (t) => fig?.announce(t),
  });
  chart.svg.dataset.testid = 'certified-accuracy';
  chart.svg.dataset.side = side.key;
  fig = chartFigure(ctx.h, ctx.exportTarget, {
    id,
    title,
    caption: [
      `One curve per σ over ${s.images.file.length} images; n = ${s.params.n.toLocaleString('en-US')}, α = ${s.params.alpha}.`,
      ...(empirical.length
        ? [
            `Crosses: the smoothed classifier's empirical robust accuracy under ${s.attack!.attacks.join(' then ')} (AutoAttack's rand version, EOT over ${s.attack!.eotDraws} Gaussian draws) on the first ${s.runs[0].empirical?.rows[0]?.attacked ?? 0} images: an upper bound, where the curve is a lower bound.`,
          ]
        : []),
    ],
    body: [chart.svg],
    data: {
      columns: [{ label: 'radius' }, ...series.map((x) => ({ label: x.name, format: (v: unknown) => percent(v as number | null) }))],
      // The empirical radii may lie off the grid: they get rows of their own, the curves' cells left empty.
      rows: [...new Set([...radii, ...empirical.flatMap((e) => e.points.map((p) => p.x))])]
        .sort((a, b) => a - b)
        .map((r) => {
          const i = radii.indexOf(r);
          return [
            r,
            ...s.runs.map((run) => (i >= 0 ? (run.certifiedAccuracy[i] ?? null) : null)),
            ...empirical.map((e) => e.points.find((p) => p.x === r)?.y ?? null),
          ];
        }),
    },
    svg: () => standaloneSvg(chart.svg, title),
  });
  return fig.figure;
}

/** The empirical rows are shown only when well formed (a report is data: anything may be there). */
function hasEmpirical(s: CertificationSection): boolean {
  return !!s.attack && s.runs.some((r) => r.empirical) && empiricalProblem(s) === null;
}

/** Per σ and radius: certified accuracy (lower bound) beside the empirical robust accuracy (upper bound), and the attack's cost. */
function empiricalTable(ctx: RenderContext, side: Side, s: CertificationSection): HTMLElement[] {
  const { h } = ctx;
  if (!s.attack) return [];
  const problem = empiricalProblem(s);
  if (problem)
    return [
      h('p', { class: 'note warning', 'data-testid': 'certification-empirical-invalid' }, `Empirical attack rows not shown: ${problem}.`),
    ];
  const a = s.attack;
  const contradictions = s.runs.reduce((n, run) => n + (run.empirical?.rows ?? []).reduce((m, row) => m + row.contradictions, 0), 0);
  return [
    h(
      'table',
      { class: 'data', 'data-testid': 'certification-empirical' },
      h(
        'caption',
        null,
        sideTitle(
          ctx,
          side,
          `Certified (lower bound) and empirical robust accuracy (${a.attacks.join(' then ')}, L2, ${a.steps} steps, EOT ${a.eotDraws}; upper bound) of the smoothed classifier`,
        ),
      ),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ...['σ', 'Radius', 'Certified', 'Empirical', 'Images', 'Contradictions', 'Attack time', 'Gradient passes'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        ...s.runs.flatMap((run) =>
          (run.empirical?.rows ?? []).map((row, k) =>
            h(
              'tr',
              { 'data-sigma': String(run.sigma), 'data-radius': String(row.radius) },
              h('th', { scope: 'row' }, sig(run.sigma, 3)),
              h('td', { class: 'num' }, sig(row.radius, 3)),
              h('td', { class: 'num' }, percent(row.certifiedAccuracy)),
              h('td', { class: 'num' }, percent(row.empiricalAccuracy)),
              h('td', { class: 'num' }, String(row.attacked)),
              h('td', { class: row.contradictions ? 'num wrong' : 'num' }, String(row.contradictions)),
              h('td', { class: 'num' }, k === 0 ? duration(run.empirical!.seconds) : ''),
              h('td', { class: 'num' }, k === 0 ? run.empirical!.gradientPasses.toLocaleString('en-US') : ''),
            ),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: contradictions ? 'note warning' : 'note', 'data-testid': 'certification-empirical-note' },
      `${a.note}${a.gradient === 'estimated' ? ' Gradients: ESTIMATED (no gradient graph).' : ''}${contradictions ? ` ${contradictions} image(s) certified at a radius were broken there: each has probability about α, so more than a rare one points to a bug or an unlucky draw.` : ''}`,
    ),
  ];
}

function perImageTable(ctx: RenderContext, side: Side, s: CertificationSection): HTMLElement {
  const { h } = ctx;
  const names = classNames(side);
  return h(
    'details',
    { class: 'per-image' },
    h('summary', null, sideTitle(ctx, side, `Per image (${s.images.file.length})`)),
    h(
      'table',
      { class: 'data', 'data-testid': 'certification-images' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Image'),
          h('th', { scope: 'col' }, 'True class'),
          ...s.runs.flatMap((run) => [
            h('th', { scope: 'col' }, `σ=${sig(run.sigma, 3)}: certified`),
            h('th', { scope: 'col' }, 'pA lower'),
            h('th', { scope: 'col' }, 'radius'),
          ]),
        ),
      ),
      h(
        'tbody',
        null,
        ...s.images.file.map((file, i) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, file),
            h('td', null, className(names, s.images.label[i])),
            ...s.runs.flatMap((run) => {
              const p = run.prediction[i];
              return [
                h(
                  'td',
                  { class: p === null ? 'abstain' : run.correct[i] ? 'correct' : 'wrong' },
                  p === null ? 'abstain' : className(names, p),
                ),
                h('td', { class: 'num' }, sig(run.pALower[i], 4)),
                h('td', { class: 'num' }, run.radius[i] === null ? '—' : sig(run.radius[i], 3)),
              ];
            }),
          ),
        ),
      ),
    ),
  );
}
