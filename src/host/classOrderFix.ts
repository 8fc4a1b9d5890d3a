/**
 * "Apply this class order" from the sanity banner, without `vscode`: the proposal is taken from the host's
 * own copy of the report (never from the webview), merged as `classNames` into the model's own
 * `<model stem>.robustness.json` — other fields kept, the result validated against the schema, written
 * atomically; created from the shared robustness.json the run used (paths rebased) when the model has none.
 * Then the same kind of run can be started again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { validateConfig } from '../engine/config/configFile';
import { perModelConfigPath } from '../engine/config/configLocator';
import { EngineError } from '../engine/errors';
import type { ReportV1 } from '../engine/report/schema';
import type { SanitySection } from '../engine/report/sections';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { sectionKind } from '../protocol/sectionKinds';

/**
 * A shared robustness.json's settings as the model's own file would hold them: its relative paths (`images`,
 * `labels`) rebased from the shared file's folder to the model's, so the copy points at the same files.
 */
export function rebasedForModel(sharedText: string, sharedFile: string, modelPath: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sharedText);
  } catch (e) {
    throw new EngineError('CONFIG_INVALID', `${sharedFile}: not valid JSON (${(e as Error).message}); the class order was not written`, {
      file: sharedFile,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new EngineError('CONFIG_INVALID', `${sharedFile}: expected a JSON object; the class order was not written`, { file: sharedFile });
  const config = { ...(parsed as Record<string, unknown>) };
  delete config.$schema; // relative to the shared file's folder; the editor's jsonValidation covers the copy anyway
  for (const key of ['images', 'labels']) {
    const v = config[key];
    if (typeof v !== 'string' || isAbsolute(v)) continue;
    config[key] =
      relative(dirname(resolve(modelPath)), resolve(dirname(sharedFile), v))
        .split(sep)
        .join('/') || '.';
  }
  return JSON.stringify(config, null, 2) + '\n';
}

export type Proposal = NonNullable<SanitySection['proposal']>;

/** The sanity section's proposed class order of a report, or why there is none. */
export function classOrderProposal(report: ReportV1): { ok: true; proposal: Proposal } | { ok: false; reason: string } {
  const sanity = Object.values(report.sections ?? {}).find((s): s is SanitySection => sectionKind(s) === 'sanity');
  const p = sanity?.proposal;
  if (!p) return { ok: false, reason: 'this run has no proposed class order' };
  if (!Array.isArray(p.classNames) || p.classNames.length === 0 || !p.classNames.every((n) => typeof n === 'string' && n.length > 0)) {
    return { ok: false, reason: "the run's proposed class order is not a list of class names" };
  }
  if (new Set(p.classNames).size !== p.classNames.length)
    return { ok: false, reason: "the run's proposed class order names a class twice" };
  return { ok: true, proposal: p };
}

/**
 * The configuration text with `classNames` set (in place when present, else added last), every other field
 * kept; throws CONFIG_INVALID when the file is not a JSON object or the result does not match the schema.
 */
export function mergeClassNames(existing: string | null, classNames: string[], file: string): string {
  let config: Record<string, unknown> = {};
  if (existing !== null && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (e) {
      throw new EngineError('CONFIG_INVALID', `${file}: not valid JSON (${(e as Error).message}); the class order was not written`, {
        file,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new EngineError('CONFIG_INVALID', `${file}: expected a JSON object; the class order was not written`, { file });
    }
    config = parsed as Record<string, unknown>;
  }
  const merged = { ...config, classNames: [...classNames] };
  validateConfig(merged, file);
  return JSON.stringify(merged, null, 2) + '\n';
}

export interface ClassOrderWritten {
  file: string;
  created: boolean;
  classNames: string[];
  /** Clean accuracy the new order gives on the run's images, and what it was. */
  accuracy: number;
  currentAccuracy: number;
}

/** Writes the report's proposed class order into its run's configuration file (see the module comment). */
export function applyClassOrder(report: ReportV1): ClassOrderWritten {
  const found = classOrderProposal(report);
  if (!found.ok) throw new EngineError('USAGE', found.reason);
  const { proposal } = found;
  const runFile = typeof report.config?.file === 'string' ? report.config.file : null;
  // The class order belongs to the model: it goes to the model's own file. A run that used a shared
  // robustness.json gets that file's settings copied into the model's own one (which then takes precedence),
  // so the other models sharing it keep their order.
  const file = perModelConfigPath(report.model.path);
  const shared = runFile !== null && resolve(runFile) !== file ? runFile : null;
  // Class names from a class-names file named by "labels" win over "classNames" (src/engine/config/runConfig.ts).
  if (runFile && report.config.provenance?.labels === 'config' && report.config.resolved?.labelsFile === null) {
    throw new EngineError(
      'CONFIG_INVALID',
      `${file}: the run took its class names from the class-names file that "labels" names, which overrides "classNames": put the names in that file in this order instead (one per line, logit order): ${proposal.classNames.join(', ')}`,
      { file },
    );
  }
  const existed = existsSync(file);
  const base = existed
    ? readFileSync(file, 'utf8')
    : shared && existsSync(shared)
      ? rebasedForModel(readFileSync(shared, 'utf8'), shared, report.model.path)
      : null;
  const text = mergeClassNames(base, proposal.classNames, file);
  if (existed) writeFileAtomic(file, text);
  else {
    try {
      writeFileAtomic(file, text, { exclusive: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Created meanwhile: merge into what is there now.
      writeFileAtomic(file, mergeClassNames(readFileSync(file, 'utf8'), proposal.classNames, file));
      return {
        file,
        created: false,
        classNames: proposal.classNames,
        accuracy: proposal.accuracy,
        currentAccuracy: proposal.currentAccuracy,
      };
    }
  }
  return {
    file,
    created: !existed,
    classNames: proposal.classNames,
    accuracy: proposal.accuracy,
    currentAccuracy: proposal.currentAccuracy,
  };
}

/** The report of a panel with this id (the webview names a report; the host holds the reports). */
export function reportById(reports: readonly (ReportV1 | null)[], reportId: string): ReportV1 | null {
  return reports.find((r) => r !== null && r.id === reportId) ?? null;
}

/** The command that starts the same kind of run again from VS Code, and its button label; null when none does. */
export function rerunFor(report: ReportV1): { command: 'robustnessLens.analyse' | 'robustnessLens.quickCheck'; label: string } | null {
  switch (report.command) {
    case 'analyse':
      return { command: 'robustnessLens.analyse', label: 'Re-run analysis' };
    case 'attack':
      return { command: 'robustnessLens.quickCheck', label: 'Re-run quick check' };
    default:
      return null;
  }
}

/** The notification after writing, e.g. "Wrote the class order to robustness.json (clean accuracy 33.8 % → 86.5 % on 200 images)". */
export function appliedMessage(w: ClassOrderWritten): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return `Robustness Lens: ${w.created ? 'created' : 'updated'} ${w.file} with the proposed class order (clean accuracy on the run's images: ${pct(w.currentAccuracy)} → ${pct(w.accuracy)}). Results computed with the old order are still wrong: run again.`;
}
