/**
 * The panel's sections in reading order, each rendered from the report sections of its kind. A section that
 * fails to render shows its error in place; the rest of the panel still renders.
 */
import type { H } from '../dom';
import { renderAttacks } from './attackTable';
import { renderCertification } from './certification';
import { renderCheckpoints } from './checkpoints';
import { renderFourierHeatmap } from './fourierHeatmap';
import { renderInversion } from './inversion';
import type { RenderContext, SectionEntry } from './context';
import { renderDefences } from './defenceTable';
import { renderGallery } from './gallery';
import { renderMaskingFlags } from './maskingFlags';
import { renderModelInfo } from './modelInfo';
import { renderOccludedFrequency } from './occludedFrequency';
import { renderPerImage } from './perImageTable';
import { renderRct } from './rct';
import { renderRobustnessCurves } from './robustnessCurves';
import { renderSanityBanner } from './sanityBanner';
import { renderRunPlan } from './runPlan';
import { entriesOf, unknownEntries } from './sections';
import { renderSpectra } from './spectra';
import { renderSweeps } from './sweeps';
import { SECTION_KINDS, sectionKind, type SectionKind, type SectionKinds } from '../../../src/protocol/sectionKinds';

interface Panel<K extends SectionKind> {
  id: string;
  title: string;
  /** Place in the panel's reading order. */
  order: number;
  /** Shown above the summary, without a section frame or nav entry, and only when it has content. */
  banner?: true;
  render(entries: SectionEntry<SectionKinds[K]>[], ctx: RenderContext): Node[];
}

/**
 * The panels that show each section kind: every kind has an entry (a kind added to SectionKinds fails to
 * compile until it is rendered here, or says why not).
 */
const PANELS_BY_KIND: { [K in SectionKind]: Panel<K>[] } = {
  /** The clean section has no panel of its own: its numbers are in the summary card. */
  clean: [],
  attacks: [
    { id: 'attacks', title: 'Attacks', order: 1, render: renderAttacks },
    { id: 'gallery', title: 'Gallery', order: 7, render: renderGallery },
  ],
  defences: [{ id: 'defences', title: 'Defences', order: 2, render: renderDefences }],
  sweeps: [{ id: 'sweeps', title: 'Sweeps', order: 3, render: renderSweeps }],
  /** Right after the attack table: the same attacks, robust accuracy against ε. */
  'robustness-curves': [{ id: 'robustness-curves', title: 'Robust accuracy vs ε', order: 1.5, render: renderRobustnessCurves }],
  'occluded-frequency': [{ id: 'occluded-frequency', title: 'Occluded Frequency', order: 4, render: renderOccludedFrequency }],
  rct: [{ id: 'rct', title: 'RCT maps', order: 5, render: renderRct }],
  /** Beside the RCT maps: the same colour scale and axes, a question about frequencies of another kind. */
  'fourier-heatmap': [{ id: 'fourier-heatmap', title: 'Fourier heat map', order: 5.5, render: renderFourierHeatmap }],
  /** Beside the other frequency maps: which frequencies a representation is matched by. */
  inversion: [{ id: 'inversion', title: 'Feature inversion', order: 5.7, render: renderInversion }],
  spectra: [{ id: 'spectra', title: 'Perturbation spectra', order: 6, render: renderSpectra }],
  'model-info': [{ id: 'model-info', title: 'Model', order: 0, render: renderModelInfo }],
  sanity: [{ id: 'sanity', title: 'Sanity check', order: -1, banner: true, render: renderSanityBanner }],
  'per-image': [{ id: 'per-image', title: 'Per-image results', order: 8, render: renderPerImage }],
  certification: [{ id: 'certification', title: 'Certified robustness (randomized smoothing)', order: 9, render: renderCertification }],
  /** Right after the attacks and defences they question. */
  flags: [{ id: 'flags', title: 'Gradient-masking flags', order: 2.5, render: renderMaskingFlags }],
  /** A run of its own (robustness along training): the panel's main figure. */
  checkpoints: [{ id: 'checkpoints', title: 'Robustness along training', order: 0.5, render: renderCheckpoints }],
  /** Last: how the run was planned (the probe, the estimate, a budget's reductions and stop). */
  'run-plan': [{ id: 'run-plan', title: 'Run plan and budget', order: 10, render: renderRunPlan }],
};

type AnyPanel = Panel<SectionKind> & { kind: SectionKind };

/** Every panel with its kind, in reading order. */
const PANELS: AnyPanel[] = SECTION_KINDS.flatMap((kind) =>
  (PANELS_BY_KIND[kind] as Panel<SectionKind>[]).map((p) => ({ ...p, kind })),
).sort((a, b) => a.order - b.order);

export interface RenderedPanel {
  id: string;
  title: string;
  element: HTMLElement;
  banner: boolean;
}

export function renderPanels(ctx: RenderContext): RenderedPanel[] {
  const out: RenderedPanel[] = [];
  for (const p of PANELS) {
    const entries = entriesOf(ctx, p.kind);
    if (entries.length === 0) continue;
    let content: Node[];
    try {
      content = p.render(entries, ctx);
    } catch (e) {
      content = [sectionError(ctx.h, p.title, e)];
    }
    if (p.banner) {
      if (content.length) out.push({ id: p.id, title: p.title, element: ctx.h('div', { id: `panel-${p.id}` }, ...content), banner: true });
      continue;
    }
    out.push({ id: p.id, title: p.title, element: section(ctx.h, p.id, p.title, content), banner: false });
  }
  const unknown = unknownEntries(ctx);
  if (unknown.length) {
    out.push({
      banner: false,
      id: 'other',
      title: 'Other sections',
      element: section(ctx.h, 'other', 'Other sections', [
        ctx.h(
          'ul',
          null,
          ...unknown.map((u) =>
            ctx.h(
              'li',
              null,
              `${ctx.compare ? `${u.side.label}: ` : ''}"${u.name}" (kind ${JSON.stringify(sectionKind(u.section))}) is not shown by this version of the panel.`,
            ),
          ),
        ),
      ]),
    });
  }
  return out;
}

function section(h: H, id: string, title: string, content: Node[]): HTMLElement {
  return h(
    'section',
    { class: 'panel', id: `panel-${id}`, 'aria-labelledby': `panel-${id}-title` },
    h('h2', { id: `panel-${id}-title` }, title),
    ...content,
  );
}

function sectionError(h: H, title: string, e: unknown): HTMLElement {
  return h('div', { class: 'section-error', role: 'alert' }, `${title} could not be shown: ${e instanceof Error ? e.message : String(e)}`);
}
