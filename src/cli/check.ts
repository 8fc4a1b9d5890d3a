/**
 * `check`: the CI gate. Before anything runs, the gates of robustness.json are parsed and checked against the
 * metric names the suite (and the baseline) will have; after the run they are evaluated, and the outcome is
 * written as text, Markdown (also appended to $GITHUB_STEP_SUMMARY) and JUnit XML.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { standardSuite, type AttackSpec } from '../engine/attacks/catalog';
import { legacyQuickCheckSuite, quickCheckSuite } from '../engine/attacks/quickCheckSuite';
import { findConfigFile, perModelConfigName, readConfigFile } from '../engine/config/configFile';
import { EngineError } from '../engine/errors';
import { checkBaselineModel, readBaselineReport } from '../engine/gates/baseline';
import { checkGateMetrics, evaluateGates, parseGates, withBaseline, type Gate } from '../engine/gates/gates';
import { BASELINE_PREFIX, metricNamesFor } from '../engine/gates/metricNames';
import { reportMetrics, type Metrics } from '../engine/gates/reportMetrics';
import { gatesJunit, gatesMarkdown, type CheckOutcome } from '../engine/gates/summaries';
import type { AttackJobOptions } from '../engine/jobs/attackJob';
import type { ReportV1 } from '../engine/report/schema';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { runFolder } from './runFolder';

/** Exit code of a run whose gates did not all pass (0 passed, 1 error, 2 usage, 130 cancelled). */
export const GATE_FAILED_EXIT = 3;

export const CHECK_SUITES: Record<string, () => AttackSpec[]> = { quick: quickCheckSuite, standard: standardSuite };

export const CHECK_FLAG_SPEC = {
  suite: { type: 'string' },
  baseline: { type: 'string' },
  'allow-model-change': { type: 'boolean' },
  markdown: { type: 'string' },
  junit: { type: 'string' },
  json: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export interface CheckFlags {
  config?: string;
  suite?: string;
  baseline?: string;
  'allow-model-change'?: boolean;
  markdown?: string;
  junit?: string;
  out?: string;
}

export const CHECK_USAGE = `  --suite S              quick (default: FGSM + APGD-CE-10 L∞ at ε = 8/255, as the Quick Attack Check) | standard
  --baseline FILE        an earlier report.json: gates on vs-baseline.<metric> compare against it
  --allow-model-change   accept a baseline measured on another model file
  --markdown FILE        write the gate summary as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)
  --junit FILE           write JUnit XML, one test case per gate
  exit codes: 0 every gate passed, 3 a gate failed, 1 error, 2 usage, 130 cancelled`;

export interface CheckPlan {
  modelPath: string;
  configFile: string;
  gates: Gate[];
  options: AttackJobOptions;
  baseline: { path: string; metrics: Metrics } | null;
  notes: string[];
}

function sha256Of(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (e) {
    throw new EngineError('FILE_NOT_FOUND', `${path}: cannot read the model (${(e as Error).message})`, { file: path });
  }
}

/** Everything that can be refused before the run: suite, gates, metric names, the baseline and its model. */
export function planCheck(flags: CheckFlags, modelPath: string, now = new Date()): CheckPlan {
  const suiteName = flags.suite ?? 'quick';
  const suite = CHECK_SUITES[suiteName];
  if (!suite) throw new EngineError('USAGE', `--suite ${suiteName}: expected ${Object.keys(CHECK_SUITES).join(' or ')}`);
  const configPath = flags.config ?? findConfigFile(modelPath);
  if (!configPath) {
    throw new EngineError(
      'USAGE',
      `check: no ${perModelConfigName(modelPath)} beside ${modelPath} and no robustness.json beside it or above it, so no gates to check`,
      {
        hint: `add "gates" to ${perModelConfigName(modelPath)} (or a shared robustness.json) next to the model, or pass --config FILE`,
      },
    );
  }
  const loaded = readConfigFile(configPath);
  const gates = parseGates(loaded.config.gates ?? {}, loaded.path);
  if (gates.length === 0) {
    throw new EngineError('USAGE', `check: ${loaded.path} declares no "gates"`, {
      hint: 'add e.g. "gates": {"clean.top1": ">= 0.90", "attack.apgd-ce.top1": ">= 0.30"}',
    });
  }
  const attacks = suite();
  const notes: string[] = [];
  if (suiteName === 'quick') {
    const legacy = legacyPgdGates(gates);
    if (legacy.length) {
      attacks.push(...legacyQuickCheckSuite().filter((a) => a.name === 'pgd'));
      notes.push(legacyPgdNote(legacy));
    }
  }
  const names = metricNamesFor(attacks.map((a) => ({ attack: a.name, params: a.params })));
  const onBaseline = gates.filter((g) => g.metric.startsWith(BASELINE_PREFIX));
  let baseline: CheckPlan['baseline'] = null;
  if (flags.baseline !== undefined) {
    const report = readBaselineReport(flags.baseline);
    const note = checkBaselineModel(
      report,
      flags.baseline,
      { path: resolve(modelPath), sha256: sha256Of(resolve(modelPath)) },
      !!flags['allow-model-change'],
    );
    if (note) notes.push(note);
    const metrics = reportMetrics(report);
    baseline = { path: resolve(flags.baseline), metrics };
    const comparable = names.filter((n) => metrics.has(n)).map((n) => `${BASELINE_PREFIX}${n}`);
    checkGateMetrics(
      gates,
      [...names, ...comparable],
      loaded.path,
      comparable.length < names.length ? ' (a vs-baseline metric needs the metric in the baseline too)' : '',
    );
  } else {
    checkGateMetrics(
      gates.filter((g) => !onBaseline.includes(g)),
      names,
      loaded.path,
      ` with --suite ${suiteName}`,
    );
    if (onBaseline.length) {
      throw new EngineError(
        'USAGE',
        `check: ${onBaseline.map((g) => `"${g.metric}"`).join(', ')} compare against a baseline: pass --baseline REPORT.json`,
      );
    }
  }
  const options: AttackJobOptions = {
    attacks,
    criterion: 'top1',
    target: null,
    gradient: 'analytic',
    gallery: 4,
    outDir: runFolder(modelPath, { out: flags.out }, now),
  };
  return { modelPath, configFile: loaded.path, gates, options, baseline, notes };
}

/**
 * Gates on `attack.pgd.*` (or `vs-baseline.attack.pgd.*`): the quick suite's attack before APGD-CE replaced
 * PGD-10. Such a gate is neither remapped to APGD-CE (a stronger attack: its threshold would silently mean
 * something else, and a baseline's PGD figure is no reference for an APGD-CE one) nor refused (CI would break on
 * upgrade): the check runs PGD-10 L∞ as well, so the gate measures what it always measured, and says so.
 */
function legacyPgdGates(gates: Gate[]): Gate[] {
  return gates.filter((g) => /^(vs-baseline\.)?attack\.pgd\./.test(g.metric));
}

function legacyPgdNote(legacy: Gate[]): string {
  const names = legacy.map((g) => g.metric).join(', ');
  return (
    `deprecated: ${names} gate${legacy.length > 1 ? '' : 's'} PGD-10, the quick check's attack before APGD-CE-10 replaced it; ` +
    'PGD-10 L∞ ran as well so that the gate measures what it did. Rename to attack.apgd-ce.* (the stronger attack at the same cost: ' +
    'expect a value lower or equal, and set the threshold anew); the extra PGD run will go in a later version'
  );
}

/** The gates evaluated on the run's report. */
export function checkOutcome(plan: CheckPlan, report: ReportV1): CheckOutcome {
  const metrics = withBaseline(reportMetrics(report), plan.baseline?.metrics ?? null);
  return {
    model: report.model.path,
    images: report.dataset?.sampledImages ?? 0,
    baseline: plan.baseline?.path ?? null,
    results: evaluateGates(plan.gates, metrics),
    notes: plan.notes,
  };
}

/**
 * The Markdown and JUnit files asked for, then the GitHub Actions step summary when there is one. The files
 * come first so a step summary that cannot be written loses nothing; that failure is returned as a warning
 * (the gates, not the summary, decide the exit code).
 */
export function writeCheckOutputs(outcome: CheckOutcome, flags: CheckFlags, seconds: number, env = process.env): string[] {
  const markdown = gatesMarkdown(outcome);
  if (flags.markdown) writeFileAtomic(resolve(flags.markdown), markdown);
  if (flags.junit) writeFileAtomic(resolve(flags.junit), gatesJunit(outcome, seconds));
  const summary = env.GITHUB_STEP_SUMMARY;
  if (!summary) return [];
  try {
    appendFileSync(summary, markdown + '\n');
    return [];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return [`$GITHUB_STEP_SUMMARY ${summary}: cannot append the gate summary (${code}); the gates were evaluated and are printed above`];
  }
}
