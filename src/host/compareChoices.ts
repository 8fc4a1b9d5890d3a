/**
 * What Compare Models and Compare Runs ask before comparing two runs that do not match or are stale: the
 * message (what differs, side by side), and the choices — re-run a side with the other side's settings,
 * re-run both, compare anyway (the panel then carries the differences), or cancel. Without vscode, so that
 * the rules (which side may be re-run, when nothing needs asking) are unit-tested.
 */
import type { LensSettings } from './settings';
import type { ComparisonNote } from '../protocol/webviewMessages';
import type { MatchSettings, RunDifference, Staleness } from './runMatch';

export type SideKey = 'a' | 'b';

export interface SideCheck {
  /** The model's file name. */
  label: string;
  /** When the run was made (ISO). */
  createdAt: string;
  staleness: Staleness;
  /** An analyse of this side's model can be started (the model file exists; the run is an analysis). */
  canRerun: boolean;
}

export interface CompareCheck {
  a: SideCheck;
  b: SideCheck;
  differences: RunDifference[];
}

export type CompareAction =
  /** Re-run `sides`; `match`: the side whose settings (preset, images, seed, ε) the new run copies, null: current settings. */
  { kind: 'rerun'; sides: SideKey[]; match: SideKey | null } | { kind: 'compare-anyway' };

export interface CompareChoice {
  label: string;
  action: CompareAction;
}

const SIDE_NAME: Record<SideKey, string> = { a: 'A', b: 'B' };

/**
 * Whether to ask before comparing: a stale run, or any difference but a partial run's status alone (Compare
 * Models' reuse pick already marks a cancelled run; the panel's warning still lists it).
 */
export function needsAsking(check: CompareCheck): boolean {
  return check.differences.some((d) => d.kind !== 'status') || isStale(check.a) || isStale(check.b);
}

function isStale(side: SideCheck): boolean {
  return side.staleness.reasons.length > 0;
}

/** Every line of the warning: stale runs first, then hard differences, then soft ones. */
export function comparisonNotes(check: CompareCheck): ComparisonNote[] {
  const stale = (['a', 'b'] as const).flatMap((k) =>
    check[k].staleness.reasons.map((reason) => ({ severity: 'stale' as const, text: `${SIDE_NAME[k]} is stale: ${reason}` })),
  );
  return [...stale, ...check.differences.map((d) => ({ severity: d.severity, text: d.text }))];
}

/** The dialog's message and detail: which run is A and which B, then every line of the warning. */
export function compareQuestion(check: CompareCheck): { message: string; detail: string } {
  const stale = (['a', 'b'] as const).filter((k) => isStale(check[k]));
  const hard = check.differences.some((d) => d.severity === 'hard');
  const message = stale.length
    ? `The ${stale.length === 2 ? 'runs of both models are' : `run of ${check[stale[0]].label} is`} older than ${stale.length === 2 ? 'their models or configurations' : 'its model or configuration'}${check.differences.length ? ', and the runs do not match' : ''}.`
    : hard
      ? 'These two runs do not match: their numbers are not comparable as they are.'
      : 'These two runs differ: only what they share is comparable.';
  const sides = (['a', 'b'] as const).map(
    (k) => `${SIDE_NAME[k]} = ${check[k].label} (run of ${check[k].createdAt.replace(/\.\d+Z$/, 'Z')})`,
  );
  const lines = comparisonNotes(check).map((n) => `• ${n.text}`);
  return { message, detail: [...sides, '', ...lines].join('\n') };
}

/**
 * The choices, best first. A stale side is re-run (with the other side's settings when that side is
 * current, so that the two then match); with none stale, either side may be re-run to match the other if
 * a re-run would remove a difference (other images or class folders are not removed by running again).
 * "Compare anyway" is always offered; Cancel is the dialog's own button.
 */
export function compareChoices(check: CompareCheck): CompareChoice[] {
  const out: CompareChoice[] = [];
  const staleA = isStale(check.a);
  const staleB = isStale(check.b);
  const rerun = (side: SideKey, match: SideKey | null) =>
    out.push({
      label: match
        ? `Re-run ${SIDE_NAME[side]} (${check[side].label}) to match ${SIDE_NAME[match]}`
        : `Re-run ${SIDE_NAME[side]} (${check[side].label})`,
      action: { kind: 'rerun', sides: [side], match },
    });
  if (staleA && staleB) {
    if (check.a.canRerun && check.b.canRerun)
      out.push({ label: 'Re-run both with the current settings', action: { kind: 'rerun', sides: ['a', 'b'], match: null } });
    else if (check.a.canRerun) rerun('a', null);
    else if (check.b.canRerun) rerun('b', null);
  } else if (staleA || staleB) {
    const side: SideKey = staleA ? 'a' : 'b';
    const other: SideKey = staleA ? 'b' : 'a';
    if (check[side].canRerun) rerun(side, other);
  } else if (check.differences.some((d) => d.fixableByRerun)) {
    if (check.b.canRerun) rerun('b', 'a');
    if (check.a.canRerun) rerun('a', 'b');
  }
  out.push({ label: 'Compare anyway', action: { kind: 'compare-anyway' } });
  return out;
}

/** The settings of a re-run that copies another run's preset (its suite), image count, seed and fixed ε. */
export function settingsToMatch(s: LensSettings, m: MatchSettings): LensSettings {
  return {
    ...s,
    analysePreset: m.preset ?? s.analysePreset,
    // A preset's suite, not the attacks setting, made the other run.
    attacks: m.preset ? [] : s.attacks,
    limit: m.limit ?? s.limit,
    seed: m.seed,
    epsilons: m.epsilon === null ? s.epsilons : [m.epsilon],
  };
}
