/**
 * The defence table: for each defence, one row per attack, with the original and defended accuracies and the
 * defence rate non-adaptive / adaptive always side by side — a defence rate alone overstates a defence that
 * an adaptive attack breaks. Each defence's parameters head its rows (post-averaging radius in both the
 * model-input space and pixel units) with its cost relative to the plain model. Cells carry numbers; which
 * examples a rate pair is on, the adaptive attack and the seeds are in a details row under each row (and the
 * rate cell's tooltip).
 */
import { ensembleBreaksText } from '../../../src/protocol/adaptiveEnsemble';
import type { PanelState } from '../../../src/protocol/webviewMessages';
import type {
  Accuracy,
  DefenceParamsByKind,
  DefenceResult,
  DefenceRow,
  DefenceSpec,
  DefencesSection,
} from '../../../src/engine/report/sections';
import { MODE_MEANING, attackName, modeWords } from '../../../src/protocol/verdict';
import type { Child } from '../dom';
import { DASH, count, duration, percent, sig, times } from '../format';
import { comparedDefenceBodies } from './compareDeltas';
import { sideState, type RenderContext, type SectionEntry, type Side } from './context';

const COLUMNS: [string, string][] = [
  ['Attack', 'The attack on the undefended model'],
  ['Mode', 'How the attack used its budget'],
  ['#Adv', 'Adversarial examples in the Attacked set'],
  ['Original clean', 'Top-1 / top-5 of the plain model on the clean images'],
  ['Original attacked', 'Top-1 / top-5 of the plain model on the Attacked set'],
  ['Defended clean', 'Top-1 / top-5 of the defended model on the clean images'],
  ['Defended attacked', 'Top-1 / top-5 of the defended model on the Attacked set'],
  [
    'Defence rate (non-adaptive) / (adaptive)',
    'Adversarial examples the defended model classifies correctly ÷ the examples counted, both rates on the same examples (those the adaptive attack re-attacked); adaptive: the attack run through the defence',
  ],
];

export function renderDefences(entries: SectionEntry<DefencesSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  const width = COLUMNS.length + (ctx.compare ? 1 : 0);
  const head = h(
    'tr',
    null,
    ctx.compare ? h('th', { scope: 'col' }, 'Model') : null,
    ...COLUMNS.map(([l, t]) => h('th', { scope: 'col', title: t || null }, l)),
  );
  const bodies = entries.flatMap(({ side, section }) =>
    section.results.map((result) =>
      h(
        'tbody',
        { 'data-defence': result.defence.kind, 'data-side': side.key },
        h(
          'tr',
          { class: 'group-row' },
          h('th', { scope: 'rowgroup', colspan: width }, ...describeDefence(result, ctx.compare ? side.label : null)),
        ),
        ...result.rows.flatMap((row) => defenceRow(ctx, side, section, row, result, width)),
      ),
    ),
  );
  const notes = entries.flatMap((e) => e.section.notes);
  return [
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data', 'data-testid': 'defence-table' },
        h(
          'caption',
          null,
          'Accuracies as top-1 / top-5; defence rate as non-adaptive / adaptive, both on the same adversarial examples (the details under each row say which).',
        ),
        h('thead', null, head),
        ...(ctx.compare
          ? comparedDefenceBodies(
              entries,
              ctx,
              COLUMNS.map(([l]) => l),
              bodies,
            )
          : bodies),
      ),
      notes.length ? h('ul', { class: 'notes' }, ...notes.map((n) => h('li', null, n))) : null,
    ),
  ];
}

/** Each defence's parameters in words; a defence without an entry is described by its parameter names and values. */
const DESCRIBE: { [K in keyof DefenceParamsByKind]?: (p: DefenceParamsByKind[K]) => string } = {
  'post-averaging': (p) =>
    `Post-averaging K = ${p.K}, r = ${sig(p.radius, 4)} (model-input space) = ${sig(p.radiusPixels, 4)} (pixel units), ${p.points} points per image, ${p.directions} directions`,
  'low-pass': (p) => `Low-pass cutoff ${p.cutoff} of ${p.maxCutoff}`,
};

/** "Post-averaging K = 15, r = 0.3 (model input) = 0.106 px, …, cost ×91.0". */
export function describeDefence(result: DefenceResult, model: string | null): Child[] {
  const d = result.defence;
  const describe = DESCRIBE[d.kind] as ((p: DefenceSpec['params']) => string) | undefined;
  const params = describe
    ? describe(d.params)
    : `${d.kind} ${Object.entries(d.params)
        .map(([k, v]) => `${k} = ${typeof v === 'number' ? sig(v, 4) : String(v)}`)
        .join(', ')}`;
  const c = result.cost;
  const cost = c
    ? `cost ${times(c.relativeCost)} the plain model's time per image (${sig(c.plainImagesPerSecond, 3)} → ${sig(c.defendedImagesPerSecond, 3)} images/s, batch ${c.batchSize})`
    : 'cost not measured';
  return [model ? `${model}: ` : '', params, `; ${cost}. `, result.chosenBy];
}

function defenceRow(
  ctx: RenderContext,
  side: Side,
  section: DefencesSection,
  row: DefenceRow,
  result: DefenceResult,
  width: number,
): HTMLElement[] {
  const { h } = ctx;
  const model = ctx.compare ? side.label : null;
  const seeds = [
    `attack ${row.attack.seed}`,
    row.adaptive ? `adaptive ${row.adaptive.seed}` : null,
    'seed' in result.defence.params ? `defence ${result.defence.params.seed}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const rates = defenceRates(row, () => adaptiveMissingReason(row, section.notes, sideState(ctx, side)));
  return [
    h(
      'tr',
      { 'data-attack': row.attack.label, 'data-mode': row.attack.mode, 'data-defence': result.defence.kind },
      model !== null ? h('td', null, model) : null,
      h('th', { scope: 'row', title: row.attack.label }, attackName(row.attack.label)),
      h('td', { class: 'mode', title: MODE_MEANING[row.attack.mode] ?? null }, modeWords(row.attack.mode)),
      h(
        'td',
        { class: 'num', title: `${row.numAdversarial} adversarial examples among ${row.evaluated} evaluated images` },
        count(row.numAdversarial),
      ),
      h('td', { class: 'num' }, accuracy(row.original.clean)),
      h('td', { class: 'num' }, accuracy(row.original.attacked)),
      h('td', { class: 'num' }, accuracy(row.defended.clean)),
      h('td', { class: 'num' }, accuracy(row.defended.attacked)),
      h('td', { class: 'num defence-rate', title: rates.note }, h('span', { class: 'rate-pair', 'aria-label': rates.label }, rates.pair)),
    ),
    h(
      'tr',
      { class: 'details-row' },
      h(
        'td',
        { colspan: width },
        h(
          'details',
          null,
          h('summary', null, 'Details'),
          h('span', { class: 'adaptive-note' }, rates.note),
          h('span', { class: 'seeds' }, ` Seeds: ${seeds}.`),
        ),
      ),
    ),
  ];
}

function accuracy(a: Accuracy): string {
  return `${percent(a.top1)} / ${percent(a.top5)}`;
}

/**
 * Why there is no adaptive number. The report has no field for it, so it is inferred: nothing to attack,
 * a note of the section about adaptive attacks (e.g. no gradient), a run still going, or stopped early.
 */
export function adaptiveMissingReason(row: DefenceRow, notes: string[], state: PanelState): string {
  if (row.numAdversarial === 0) return 'no adversarial examples to attack (#Adv = 0)';
  const note = notes.find((n) => /adaptive/i.test(n));
  if (note) return note;
  if (state === 'running') return 'adaptive attacks still running';
  if (state === 'partial' || state === 'cancelled' || state === 'failed') return 'not run: the run stopped before the adaptive attacks';
  return 'adaptive attack not run for this row';
}

/** A row's rate pair as the cell shows it, its accessible label, and the note that says what it is on. */
function defenceRates(row: DefenceRow, missingReason: () => string): { pair: string; label: string; note: string } {
  const nonAdaptive = percent(row.defenceRate);
  if (!row.adaptive) {
    const reason = missingReason();
    return {
      pair: `${nonAdaptive} / ${DASH}`,
      label: `non-adaptive ${nonAdaptive}, adaptive not available: ${reason}`,
      note: reason,
    };
  }
  const a = row.adaptive;
  const adaptive = percent(a.defenceRate);
  // Both rates of the pair are on the examples the adaptive attack re-attacked: a like-for-like comparison.
  const pairNonAdaptive = percent(a.nonAdaptiveDefenceRate);
  const set = adaptiveSet(a.images, row.numAdversarial);
  const cascade = ensembleBreaksText(a);
  const allRate =
    a.images === row.numAdversarial ? '' : `; non-adaptive on all ${count(row.numAdversarial)} adversarial examples ${nonAdaptive}`;
  return {
    pair: `${pairNonAdaptive} / ${adaptive}`,
    label: `non-adaptive ${pairNonAdaptive}, adaptive ${adaptive}, both ${set}`,
    note: `both ${set}${allRate}; adaptive: ${a.label}${cascade ? ` (${cascade})` : ''}, defended accuracy on its examples ${accuracy(a.attacked)}, ${duration(a.seconds)}`,
  };
}

/** Which adversarial examples a row's adaptive pair is measured on, in words. */
export function adaptiveSet(images: number, numAdversarial: number): string {
  return images === numAdversarial
    ? `on all ${count(images)} adversarial examples`
    : `on the ${count(images)} of the ${count(numAdversarial)} adversarial examples re-attacked in pass 2`;
}
