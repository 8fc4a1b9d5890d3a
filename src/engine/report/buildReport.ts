/** Assembles the v1 report envelope (fingerprints, config hash, versions, runtime) around job sections. */
import { randomUUID } from 'node:crypto';
import { onnxruntimeVersion } from '../runtime/modelSession';
import type { Classifier } from '../runtime/classifier';
import type { PreparedData, PreparedModel } from '../jobs/prepare';
import { REPORT_SCHEMA_ID, REPORT_SCHEMA_VERSION, type ReportShard, type ReportSections, type ReportV1, type RunStatus } from './schema';
import { TOOL_VERSION } from '../version';
import { reportConfig } from './reportConfig';
import { checkReportInvariants } from './invariants';

export interface BuildReportInput {
  command: string;
  prepared: PreparedModel;
  data: PreparedData | null;
  classifier: Classifier | null;
  status: RunStatus;
  sections: ReportSections;
  skippedImages?: { relPath: string; error: string }[];
  warnings?: string[];
  seeds?: Record<string, number>;
  /** A sharded run's per-image data beyond what its sections hold (attack outcomes). */
  shardExtras?: Omit<ReportShard, keyof NonNullable<PreparedData['shard']>>;
}

/** Every job's report, its numbers checked: a violated invariant is one more warning, never a crash. */
export function buildReport(input: BuildReportInput): ReportV1 {
  const report = assembleReport(input);
  report.warnings.push(...checkReportInvariants(report).map((v) => `report check failed: ${v}`));
  return report;
}

function assembleReport(input: BuildReportInput): ReportV1 {
  const { prepared, data, classifier } = input;
  const { file: _file, sha256, sizeBytes, ...info } = prepared.info;
  return {
    schema: REPORT_SCHEMA_ID,
    schemaVersion: REPORT_SCHEMA_VERSION,
    id: randomUUID(),
    command: input.command,
    createdAt: new Date().toISOString(),
    status: input.status,
    tool: {
      name: 'robustness-lens',
      version: TOOL_VERSION,
      onnxruntime: onnxruntimeVersion(),
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
    },
    model: { path: prepared.model.path, sha256, sizeBytes, info, outputKind: classifier?.outputKind ?? null },
    config: reportConfig(prepared.config),
    dataset: data
      ? {
          root: data.dataset.root,
          kind: data.dataset.kind,
          classNames: prepared.config.classNames ?? data.dataset.classNames,
          totalImages: data.dataset.samples.length,
          sampledImages: data.samples.length,
          fingerprint: data.dataset.fingerprint,
          sampling: { limit: prepared.config.limit, seed: prepared.config.seed, stratified: true },
          ignoredFiles: data.dataset.ignored.length,
          skippedImages: input.skippedImages ?? [],
        }
      : null,
    runtime: classifier
      ? {
          requestedProvider: prepared.config.runtime.executionProvider,
          executionProvider: classifier.provider,
          attempts: classifier.session.attempts,
          ...(classifier.session.fallbackNote ? { fallback: classifier.session.fallbackNote } : {}),
          threads: prepared.config.runtime.threads,
          batchSize: classifier.batchSize,
          fixedBatch: classifier.session.fixedBatch(prepared.config.preprocessing.inputName),
        }
      : null,
    seeds: { sampling: prepared.config.seed, ...input.seeds },
    timings: prepared.timings,
    sections: input.sections,
    warnings: [
      ...(classifier?.session.fallbackNote ? [classifier.session.fallbackNote] : []),
      ...prepared.info.warnings,
      ...(input.warnings ?? []),
    ],
    ...(data?.shard ? { shard: { ...data.shard, ...input.shardExtras } } : {}),
  };
}
