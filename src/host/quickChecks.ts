/**
 * Quick Attack Check results: the robust accuracy of each check (top-1 under the strongest bounded white-box
 * attack of its suite, the verdict's figure) beside the clean accuracy on the same images, kept per model in
 * `.robustness/quick-checks.json`, so the status bar can show the latest one and its change since the
 * previous check of the same model — the "every export" loop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  QUICK_CHECK_ATTACK_NOTE,
  QUICK_CHECK_NAME,
  legacyQuickCheckSuite,
  quickCheckSuite,
  quickCheckSuiteOf,
  suiteWords,
} from '../engine/attacks/quickCheckSuite';
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { ReportV1 } from '../engine/report/schema';
import { reportVerdict } from '../protocol/verdict';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { CHECKPOINTS_DEFINITION, type CheckpointEntry, type CheckpointsSection } from '../protocol/checkpoints';

export interface QuickCheckRecord {
  /** Absolute model path: the key checks are compared under. */
  model: string;
  /** The model file's sha256 when it was checked (tells a new export from a re-check). */
  sha256: string;
  at: string;
  /** Attacked top-1 accuracy under the strongest bounded white-box attack of the check (`attack`). */
  robustTop1: number;
  /** Clean top-1 accuracy on the same images. */
  cleanTop1: number;
  attack: string;
  /**
   * The check's suite in words ("FGSM, APGD-CE-10 L∞"): checks are compared only within one suite. Absent in
   * records written before the field, all of them checks of the legacy suite (FGSM, PGD-10 L∞).
   */
  suite?: string;
  images: number;
  runId: string;
  status: ReportV1['status'];
  /** Each attack of the check: its label and top-1 accuracy under it (absent in histories written before). */
  attacks?: { label: string; top1: number }[];
}

const HISTORY_FILE = join('.robustness', 'quick-checks.json');
/** Per model; older checks are dropped. */
const KEEP_PER_MODEL = 50;

/** The quick check's figures from its report's verdict; throws when the report has no bounded white-box attack. */
export function quickCheckRecord(report: ReportV1, runId: string): QuickCheckRecord {
  const robust = reportVerdict(report).robust;
  if (!robust) {
    const runs = (report.sections.attacks as AttacksSection | undefined)?.runs ?? [];
    throw new Error(
      `the quick check's report has no bounded white-box attack at a fixed ε (runs: ${runs.map((r) => r.label).join(', ') || 'none'})`,
    );
  }
  return {
    model: report.model.path,
    sha256: report.model.sha256,
    at: report.createdAt,
    robustTop1: robust.top1,
    cleanTop1: robust.cleanTop1,
    attack: robust.label,
    suite: suiteWords(quickCheckSuiteOf(report) ?? quickCheckSuite()),
    images: robust.evaluated,
    runId,
    status: report.status,
    attacks: ((report.sections.attacks as AttacksSection | undefined)?.runs ?? []).map((r) => ({
      label: r.label,
      top1: r.attacked.top1Accuracy,
    })),
  };
}

/** The Quick Attack Check's ε (FGSM and PGD-10 L∞ at 8/255: quickCheckSuite). */
const QUICK_CHECK_EPS = 8 / 255;

/**
 * A model's checks over its exports as a `checkpoints` section — the chart of robustness along training, drawn
 * over the exports the watcher checked: oldest first, one point per export (consecutive checks of the same
 * file, same sha256, give the same figures: the latest stands for them). Clean and robust accuracy per attack;
 * the checks do not measure τ, so the τ chart is left out.
 */
export function exportHistorySection(records: QuickCheckRecord[], model: string): CheckpointsSection {
  const exports = records.filter((r, i) => i === records.length - 1 || records[i + 1].sha256 !== r.sha256);
  const entries: CheckpointEntry[] = exports.map((r, i) => ({
    name: `#${i + 1} ${r.sha256.slice(0, 8)}`,
    path: r.model,
    number: null,
    modified: r.at,
    sha256: r.sha256,
    status: 'done',
    error: null,
    source: 'history',
    result: {
      images: r.images,
      cleanTop1: r.cleanTop1,
      attacks: (r.attacks?.length ? r.attacks : [{ label: r.attack, top1: r.robustTop1 }]).map((a) => ({
        label: a.label,
        attack: a.label.split(/[\s-]/)[0].toLowerCase(),
        robustTop1: a.top1,
        attackedImages: null,
        successRate: null,
        lowFrequencyRatio: null,
        perturbations: null,
      })),
      imagesLowFrequencyRatio: null,
      seconds: 0,
    },
  }));
  return {
    kind: 'checkpoints',
    definition: `${QUICK_CHECK_NAME} of each export of the model (the file's sha256 changed), oldest first: clean top-1 accuracy and top-1 accuracy under each attack at the fixed ε. ${CHECKPOINTS_DEFINITION}`,
    folder: model,
    order: 'check-time',
    orderNote: `by the time of each export's ${QUICK_CHECK_NAME}`,
    params: { norm: 'linf', epsilon: QUICK_CHECK_EPS, pgdSteps: 10, pgdAlpha: 2 / 255, cutoff: null, seed: 0, cacheDir: null },
    entries,
    done: entries.length,
    total: entries.length,
  };
}

export class QuickCheckHistory {
  private readonly path: string;
  private records: QuickCheckRecord[] | null = null;

  constructor(
    workspaceRoot: string,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {
    this.path = join(workspaceRoot, HISTORY_FILE);
  }

  /** Checks of a model, oldest first. */
  of(model: string): QuickCheckRecord[] {
    return this.load().filter((r) => r.model === model);
  }

  /**
   * The latest check of a model and the one before it when both ran the same suite. A check of another suite
   * (the PGD-10 checks before APGD-CE replaced it) is not a comparable figure: the latest check then starts a
   * new series, and `otherAttack` names the suite of the check before it.
   */
  latest(model: string): { current: QuickCheckRecord; previous: QuickCheckRecord | null; otherAttack?: string } | null {
    const mine = this.of(model);
    if (!mine.length) return null;
    const current = mine[mine.length - 1];
    const before = mine.length > 1 ? mine[mine.length - 2] : null;
    if (before && seriesOf(before) !== seriesOf(current)) return { current, previous: null, otherAttack: seriesOf(before) };
    return { current, previous: before };
  }

  add(record: QuickCheckRecord): void {
    const all = [...this.load(), record];
    const mine = all.filter((r) => r.model === record.model);
    const drop = new Set(mine.slice(0, Math.max(0, mine.length - KEEP_PER_MODEL)));
    this.records = all.filter((r) => !drop.has(r));
    writeFileAtomic(this.path, JSON.stringify({ version: 1, checks: this.records }, null, 2) + '\n');
  }

  private load(): QuickCheckRecord[] {
    if (this.records) return this.records;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return (this.records = []);
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; checks?: unknown };
      if (parsed.version !== 1 || !Array.isArray(parsed.checks)) throw new Error('expected {"version": 1, "checks": [...]}');
      this.records = parsed.checks.filter((r: unknown): r is QuickCheckRecord => {
        const o = r as Partial<Record<keyof QuickCheckRecord, unknown>> | null;
        return (
          typeof o === 'object' && o !== null && typeof o.model === 'string' && typeof o.robustTop1 === 'number' && typeof o.at === 'string'
        );
      });
    } catch (e) {
      // A damaged history only loses the comparison; the next check rewrites the file.
      this.onProblem(`${this.path} is unreadable (${(e as Error).message}); starting a new quick-check history`);
      this.records = [];
    }
    return this.records;
  }
}

/** A check's series: its suite in words (records from before the field are of the legacy PGD-10 suite). */
export function seriesOf(record: QuickCheckRecord): string {
  return typeof record.suite === 'string' ? record.suite : suiteWords(legacyQuickCheckSuite());
}

/** To 0.1 %, rounded the same way as formatDelta. */
function percent(x: number): string {
  return `${(Math.round(x * 1000) / 10).toFixed(1)}%`;
}

/**
 * Change in percentage points with a real minus sign, e.g. "−2.1 pp", "+0.4 pp", "±0.0 pp" — the difference
 * of the two percentages as shown (each to 0.1 %), so the numbers on screen add up.
 */
export function formatDelta(current: number, previous: number): string {
  const pp = (Math.round(current * 1000) - Math.round(previous * 1000)) / 10;
  const sign = pp > 0 ? '+' : pp < 0 ? '−' : '±';
  return `${sign}${Math.abs(pp).toFixed(1)} pp`;
}

/**
 * Status bar text, e.g. "$(shield) Robust 15.6% · clean 32.8% (−2.1 pp)": robust accuracy never without the
 * clean accuracy it is measured against (a low robust figure of a model that is barely right clean says little).
 */
export function statusText(current: QuickCheckRecord, previous: QuickCheckRecord | null): string {
  const clean = typeof current.cleanTop1 === 'number' ? ` · clean ${percent(current.cleanTop1)}` : '';
  return `$(shield) Robust ${percent(current.robustTop1)}${clean}${previous ? ` (${formatDelta(current.robustTop1, previous.robustTop1)})` : ''}`;
}

/**
 * Screen-reader label (and tooltip) of the status bar item; `otherAttack`: the check before this one ran another
 * attack, so this one starts a new series and is not compared with it.
 */
export function statusLabel(current: QuickCheckRecord, previous: QuickCheckRecord | null, modelName: string, otherAttack?: string): string {
  const change = previous
    ? `, ${formatDelta(current.robustTop1, previous.robustTop1).replace('pp', 'percentage points')} since the previous check`
    : otherAttack
      ? `; not compared with the previous check, which ran ${otherAttack} (another suite): a new series starts here`
      : '';
  const clean = typeof current.cleanTop1 === 'number' ? `, clean accuracy ${percent(current.cleanTop1)} on the same images` : '';
  // Screen readers hear whose item it is first, as with VS Code's own status bar entries.
  return `Robustness Lens ${QUICK_CHECK_NAME} of ${modelName}: robust accuracy ${percent(current.robustTop1)} under ${current.attack} (fixed ε) on ${current.images} images${clean}${change}`;
}

/** The status bar item's tooltip: the label, a cancelled check said so, and which attack the check runs and why. */
export function statusTooltip(
  latest: { current: QuickCheckRecord; previous: QuickCheckRecord | null; otherAttack?: string },
  modelName: string,
): string {
  const partial = latest.current.status === 'partial' ? '(partial: the check was cancelled)\n' : '';
  const label = statusLabel(latest.current, latest.previous, modelName, latest.otherAttack);
  return `${label}\n${partial}${QUICK_CHECK_ATTACK_NOTE}\nClick to open the report.`;
}
