/**
 * Report schema v1: one versioned JSON document per run. Sections are optional and keyed by name, so later
 * capabilities (attacks, defences, spectral analyses) add sections without changing what is here; a reader
 * that meets an unknown section keeps it untouched.
 */
import type { CleanEvalResult } from '../eval/cleanEval';
import type { ClassOrder } from '../config/classOrder';
import type { Preprocessing, Provenance } from '../config/runConfig';
import type { ModelInfo } from '../onnx/modelInfo';
import type { OutputKindDecision } from '../runtime/classifier';
import type { ProviderAttempt } from '../runtime/modelSession';
import type { ShardBase } from '../shard/shard';
import type { SanityEvidence } from '../eval/sanity';
import type { TallyCounts } from '../defences/tally';
import type { DefenceAttackRef } from './sections';
import type { PassTwoCounts } from '../analyse/passTwo';

/**
 * One attack run's per-image outcomes, by column (row r of each is the image at position images[r] of the whole
 * sample); NaN norms, ε of images not attacked are null. Only shard reports carry them, for `merge`.
 */
export interface OutcomeColumns {
  images: number[];
  cleanTop1: boolean[];
  cleanTop5: boolean[];
  attacked: boolean[];
  success: boolean[];
  attackedTop1: boolean[];
  attackedTop5: boolean[];
  l2: (number | null)[];
  linf: (number | null)[];
  queries: number[];
  epsilon: (number | null)[];
}

/** A shard's report: which part of the sample it ran, and the per-image data `merge` recomputes aggregates from. */
export interface ReportShard extends ShardBase {
  /** attack: each run's outcomes and the sanity evidence of the clean scores (the ensemble's per-image record is in its section). */
  attacks?: {
    outcomes: OutcomeColumns[];
    evidence: SanityEvidence | null;
    galleryLimit: number;
    /** `--eps-list`: what the robustness curves are recomputed from (absent when the run has no curves). */
    curves?: ShardCurves;
  };
  /** analyse (pass 1 only): every defence's tally counts, one per candidate configuration × attack (DefenceSweep.tallies order). */
  analyse?: {
    /** What each defence's candidates and choice depend on (equal in every shard). */
    setup: {
      defenceOptions: {
        preset: 'full' | 'fast';
        K: number;
        radius: number | null;
        directions: 'random' | 'approx';
        cutoff: number | null;
      };
      sweeps: boolean;
      tolerance: number;
      refs: DefenceAttackRef[];
    };
    defences: { defence: string; tallies: TallyCounts[] }[];
    /** Pass 2 on this shard's part of the adaptive images (only when every defence's configuration was given). */
    pass2?: PassTwoCounts;
  };
}

/** A shard's robustness-curve inputs: the suite's attack names and the ε-list suite's entries and outcomes. */
export interface ShardCurves {
  /** The catalog name of each run of the attacks section (same order). */
  attackNames: string[];
  epsList: number[];
  /** Each run of the ε-list suite: its curve (label, attack, norm) and ε; `outcomes` has one column set per entry. */
  entries: { label: string; attack: string; norm: 'linf' | 'l2'; eps: number }[];
  outcomes: OutcomeColumns[];
}

export const REPORT_SCHEMA_ID = 'robustness-lens/report';
export const REPORT_SCHEMA_VERSION = 1;

export type RunStatus = 'complete' | 'partial' | 'failed';

export interface ReportTool {
  name: 'robustness-lens';
  version: string;
  onnxruntime: string;
  node: string;
  platform: string;
  arch: string;
}

export interface ReportModel {
  path: string;
  /** sha256 of the .onnx file: the model's fingerprint. */
  sha256: string;
  sizeBytes: number;
  info: Omit<ModelInfo, 'file' | 'sha256' | 'sizeBytes'>;
  outputKind: OutputKindDecision | null;
}

export interface ReportConfig {
  file: string | null;
  /** sha256 of the canonical JSON of `resolved`. */
  hash: string;
  resolved: {
    preprocessing: Preprocessing;
    imagesDir: string | null;
    labelsFile: string | null;
    classNames: string[] | null;
    limit: number | null;
    seed: number;
    runtime: { executionProvider: string; strictProvider?: true; threads: number; batchSize: number };
  };
  /**
   * Where the class order (class name / folder → output index) came from, e.g. { source: 'model-metadata',
   * description: 'the model\'s metadata "names" (…)' }. Absent in reports written before it was recorded.
   */
  classOrder?: ClassOrder;
  provenance: Record<string, Provenance>;
  notes: string[];
}

export interface ReportDataset {
  root: string;
  kind: 'image-folder' | 'flat-with-labels';
  classNames: string[];
  totalImages: number;
  sampledImages: number;
  fingerprint: string;
  sampling: { limit: number | null; seed: number; stratified: true };
  ignoredFiles: number;
  /** Images that could not be decoded: skipped, listed, counted. */
  skippedImages: { relPath: string; error: string }[];
}

export interface ReportRuntime {
  requestedProvider: string;
  executionProvider: string;
  attempts: ProviderAttempt[];
  /** Present when the requested provider could not run and the run fell back (also the first warning). */
  fallback?: string;
  threads: number;
  batchSize: number;
  fixedBatch: number | null;
}

export interface CleanSection extends Omit<CleanEvalResult, 'failed'> {
  kind: 'clean';
}

export interface ReportSections {
  clean?: CleanSection;
  [name: string]: unknown;
}

export interface ReportV1 {
  schema: typeof REPORT_SCHEMA_ID;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  id: string;
  command: string;
  createdAt: string;
  status: RunStatus;
  tool: ReportTool;
  model: ReportModel;
  config: ReportConfig;
  dataset: ReportDataset | null;
  runtime: ReportRuntime | null;
  seeds: Record<string, number>;
  /** Seconds per stage. */
  timings: Record<string, number>;
  sections: ReportSections;
  warnings: string[];
  error?: { code: string; message: string };
  /** Present in a shard's report (`--shard i/n`). */
  shard?: ReportShard;
  /** Present in a report `merge` assembled from shard reports: their ids in shard order. */
  /** A merged run: its shards, and what the merge does not yet recompute from per-image data (left out, not guessed). */
  merged?: { shards: number; reportIds: string[]; notRecomputed?: string[] };
}

/** Checks the envelope of a parsed report so readers can reject other files and newer versions clearly. */
export function checkReportEnvelope(value: unknown): { ok: true; report: ReportV1 } | { ok: false; reason: string } {
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not a JSON object' };
  const v = value as Partial<ReportV1>;
  if (v.schema !== REPORT_SCHEMA_ID) return { ok: false, reason: `not a Robustness Lens report (schema is ${JSON.stringify(v.schema)})` };
  if (v.schemaVersion !== REPORT_SCHEMA_VERSION)
    return {
      ok: false,
      reason: `report schema version ${String(v.schemaVersion)} is not supported (this build reads version ${REPORT_SCHEMA_VERSION})`,
    };
  for (const key of ['id', 'createdAt', 'status', 'model', 'config', 'sections'] as const) {
    if (v[key] === undefined) return { ok: false, reason: `report lacks "${key}"` };
  }
  return { ok: true, report: v as ReportV1 };
}
