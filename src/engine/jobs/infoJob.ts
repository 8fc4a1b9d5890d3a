/**
 * `info` as a job: what the CLI's `info` prints — the model's description and every diagnostic, the class
 * count checked against the image folder that robustness.json (or the overrides) names — as a report with one
 * `model-info` section, for the extension's model view. Reads the model, its configuration and the folder
 * listing only: no onnxruntime, no image decoding, nothing written.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { findConfigFile, readConfigFile, type LoadedConfigFile } from '../config/configFile';
import { resolveRunConfig, type RunConfig } from '../config/runConfig';
import { openDataset } from '../data/dataset';
import { errorText } from '../errors';
import { loadModel } from '../onnx/loadModel';
import { classCountDiagnostic, describeModel, type ModelDiagnostic, type ModelInfo } from '../onnx/modelInfo';
import { REPORT_SCHEMA_ID, REPORT_SCHEMA_VERSION, type ReportConfig, type ReportV1 } from '../report/schema';
import { reportConfig } from '../report/reportConfig';
import { TOOL_VERSION } from '../version';
import type { JobHooks } from './evalJob';
import { diagnoseModel } from './modelDiagnostics';
import type { JobRequest } from './prepare';

export interface ModelInfoSection {
  kind: 'model-info';
  info: ModelInfo;
  /** What will not work with this model and why, each with a hint (as `info` prints them). */
  diagnostics: ModelDiagnostic[];
  /** The robustness.json that applies to the model, if one was found. */
  configFile: string | null;
  /** The image folder the class count was checked against (null: none configured). */
  imagesDir: string | null;
  /** Why the configuration or the image folder could not be used; the description and the other diagnostics still stand. */
  problems: string[];
}

/** The report's section key (one section per info report). */
export const MODEL_INFO_SECTION = 'modelInfo';

export async function runInfoJob(req: JobRequest, hooks: JobHooks = {}): Promise<ReportV1> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  hooks.onProgress?.({ stage: 'reading the model', done: 0, total: 1 });
  // An unreadable or invalid model fails the job: its message is what the model view shows.
  const model = await loadModel(req.modelPath);
  const info = describeModel(model);
  timings.loadModel = (performance.now() - t) / 1000;

  const problems: string[] = [];
  const configFile = readConfiguration(req, problems);
  const config = resolveConfiguration(req, info, configFile, problems);
  // The image folder as a run would take it (a flag or setting, else robustness.json), even where the rest of the configuration fails.
  const imagesDir =
    config?.imagesDir ??
    (req.overrides?.images !== undefined
      ? resolve(req.overrides.images)
      : configFile?.config.images !== undefined
        ? resolve(configFile.dir, configFile.config.images)
        : null);

  t = performance.now();
  const diagnostics = await diagnoseModel(model, info);
  timings.diagnose = (performance.now() - t) / 1000;
  if (imagesDir) {
    const labelsFile = config?.labelsFile ?? undefined;
    const check = await classCountCheck(info, imagesDir, labelsFile, config?.classNames ?? null, problems);
    if (check) diagnostics.push(check);
  }

  const section: ModelInfoSection = { kind: 'model-info', info, diagnostics, configFile: configFile?.path ?? null, imagesDir, problems };
  hooks.onProgress?.({ stage: 'reading the model', done: 1, total: 1 });
  const { file: _file, sha256, sizeBytes, ...described } = info;
  return {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: REPORT_SCHEMA_VERSION,
    id: randomUUID(),
    command: 'info',
    createdAt: new Date().toISOString(),
    status: 'complete',
    tool: {
      name: 'robustness-lens',
      version: TOOL_VERSION,
      // Never loaded by this job.
      onnxruntime: 'not loaded',
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
    },
    model: { path: model.path, sha256, sizeBytes, info: described, outputKind: null },
    config: config ? reportConfig(config) : UNRESOLVED_CONFIG,
    dataset: null,
    runtime: null,
    seeds: {},
    timings,
    sections: { [MODEL_INFO_SECTION]: section },
    warnings: [...info.warnings, ...problems],
  };
}

/**
 * An info report is never saved as a run nor shown in a run panel: where the configuration cannot be
 * resolved (no image input, a symbolic size) its envelope carries no configuration; the section says why.
 */
const UNRESOLVED_CONFIG = null as unknown as ReportConfig;

function readConfiguration(req: JobRequest, problems: string[]): LoadedConfigFile | null {
  try {
    const path = req.configPath ?? findConfigFile(req.modelPath, req.workspaceRoot);
    return path ? readConfigFile(path) : null;
  } catch (e) {
    problems.push(`the configuration cannot be read: ${errorText(e)}`);
    return null;
  }
}

function resolveConfiguration(req: JobRequest, info: ModelInfo, file: LoadedConfigFile | null, problems: string[]): RunConfig | null {
  try {
    return resolveRunConfig(req.modelPath, info, file, req.overrides ?? {});
  } catch (e) {
    problems.push(`runs will refuse this model until its configuration is fixed: ${errorText(e)}`);
    return null;
  }
}

/**
 * The image folder's class count against the model's outputs (folders are listed; no image is read), with
 * the class names a run would use (configured, or the model's metadata names), as a run opens the folder.
 */
async function classCountCheck(
  info: ModelInfo,
  imagesDir: string,
  labelsFile: string | undefined,
  classNames: string[] | null,
  problems: string[],
): Promise<ModelDiagnostic | undefined> {
  try {
    const dataset = await openDataset({ root: imagesDir, ...(labelsFile ? { labelsFile } : {}), ...(classNames ? { classNames } : {}) });
    return classCountDiagnostic(info, dataset.root, dataset.classNames, dataset.kind === 'image-folder');
  } catch (e) {
    problems.push(`the image folder cannot be checked: ${errorText(e)}`);
    return undefined;
  }
}
