/**
 * The `model-info` section in a run panel: the model's signature, its detected image input and output kind,
 * and the diagnostics with their hints. (The extension shows the same section in its own model view; a
 * panel only meets it in a report that carries one.)
 */
import type { ModelInfoSection } from '../../../src/engine/jobs/infoJob';
import type { H } from '../dom';
import { sideTitle, type RenderContext, type SectionEntry } from './context';

const shape = (s: (number | string | null)[] | null) => (s ? `[${s.map((d) => d ?? '?').join(', ')}]` : '[?]');

export function renderModelInfo(entries: SectionEntry<ModelInfoSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.flatMap(({ side, section }) => {
    const { info } = section;
    const image = info.imageInputs.map(
      (c) => `${c.name}: ${c.layout}, ${c.channels} channel(s), ${c.height}×${c.width}, batch ${c.batch} (${c.reason})`,
    );
    return [
      h('h3', null, sideTitle(ctx, side, 'Model')),
      h(
        'ul',
        null,
        ...info.inputs.map((i) => h('li', null, `input ${i.name}: ${i.elemType} ${shape(i.shape)}`)),
        ...info.outputs.map((o) => h('li', null, `output ${o.name}: ${o.elemType} ${shape(o.shape)}`)),
        h('li', null, `image input: ${image.length ? image.join('; ') : 'none found'}`),
        h('li', null, `scores: ${info.output.kind} (${info.output.reason})`),
      ),
      h('h3', null, sideTitle(ctx, side, 'Diagnostics')),
      diagnosticList(h, section),
    ];
  });
}

function diagnosticList(h: H, section: ModelInfoSection): HTMLElement {
  const items = [...section.info.warnings, ...section.problems].map((w) => h('li', null, w));
  for (const d of section.diagnostics) items.push(h('li', null, d.message, h('br'), h('span', { class: 'muted' }, `hint: ${d.hint}`)));
  return items.length ? h('ul', { class: 'warnings' }, ...items) : h('p', null, 'Nothing found that would stop a run.');
}
