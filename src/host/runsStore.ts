/**
 * Saved runs: `.robustness/runs/<yyyymmdd-hhmmss>-<model stem>/` in the workspace, holding the job's
 * images, `report.json` (a finished or cancelled run) or `failure.json` (a run that failed or whose engine
 * crashed: the error and every section that had arrived), and `host-metrics.json`. Listing never throws on
 * one bad folder: a corrupt or other-version report is listed as unreadable, with the reason.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { quickCheckSuiteOf, quickCheckTitle } from '../engine/attacks/quickCheckSuite';
import { stringifyReport } from '../engine/report/reportJson';
import { checkReportEnvelope, type ReportV1 } from '../engine/report/schema';
import type { SanitySection } from '../engine/report/sections';
import { reportVerdict, shortHeadline } from '../protocol/verdict';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { sectionKind } from '../protocol/sectionKinds';
import type { EngineFailure, JobKind } from '../protocol/engineMessages';
import type { EngineExit } from './engineClient';

export const RUNS_DIR = join('.robustness', 'runs');
const RUN_ID = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-([A-Za-z0-9._-]+?)(?:-(\d+))?$/;

/** File-name-safe model stem (letters, digits, dot, dash, underscore; at most 60 characters). */
export function modelStem(modelPath: string): string {
  const stem = basename(modelPath, extname(modelPath))
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+/, '')
    .slice(0, 60);
  return stem || 'model';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `<yyyymmdd-hhmmss>-<model stem>` in local time (what the user sees in the explorer). */
export function runIdFor(now: Date, modelPath: string): string {
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${date}-${time}-${modelStem(modelPath)}`;
}

/** A run id as this store names folders (guards every id that comes back from a webview or a tree item). */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id) && !id.includes('..');
}

export function runsRoot(workspaceRoot: string): string {
  return join(workspaceRoot, RUNS_DIR);
}

/** Creates a fresh run folder; two runs of one model in the same second get `-2`, `-3`, … */
export function createRunFolder(workspaceRoot: string, modelPath: string, now = new Date()): { id: string; dir: string } {
  const root = runsRoot(workspaceRoot);
  mkdirSync(root, { recursive: true });
  const base = runIdFor(now, modelPath);
  for (let k = 1; ; k++) {
    const id = k === 1 ? base : `${base}-${k}`;
    const dir = join(root, id);
    try {
      mkdirSync(dir);
      return { id, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export interface HostMetrics {
  activationMs: number;
  eventLoopDelayMaxMs: number;
  eventLoopDelayP99Ms: number;
  /** How the engine process ended during the run; null when it stayed up. */
  engineExit: EngineExit | null;
  runSeconds: number;
  engineVersions: Record<string, string> | null;
}

/** What a failed run leaves instead of a report. */
export interface RunFailureRecord {
  schema: 'robustness-lens/failed-run';
  kind: JobKind;
  modelPath: string;
  createdAt: string;
  error: EngineFailure;
  /** The last stage the run reported. */
  stage: string | null;
  /** Sections that had arrived before the failure, by name. */
  sections: Record<string, unknown>;
  engineExit: EngineExit | null;
}

export function writeRunReport(dir: string, report: ReportV1): void {
  writeFileAtomic(join(dir, 'report.json'), stringifyReport(report) + '\n');
}

export function writeRunFailure(dir: string, failure: RunFailureRecord): void {
  writeFileAtomic(join(dir, 'failure.json'), JSON.stringify(failure, null, 2) + '\n');
}

export function writeHostMetrics(dir: string, metrics: HostMetrics): void {
  writeFileAtomic(join(dir, 'host-metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
}

export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function readJson(path: string): ReadResult<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, reason: `cannot read ${basename(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, reason: `${basename(path)} is not valid JSON (${(e as Error).message})` };
  }
}

export function readRunReport(dir: string): ReadResult<ReportV1> {
  const json = readJson(join(dir, 'report.json'));
  if (!json.ok) return json;
  const envelope = checkReportEnvelope(json.value);
  return envelope.ok ? { ok: true, value: envelope.report } : { ok: false, reason: envelope.reason };
}

export function readRunFailure(dir: string): ReadResult<RunFailureRecord> {
  const json = readJson(join(dir, 'failure.json'));
  if (!json.ok) return json;
  const v = json.value as Partial<RunFailureRecord> | null;
  if (
    !v ||
    v.schema !== 'robustness-lens/failed-run' ||
    typeof v.error?.message !== 'string' ||
    typeof v.sections !== 'object' ||
    v.sections === null
  ) {
    return { ok: false, reason: 'failure.json is not a Robustness Lens failed-run record' };
  }
  return { ok: true, value: v as RunFailureRecord };
}

export type RunListing =
  | {
      id: string;
      dir: string;
      readable: true;
      model: string;
      modelPath: string;
      command: string;
      createdAt: Date;
      status: ReportV1['status'];
      headline: string;
      /** The messages of the report's sanity findings (src/engine/eval/sanity.ts); empty or absent when none. */
      sanity?: string[];
      /** What the run is, e.g. "Quick Attack Check (FGSM, PGD-10 L∞ at ε = 8/255)" or "Robustness analysis". */
      title: string;
    }
  | { id: string; dir: string; readable: false; model: string; createdAt: Date | null; reason: string };

function dateFromId(id: string): Date | null {
  const m = RUN_ID.exec(id);
  return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : null;
}

/**
 * One line that says how the run went, from the report's verdict (src/protocol/verdict.ts): robust
 * accuracy under the strongest bounded white-box attack at the configured ε beside clean accuracy, else
 * clean accuracy, else the command. Never a minimum over unbounded or query-limited attacks.
 */
export function headline(report: ReportV1): string {
  return shortHeadline(reportVerdict(report)) ?? report.command;
}

const COMMAND_TITLES: Record<string, string> = {
  analyse: 'Robustness analysis',
  attack: 'Attacks',
  eval: 'Clean accuracy',
  explain: 'Explain Image Frequencies',
  certify: 'Certified robustness',
  'fourier-heatmap': 'Fourier heat map',
  checkpoints: 'Robustness along training',
  invert: 'Feature inversion',
  defend: 'Defences',
  info: 'Model info',
  gradcheck: 'Gradient check',
};

/** A command's title ("Robustness analysis"): live panels and reopened ones are titled alike. */
export function commandTitle(command: string): string {
  return COMMAND_TITLES[command] ?? command;
}

/** What a run is, in words: the quick check by its name and suite, else its command's title. */
export function runTitle(report: Pick<ReportV1, 'command' | 'sections'>): string {
  const quick = quickCheckSuiteOf(report);
  if (quick) return quickCheckTitle(quick);
  return commandTitle(report.command);
}

function sanityMessages(report: ReportV1): string[] {
  const sanity = Object.values(report.sections ?? {}).find((s): s is SanitySection => sectionKind(s) === 'sanity');
  return Array.isArray(sanity?.findings) ? sanity.findings.map((f) => String(f.message)) : [];
}

export function describeRun(id: string, dir: string): RunListing {
  const model = RUN_ID.exec(id)?.[7] ?? id;
  const createdAt = dateFromId(id);
  if (existsSync(join(dir, 'report.json'))) {
    const r = readRunReport(dir);
    if (!r.ok) return { id, dir, readable: false, model, createdAt, reason: r.reason };
    const report = r.value;
    const reportModel = typeof report.model?.path === 'string' ? report.model.path : '';
    return {
      id,
      dir,
      readable: true,
      model: reportModel ? modelStem(reportModel) : model,
      modelPath: reportModel,
      command: report.command,
      createdAt: new Date(report.createdAt),
      status: report.status,
      headline: headline(report),
      sanity: sanityMessages(report),
      title: runTitle(report),
    };
  }
  if (existsSync(join(dir, 'failure.json'))) {
    const f = readRunFailure(dir);
    if (!f.ok) return { id, dir, readable: false, model, createdAt, reason: f.reason };
    return {
      id,
      dir,
      readable: true,
      model,
      modelPath: f.value.modelPath,
      command: f.value.kind,
      createdAt: new Date(f.value.createdAt),
      status: 'failed',
      headline: f.value.error.message.split('\n')[0],
      title: COMMAND_TITLES[f.value.kind] ?? f.value.kind,
    };
  }
  return {
    id,
    dir,
    readable: false,
    model,
    createdAt,
    reason: 'no report.json (the run is in progress, or it was interrupted before it finished)',
  };
}

/** What a panel shows for a saved run. */
export interface LoadedRun {
  state: 'complete' | 'partial' | 'failed';
  report: ReportV1 | null;
  /** Sections of a failed run that had arrived (a report holds its own). */
  sections: Record<string, unknown>;
  message: string | null;
}

export function loadRun(dir: string): LoadedRun {
  const failure = existsSync(join(dir, 'failure.json')) && !existsSync(join(dir, 'report.json')) ? readRunFailure(dir) : null;
  if (failure?.ok) return { state: 'failed', report: null, sections: failure.value.sections, message: failure.value.error.message };
  if (failure && !failure.ok) return { state: 'failed', report: null, sections: {}, message: failure.reason };
  const r = readRunReport(dir);
  if (!r.ok) return { state: 'failed', report: null, sections: {}, message: `this run cannot be shown: ${r.reason}` };
  const state = r.value.status === 'partial' ? 'partial' : r.value.status === 'failed' ? 'failed' : 'complete';
  return {
    state,
    report: r.value,
    sections: {},
    message: state === 'partial' ? 'cancelled: the report holds what finished' : (r.value.error?.message ?? null),
  };
}

/** A report can pass the envelope check and still hold sections of the wrong shape: one bad run must not hide the others. */
function describeRunSafely(id: string, dir: string): RunListing {
  try {
    return describeRun(id, dir);
  } catch (e) {
    return {
      id,
      dir,
      readable: false,
      model: RUN_ID.exec(id)?.[7] ?? id,
      createdAt: dateFromId(id),
      reason: `report.json could not be read: ${(e as Error).message}`,
    };
  }
}

/** Every run folder, newest first. */
export function listRuns(workspaceRoot: string): RunListing[] {
  const root = runsRoot(workspaceRoot);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const runs: RunListing[] = [];
  for (const id of names) {
    const dir = join(root, id);
    try {
      if (!statSync(dir).isDirectory() || !isRunId(id)) continue;
    } catch {
      continue;
    }
    runs.push(describeRunSafely(id, dir));
  }
  return runs.sort((a, b) => b.id.localeCompare(a.id));
}

/** Deletes one run folder, refusing anything that is not a run id of this store. */
export function deleteRun(workspaceRoot: string, id: string): void {
  if (!isRunId(id)) throw new Error(`"${id}" is not a run folder name`);
  rmSync(join(runsRoot(workspaceRoot), id), { recursive: true, force: true });
}
