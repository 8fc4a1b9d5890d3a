/**
 * The panel's sections in reading order, each rendered from the report sections of its kind. A section that
 * fails to render shows its error in place; the rest of the panel still renders.
 */
import type { H } from '../dom';
import { renderAttacks } from './attackTable';
import type { RenderContext, SectionEntry } from './context';
import { renderDefences } from './defenceTable';
import { renderGallery } from './gallery';
import { renderOccludedFrequency } from './occludedFrequency';
import { renderRct } from './rct';
import { entriesOf, sectionKind, unknownEntries, type KnownKind, type SectionKinds } from './sections';
import { renderSpectra } from './spectra';
import { renderSweeps } from './sweeps';

interface Panel<K extends KnownKind> {
  id: string;
  title: string;
  kind: K;
  render(entries: SectionEntry<SectionKinds[K]>[], ctx: RenderContext): Node[];
}

const panel = <K extends KnownKind>(p: Panel<K>) => p as unknown as Panel<KnownKind>;

/** The clean section has no panel of its own: its numbers are in the summary card. */
const PANELS: Panel<KnownKind>[] = [
  panel({ id: 'attacks', title: 'Attacks', kind: 'attacks', render: renderAttacks }),
  panel({ id: 'defences', title: 'Defences', kind: 'defences', render: renderDefences }),
  panel({ id: 'sweeps', title: 'Sweeps', kind: 'sweeps', render: renderSweeps }),
  panel({ id: 'occluded-frequency', title: 'Occluded Frequency', kind: 'occluded-frequency', render: renderOccludedFrequency }),
  panel({ id: 'rct', title: 'RCT maps', kind: 'rct', render: renderRct }),
  panel({ id: 'spectra', title: 'Perturbation spectra', kind: 'spectra', render: renderSpectra }),
  panel({ id: 'gallery', title: 'Gallery', kind: 'attacks', render: renderGallery }),
];

export interface RenderedPanel {
  id: string;
  title: string;
  element: HTMLElement;
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
    out.push({ id: p.id, title: p.title, element: section(ctx.h, p.id, p.title, content) });
  }
  const unknown = unknownEntries(ctx);
  if (unknown.length) {
    out.push({
      id: 'other', title: 'Other sections', element: section(ctx.h, 'other', 'Other sections', [ctx.h('ul', null, ...unknown.map((u) => ctx.h('li', null,
        `${ctx.compare ? `${u.side.label}: ` : ''}"${u.name}" (kind ${JSON.stringify(sectionKind(u.section))}) is not shown by this version of the panel.`)))]),
    });
  }
  return out;
}

function section(h: H, id: string, title: string, content: Node[]): HTMLElement {
  return h('section', { class: 'panel', id: `panel-${id}`, 'aria-labelledby': `panel-${id}-title` },
    h('h2', { id: `panel-${id}-title` }, title),
    ...content);
}

function sectionError(h: H, title: string, e: unknown): HTMLElement {
  return h('div', { class: 'section-error', role: 'alert' }, `${title} could not be shown: ${e instanceof Error ? e.message : String(e)}`);
}
