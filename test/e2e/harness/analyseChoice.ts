/**
 * The quick-pick Analyse opens before a run (title "Analyse <model>: preset and images"): waits for the timing
 * probe's estimates, checks they are labelled as estimates (and, on a model's first run, that fast is
 * preselected), then picks `preset` on every image.
 */
import type { Page } from 'playwright-core';
import type { QuickInput } from './quickInput';
import type { Results } from './results';

export async function pickAnalyseChoice(
  r: Results,
  qi: QuickInput,
  page: Page,
  shot: (name: string) => Promise<string>,
  model: string,
  preset: 'Fast' | 'Full',
  firstRun: boolean,
): Promise<string[]> {
  const title = `Analyse ${model}: preset and images`;
  // Every row priced: the list is rebuilt when the probe answers, and a read in between mixes old and new rows.
  const view = await qi.waitFor(
    (v) => v.title.startsWith(title) && v.rows.length > 0 && v.rows.every((x) => /\(estimate\)$|^no estimate/.test(x.description)),
    120_000,
  );
  r.log('analyse choices', JSON.stringify(view.rows));
  r.log('screenshot', await shot(`analyse-choice-${model.replace(/[^\w]+/g, '-')}`));
  r.check(
    `the Analyse pick of ${model} gives each choice a time estimate, labelled as one`,
    view.rows.length > 0 && view.rows.every((x) => /^≈ .+ \(estimate\)$/.test(x.description)),
    view.rows.map((x) => `${x.label}: ${x.description}`).join(' | '),
  );
  if (firstRun) {
    const active = await page.locator('.quick-input-list .monaco-list-row.focused .label-name').first().textContent();
    r.check('a first run has the fast preset preselected', /^\s*Fast · /.test(active ?? ''), active ?? '');
  }
  const row = view.rows.find((x) => x.label.startsWith(`${preset} · all `));
  r.check(`the pick offers "${preset} · all … images"`, row !== undefined, view.rows.map((x) => x.label).join(' | '));
  await qi.pick(row?.label ?? `${preset} · all images`);
  return view.rows.map((x) => `${x.label}: ${x.description}`);
}

/** "ETA 1 m 05 s (whole run)" → 65; null for "estimating…", "finishing…" or no ETA. */
export function etaSeconds(progressText: string): number | null {
  const m = /ETA ((?:(\d+) h )?(?:(\d+) m(?:in)? )?(?:(\d+) s)?)\s*\(whole run\)/.exec(progressText);
  if (!m || !m[1].trim()) return null;
  return Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}
