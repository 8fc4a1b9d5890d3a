/**
 * The warning at the top of a compare panel: what differs between the two runs (other images, class order,
 * ε, a stale run, different attack suites), as the host found it before comparing. Hard differences and
 * stale runs make the numbers side by side incomparable, and the block says so first; soft ones leave what
 * the runs share comparable. Nothing is shown when the runs match, or when the panel shows one run.
 */
import type { ComparisonNote } from '../../../src/protocol/webviewMessages';
import type { RenderContext } from './context';

const SEVERITY_WORD: Record<ComparisonNote['severity'], string> = {
  stale: 'stale run',
  hard: 'not comparable',
  soft: 'partly comparable',
};

export function renderCompareCheck(ctx: RenderContext): HTMLElement | null {
  const notes = ctx.comparison;
  if (!ctx.compare || !notes || notes.length === 0) return null;
  const { h } = ctx;
  const blocking = notes.some((n) => n.severity !== 'soft');
  const [a, b] = ctx.sides;
  return h(
    'section',
    {
      class: `compare-check${blocking ? ' compare-check-hard' : ''}`,
      role: 'alert',
      'data-testid': 'compare-check',
      'aria-label': 'Comparison warning',
    },
    h(
      'h2',
      null,
      blocking
        ? 'These runs do not match: the numbers side by side are not a like-for-like comparison'
        : 'These runs differ: compare only what they share',
    ),
    h('p', { class: 'compare-sides' }, `A = ${a.label}, B = ${b.label}. Deltas are B − A.`),
    h(
      'ul',
      null,
      ...notes.map((n) =>
        h(
          'li',
          { 'data-severity': n.severity },
          h('span', { class: `compare-severity compare-severity-${n.severity}` }, SEVERITY_WORD[n.severity]),
          ' ',
          n.text,
        ),
      ),
    ),
  );
}
