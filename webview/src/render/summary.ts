/**
 * The summary card of each run: model (inputs, ops, parameters, execution provider), data (folder, images,
 * classes), clean accuracy, run status with a visible badge, seeds, warnings and the error of a failed run.
 */
import type { PanelState } from '../../../src/protocol/webviewMessages';
import type { ReportV1 } from '../../../src/engine/report/schema';
import type { Child, H } from '../dom';
import { baseName, bytes, compact, count, duration, fraction, percent, shape } from '../format';
import { sideState, type RenderContext, type Side } from './context';
import { entriesOf } from './sections';

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
      h('p', { class: 'muted' }, status === 'running' ? 'Waiting for the first results…' : 'No report.'),
      cleanBlock(ctx, side),
    );
  }
  return h(
    'article',
    { class: 'summary-card', 'data-side': side.key },
    header,
    r.error ? h('p', { class: 'run-error', role: 'alert' }, `${r.error.code}: ${r.error.message}`) : null,
    h(
      'div',
      { class: 'summary-grid' },
      group(h, 'Model', modelRows(r)),
      group(h, 'Data', dataRows(r)),
      cleanBlock(ctx, side),
      group(h, 'Run', runRows(r)),
    ),
    r.warnings.length ? h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, ...r.warnings.map((w) => h('li', null, w))) : null,
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

function dataRows(r: ReportV1): Row[] {
  const d = r.dataset;
  if (!d) return [['Images', 'none (this run used no dataset)']];
  const names = d.classNames.slice(0, MAX_CLASS_NAMES).join(', ') + (d.classNames.length > MAX_CLASS_NAMES ? ', …' : '');
  return [
    ['Folder', d.root],
    [
      'Images',
      `${count(d.sampledImages)} of ${count(d.totalImages)}${d.sampling.limit !== null ? ` (limit ${d.sampling.limit}, stratified, seed ${d.sampling.seed})` : ''}`,
    ],
    ['Classes', `${d.classNames.length}: ${names}`],
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
    rows = [['Top-1', '—']];
  }
  const block = group(h, 'Clean accuracy', rows);
  block.classList.add('summary-clean');
  return block;
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
