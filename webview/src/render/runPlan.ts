/** The analyse run's plan: the estimate per stage, what a budget reduced, and where the run stopped. */
import type { RunPlanSection } from '../../../src/engine/report/sections';
import { runPlanLines } from '../../../src/protocol/runPlan';
import type { RenderContext, SectionEntry } from './context';

export function renderRunPlan(entries: SectionEntry<RunPlanSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  return entries.map(({ section, side }) =>
    h(
      'div',
      { class: 'run-plan', 'data-testid': 'run-plan' },
      ctx.compare ? h('p', {}, side.label) : null,
      section.stopped ? h('p', { class: 'run-plan-stopped', 'data-testid': 'run-plan-stopped' }, section.stopped.note) : null,
      h('pre', { class: 'run-plan-lines' }, runPlanLines(section).join('\n')),
    ),
  );
}
