/**
 * The gradient-masking flags (src/engine/eval/maskingFlags.ts): each fired flag with its one-line
 * explanation and its evidence, or a line saying which checks ran and stayed quiet.
 */
import type { FlagsSection, MaskingFlag } from '../../../src/engine/report/sections';
import type { RenderContext, SectionEntry } from './context';

export function renderMaskingFlags(entries: SectionEntry<FlagsSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.map(({ section, side }) => {
    const flags = Array.isArray(section.flags) ? section.flags : [];
    const prefix = ctx.compare ? `${side.label}: ` : '';
    const checked = Array.isArray(section.checked) ? section.checked.length : 0;
    if (!flags.length)
      return h(
        'p',
        { class: 'flags-none', 'data-testid': 'flags-none' },
        `${prefix}No gradient-masking flag fired (${checked} check${checked === 1 ? '' : 's'} ran).`,
      );
    return h(
      'div',
      { class: 'flags', 'data-testid': 'flags' },
      h(
        'p',
        { class: 'flags-intro' },
        `${prefix}${flags.length} warning sign${flags.length === 1 ? '' : 's'} that the attacks may overstate robustness:`,
      ),
      h('ul', { class: 'flags-list' }, ...flags.map((f) => flagItem(f, ctx))),
      section.definition ? h('p', { class: 'flags-definition' }, section.definition) : null,
    );
  });
}

function flagItem(f: MaskingFlag, ctx: RenderContext): HTMLElement {
  const { h } = ctx;
  return h(
    'li',
    { class: `flag flag-${f.severity}`, 'data-flag': f.id, role: f.severity === 'error' ? 'alert' : null },
    h('strong', null, `${f.title}: `),
    f.explanation,
    h('div', { class: 'flag-evidence' }, `Evidence: ${f.summary}`),
  );
}
