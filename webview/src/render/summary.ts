/**
 * The summary card of each run. It opens with the verdict in plain language (src/protocol/verdict.ts,
 * the same figures as the Runs view, the status bar and the CLI) and one-sentence definitions of the terms
 * it uses; then what the run used — model, data with the preprocessing, class order and dataset and where
 * each came from, clean accuracy — and the run status with a visible badge, warnings and the error of a
 * failed run. Seeds, formulas and the configuration's notes are folded into a details section.
 */
import type { PanelState } from '../../../src/protocol/webviewMessages';
import type { AttackMode } from '../../../src/engine/attacks/types';
import type { ReportV1 } from '../../../src/engine/report/schema';
import { classOrderSource, preprocessingText } from '../../../src/protocol/provenanceWords';
import { MODE_MEANING, verdictLines, verdictOf, type Verdict, type VerdictLine } from '../../../src/protocol/verdict';
import type { Child, H } from '../dom';
import { baseName, bytes, compact, count, duration, fraction, percent, shape } from '../format';
import { sideState, type RenderContext, type Side } from './context';
import { entriesOf } from './sections';
import { explainedImageSummary } from './occludedFrequency';

const MAX_CLASS_NAMES = 12;
const TOP_OPS = 5;

export function renderSummary(ctx: RenderContext): HTMLElement {
  const { h } = ctx;
  return h(
    'section',
    { class: `summary${ctx.compare ? ' summary-compare' : ''}`, 'data-testid': 'summary', 'aria-label': 'Summary' },
    ...ctx.sides.map((side) => card(ctx, side, sideState(ctx, side))),
  );
}

function card(ctx: RenderContext, side: Side, status: PanelState): HTMLElement {
  const { h } = ctx;
  const r = side.report;
  const header = h('header', { class: 'summary-header' }, h('h2', { title: r?.model.path ?? '' }, side.label), badge(h, status));
  if (!r) {
    return h(
      'article',
      { class: 'summary-card', 'data-side': side.key },
      header,
      // While running, the progress region says what is happening (and "Waiting…" only before any section).
      status === 'running' ? null : h('p', { class: 'muted' }, 'No report.'),
      cleanBlock(ctx, side),
    );
  }
  return h(
    'article',
    { class: 'summary-card', 'data-side': side.key },
    header,
    r.error ? h('p', { class: 'run-error', role: 'alert' }, `${r.error.code}: ${r.error.message}`) : null,
    verdictBlock(ctx, side),
    warningList(ctx, side, r),
    h('div', { class: 'summary-grid' }, group(h, 'Model', modelRows(r)), group(h, 'Data', dataRows(r)), cleanBlock(ctx, side)),
    runDetails(ctx, side, r),
  );
}

/**
 * The verdict of one side, from the sections it shows (the report's and any streamed since): the one
 * computation that the headline and the tables' marks both read.
 */
export function sideVerdict(ctx: RenderContext, side: Side): Verdict {
  const classes = side.report?.dataset?.classNames.length ?? side.report?.config.resolved.classNames?.length ?? null;
  return verdictOf(
    side.sections.map(([, s]) => s),
    sideState(ctx, side),
    classes,
  );
}

/** The lines that open the card: clean and robust accuracy as one paragraph, then each other finding. */
function verdictBlock(ctx: RenderContext, side: Side): HTMLElement {
  const { h } = ctx;
  const lines = verdictLines(sideVerdict(ctx, side));
  const lead = lines.filter((l) => LEAD.has(l.key));
  const rest = lines.filter((l) => !LEAD.has(l.key));
  return h(
    'section',
    { class: 'verdict', 'data-testid': 'verdict', 'aria-label': 'Verdict' },
    h('h3', null, 'Verdict'),
    lead.length ? h('p', { class: 'verdict-lead' }, ...lead.map((l) => line(h, 'span', l))) : null,
    rest.length ? h('ul', { class: 'verdict-more' }, ...rest.map((l) => line(h, 'li', l))) : null,
    definitions(ctx, side),
  );
}

const LEAD = new Set<VerdictLine['key']>(['partial', 'clean', 'robust', 'no-robust', 'certified', 'fourier']);

function line(h: H, tag: 'span' | 'li', l: VerdictLine): HTMLElement {
  return h(
    tag,
    { class: `verdict-line verdict-${l.key}`, 'data-key': l.key },
    ...emphasisePercentages(h, l.text),
    tag === 'span' ? ' ' : '',
  );
}

/** The text with each percentage in <strong>, so that the eye finds the figures in the sentences. */
function emphasisePercentages(h: H, text: string): Child[] {
  return text.split(/(\d+(?:\.\d+)?%)/).map((part, i) => (i % 2 ? h('strong', null, part) : part));
}

/** One sentence per term the card's sections use (only those present). */
function definitions(ctx: RenderContext, side: Side): HTMLElement | null {
  const { h } = ctx;
  const kinds = new Set(side.sections.map(([, s]) => (s as { kind?: unknown } | null)?.kind));
  const one = { ...ctx, sides: [side] };
  const modes = new Set<AttackMode>(entriesOf(one, 'attacks').flatMap((e) => e.section.runs.map((r) => r.mode)));
  const terms: [string, string][] = [];
  if (kinds.has('attacks'))
    terms.push([
      'Robust accuracy',
      'the share of all evaluated images still classified correctly after the attack (an image already wrong stays wrong).',
    ]);
  for (const mode of ['fixed-eps', 'minimal-eps', 'minimal-perturbation', 'query-limited'] as const) {
    if (modes.has(mode)) {
      const [term, ...sentence] = MODE_MEANING[mode].split(': ');
      terms.push([term, sentence.join(': ')]);
    }
  }
  if (kinds.has('defences')) {
    terms.push([
      'Defence rate',
      'of the adversarial examples that fool the plain model, the share the defended model classifies correctly.',
    ]);
    terms.push([
      'Adaptive attack',
      'an attack run through the defence itself; what survives it is what the defence is worth against an attacker who knows it.',
    ]);
  }
  if (kinds.has('occluded-frequency'))
    terms.push([
      'Occluded Frequency (OF)',
      "how much the predicted class's score drops when one band of frequencies is removed from the image: a high drop means the model relies on that band.",
    ]);
  if (kinds.has('rct'))
    terms.push([
      'RCT',
      'the relative change of each DCT coefficient made by the attack: which frequencies the adversarial examples alter most.',
    ]);
  if (kinds.has('spectra'))
    terms.push(['Perturbation spectrum', "where in frequency an attack's perturbation puts its energy (low frequencies at the centre)."]);
  if (!terms.length) return null;
  return h(
    'dl',
    { class: 'definitions', id: `definitions-${side.key}`, 'aria-label': 'What the numbers mean' },
    ...terms.flatMap(([term, text]) => [h('dt', null, term), h('dd', null, text)]),
  );
}

/** Seeds, the tool, the formulas of the sections and the configuration's notes, folded. */
function runDetails(ctx: RenderContext, side: Side, r: ReportV1): HTMLElement {
  const { h } = ctx;
  const one = { ...ctx, sides: [side] };
  const formulas: [string, string][] = [];
  if (entriesOf(one, 'attacks').length)
    formulas.push([
      'Attacked set',
      'each correctly classified image replaced by its adversarial example where the attack succeeded; robust accuracy = correct on the Attacked set ÷ evaluated images.',
    ]);
  if (entriesOf(one, 'defences').length)
    formulas.push([
      'Defence rate',
      'defended model correct on the adversarial examples ÷ #Adv (adversarial examples of the plain model); the adaptive rate on the examples the adaptive attack re-attacked.',
    ]);
  for (const e of entriesOf(one, 'occluded-frequency')) formulas.push(['Occluded Frequency', e.section.definition]);
  for (const e of entriesOf(one, 'rct')) formulas.push(['RCT', e.section.definition]);
  for (const e of entriesOf(one, 'spectra')) formulas.push(['Spectra', e.section.definition]);
  return h(
    'details',
    { class: 'run-details', 'data-testid': 'run-details' },
    h('summary', null, 'Run details: seeds, formulas, configuration notes'),
    h(
      'div',
      { class: 'summary-grid' },
      group(h, 'Run', runRows(r)),
      formulas.length ? group(h, 'Formulas', formulas) : null,
      r.config.notes.length
        ? h(
            'section',
            { class: 'summary-group' },
            h('h3', null, 'How the configuration was resolved'),
            h('ul', { class: 'notes' }, ...r.config.notes.map((n) => h('li', null, n))),
          )
        : null,
    ),
  );
}

export function badge(h: H, status: string): HTMLElement {
  return h('span', { class: `badge badge-${status}`, 'data-status': status }, status);
}

type Row = [string, Child | Child[]];

function group(h: H, title: string, rows: Row[]): HTMLElement {
  return h(
    'section',
    { class: 'summary-group' },
    h('h3', null, title),
    h('dl', null, ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, ...(Array.isArray(v) ? v : [v]))])),
  );
}

function modelRows(r: ReportV1): Row[] {
  const info = r.model.info;
  const ops = Object.entries(info.opHistogram);
  const top = ops
    .slice(0, TOP_OPS)
    .map(([op, n]) => `${op} ×${n}`)
    .join(', ');
  const provider = r.runtime
    ? `${r.runtime.executionProvider}${r.runtime.requestedProvider !== r.runtime.executionProvider ? ` (requested ${r.runtime.requestedProvider})` : ''}`
    : r.config.resolved.runtime.executionProvider;
  return [
    ['Inputs', info.inputs.map((i) => `${i.name}: ${i.elemType} ${shape(i.shape)}`).join('; ') || '—'],
    ['Ops', `${count(info.nodeCount)} nodes, ${ops.length} op types${top ? ` (${top}${ops.length > TOP_OPS ? ', …' : ''})` : ''}`],
    ['Parameters', `${count(info.parameterCount)} (${compact(info.parameterCount)}), ${bytes(info.parameterBytes)} of weights`],
    [
      'Output',
      `${info.output.name}: ${r.model.outputKind?.kind ?? info.output.kind}${info.output.numClasses !== null ? `, ${info.output.numClasses} classes` : ''}`,
    ],
    ['Execution provider', provider],
    ['File', `${baseName(r.model.path)} (${bytes(r.model.sizeBytes)}, sha256 ${r.model.sha256.slice(0, 12)}…)`],
  ];
}

/** The report's warnings, less the sanity findings the banner above already shows (each said once). */
function warningList(ctx: RenderContext, side: Side, r: ReportV1): HTMLElement | null {
  const inBanner = new Set(
    entriesOf(ctx, 'sanity')
      .filter((e) => e.side.key === side.key)
      .flatMap((e) => e.section.findings.map((f) => f.message)),
  );
  const warnings = r.warnings.filter((w) => !inBanner.has(w));
  return warnings.length
    ? ctx.h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, ...warnings.map((w) => ctx.h('li', null, w)))
    : null;
}

function dataRows(r: ReportV1): Row[] {
  const d = r.dataset;
  if (!d) {
    // explain has no dataset: it names the one image it explained
    const image = explainedImageSummary(r);
    return [image ? ['Image', image] : ['Images', 'none (this run used no dataset)'], ...configRows(r)];
  }
  const names = d.classNames.slice(0, MAX_CLASS_NAMES).join(', ') + (d.classNames.length > MAX_CLASS_NAMES ? ', …' : '');
  return [
    ['Folder', d.root],
    [
      'Images',
      `${count(d.sampledImages)} of ${count(d.totalImages)}${d.sampling.limit !== null ? ` (limit ${d.sampling.limit}, stratified, seed ${d.sampling.seed})` : ''}`,
    ],
    ['Classes', `${d.classNames.length}: ${names}`],
    ['Class order', `logits 0, 1, … in the order above (${classOrderSource(r.config)})`],
    ['Fingerprint', `${d.fingerprint.slice(0, 12)}… (two runs on the same images share it)`],
    ...configRows(r),
    ...(d.skippedImages.length
      ? [
          [
            'Skipped',
            `${d.skippedImages.length} unreadable image(s): ${d.skippedImages
              .slice(0, 3)
              .map((s) => s.relPath)
              .join(', ')}${d.skippedImages.length > 3 ? ', …' : ''}`,
          ] as Row,
        ]
      : []),
  ];
}

/** The preprocessing and the configuration file the run used, each part with where it came from. */
function configRows(r: ReportV1): Row[] {
  return [
    ['Preprocessing', preprocessingText(r.config)],
    [
      'Configuration',
      r.config.file
        ? `${r.config.file} (hash ${r.config.hash.slice(0, 12)}…)`
        : 'no robustness.json: settings, flags, defaults and what the model implies',
    ],
  ];
}

/** Clean accuracy from the clean section, or (attack-only runs) from the first attack run's clean set. */
function cleanBlock(ctx: RenderContext, side: Side): HTMLElement {
  const { h } = ctx;
  const sideCtx = { ...ctx, sides: [side] };
  const clean = entriesOf(sideCtx, 'clean')[0]?.section;
  const attack = entriesOf(sideCtx, 'attacks')[0]?.section.runs[0];
  let rows: Row[];
  if (clean) {
    rows = [
      ['Top-1', `${percent(clean.top1Accuracy)} (${fraction(clean.top1Correct, clean.evaluated)})`],
      ['Top-5', `${percent(clean.top5Accuracy)} (${fraction(clean.top5Correct, clean.evaluated)})`],
      ['Mean confidence', percent(clean.meanConfidence)],
      ['Throughput', `${count(clean.throughput.imagesPerSecond)} images/s (batch ${clean.throughput.batchSize})`],
    ];
    if (clean.partial) rows.push(['Note', `partial: ${clean.evaluated} of ${clean.requested} images evaluated`]);
  } else if (attack) {
    rows = [
      ['Top-1', `${percent(attack.clean.top1Accuracy)} (${fraction(attack.clean.top1Correct, attack.evaluated)})`],
      ['Top-5', `${percent(attack.clean.top5Accuracy)} (${fraction(attack.clean.top5Correct, attack.evaluated)})`],
    ];
  } else {
    rows = cleanRowsOfOtherJobs(sideCtx);
  }
  const block = group(h, 'Clean accuracy', rows);
  block.classList.add('summary-clean');
  return block;
}

/**
 * Jobs without a clean section: the Fourier heat map classifies the unperturbed images itself (its clean error),
 * a checkpoints run its newest checkpoint, an inversion each model; certification measures only the smoothed
 * classifier, so the card says where its figures are instead of "—".
 */
function cleanRowsOfOtherJobs(ctx: RenderContext): Row[] {
  const heatmap = entriesOf(ctx, 'fourier-heatmap')[0]?.section;
  const plain = heatmap?.maps.find((m) => m.model === 'model');
  if (heatmap && plain) {
    const n = heatmap.params.images;
    const correct = Math.round((1 - plain.cleanError) * n);
    return [['Top-1', `${percent(1 - plain.cleanError)} (${fraction(correct, n)}, the heat map's unperturbed pass)`]];
  }
  // Robustness along training: the card is the newest checkpoint's, so its figures (the chart has the others).
  const along = entriesOf(ctx, 'checkpoints')[0]?.section;
  const last = along?.entries.filter((e) => e.result).at(-1);
  if (last?.result) {
    const { images, cleanTop1 } = last.result;
    return [['Top-1', `${percent(cleanTop1)} (${fraction(Math.round(cleanTop1 * images), images)}, ${last.name})`]];
  }
  const inverted = entriesOf(ctx, 'inversion')[0]?.section;
  if (inverted?.models.length) {
    const n = inverted.params.images;
    return inverted.models.map((m): Row => [
      inverted.models.length > 1 ? `Top-1 (${baseName(m.model)})` : 'Top-1',
      `${percent(m.cleanAccuracy)} (${fraction(Math.round(m.cleanAccuracy * n), n)})`,
    ]);
  }
  if (entriesOf(ctx, 'certification')[0]) {
    return [['Top-1', 'not measured: certification classifies noisy copies only (see certified accuracy at radius 0)']];
  }
  return [['Top-1', '—']];
}

function runRows(r: ReportV1): Row[] {
  const seeds = Object.entries(r.seeds)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const total = Object.values(r.timings).reduce((a, b) => a + b, 0);
  return [
    ['Status', r.status],
    ['Command', r.command],
    ['Created', r.createdAt],
    ['Seeds', seeds || '—'],
    ['Time', duration(total)],
    ['Tool', `${r.tool.name} ${r.tool.version}, onnxruntime ${r.tool.onnxruntime}`],
  ];
}
