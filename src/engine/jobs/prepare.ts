/**
 * The common start of every job: read the model, find and validate its configuration, resolve the run
 * configuration, open the dataset and draw the seeded sample.
 */
import type { jobRequestSchema } from '../../protocol/jobRequest';
import type { Infer } from '../../protocol/schema';
import { performance } from 'node:perf_hooks';
import { findConfigFile, readConfigFile, type LoadedConfigFile } from '../config/configFile';
import { resolveRunConfig, type RunConfig } from '../config/runConfig';
import { openDataset, sampleDataset, type Dataset, type DatasetSample } from '../data/dataset';
import { EngineError } from '../errors';
import { loadModel, type LoadedModel } from '../onnx/loadModel';
import { parseShard, takeShard, type ShardBase } from '../shard/shard';
import { classCountDiagnostic, describeModel, type ModelInfo } from '../onnx/modelInfo';

/** What every job starts from; declared once, with its runtime check, in src/protocol/jobRequest.ts. */
export type JobRequest = Infer<typeof jobRequestSchema>;

export interface PreparedModel {
  /** The request's shard (scale-out), checked; null: the whole sample. */
  shard?: { index: number; count: number } | null;
  model: LoadedModel;
  info: ModelInfo;
  configFile: LoadedConfigFile | null;
  config: RunConfig;
  timings: Record<string, number>;
}

export async function prepareModel(req: JobRequest): Promise<PreparedModel> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const model = await loadModel(req.modelPath);
  const info = describeModel(model);
  timings.loadModel = (performance.now() - t) / 1000;
  const configPath = req.configPath ?? findConfigFile(req.modelPath, req.workspaceRoot);
  const configFile = configPath ? readConfigFile(configPath) : null;
  t = performance.now();
  const config = resolveRunConfig(req.modelPath, info, configFile, req.overrides ?? {});
  timings.resolveConfig = (performance.now() - t) / 1000;
  const shard = req.shard ? parseShard(`${req.shard.index}/${req.shard.count}`, 'shard') : null;
  return { model, info, configFile, config, timings, shard };
}

export interface PreparedData {
  dataset: Dataset;
  samples: DatasetSample[];
  /** Sharded runs: the whole sample's size and fingerprint, and which of its images this shard ran. */
  shard?: ShardBase;
  /** Sharded runs: the whole sample (analyse's pass 2 needs its first correctly classified images). */
  wholeSamples?: DatasetSample[];
}

export async function prepareData(prepared: PreparedModel): Promise<PreparedData> {
  const { config, info } = prepared;
  if (!config.imagesDir) {
    throw new EngineError('USAGE', `${config.modelPath}: no image folder given`, {
      hint: 'pass --images DIR, or set "images" in robustness.json next to the model',
    });
  }
  const t = performance.now();
  const dataset = await openDataset({
    root: config.imagesDir,
    ...(config.classNames ? { classNames: config.classNames } : {}),
    ...(config.labelsFile ? { labelsFile: config.labelsFile } : {}),
    ...(info.output.numClasses !== null ? { numClasses: info.output.numClasses } : {}),
  });
  // Class folders named for another model's classes (class0, class1 for a 1000-class model) are mapped to the
  // first outputs in sorted order without a word otherwise; the report's warnings say so, with the mapping.
  if (dataset.kind === 'image-folder' && !config.classNames) {
    const remark = classCountDiagnostic(info, dataset.root, dataset.classNames, true);
    if (remark) info.warnings.push(remark.message);
  }
  const whole = sampleDataset(dataset, { ...(config.limit !== null ? { limit: config.limit } : {}), seed: config.seed });
  prepared.timings.openDataset = (performance.now() - t) / 1000;
  if (!prepared.shard) return { dataset, samples: whole };
  const { samples, base } = takeShard(whole, prepared.shard);
  return { dataset, samples, shard: base, wholeSamples: whole };
}
