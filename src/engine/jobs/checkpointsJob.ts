/**
 * `checkpoints`: robustness along training. For each ONNX checkpoint of a folder, in training order
 * (checkpoints/order.ts), on the same images: clean accuracy, robust accuracy under FGM and PGD at one fixed ε,
 * and the low-frequency energy ratio τ of the attacks' perturbations against the images' own
 * (spectral/spectra.ts, as the analyse job's spectra). Results are cached per checkpoint (checkpoints/cache.ts),
 * so a run after one more export computes one model. A checkpoint that cannot be loaded or run, or whose input
 * shape or class count differs from the first good one, is listed with its reason and the others go on.
 * A cancel keeps the checkpoints finished (partial report).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobOptionsByKind } from '../../protocol/jobKinds';
import {
  CHECKPOINTS_DEFINITION,
  type CheckpointAttackResult,
  type CheckpointEntry,
  type CheckpointResult,
  type CheckpointsParams,
  type CheckpointsSection,
} from '../../protocol/checkpoints';
import type { AttackSpec } from '../attacks/catalog';
import { CheckpointCache, checkpointCacheKey, type CheckpointCacheFields } from '../checkpoints/cache';
import { listCheckpoints } from '../checkpoints/order';
import { streamPixelBatches } from '../data/batches';
import { channelCount } from '../data/pixels';
import { EngineError, errorText, isEngineError } from '../errors';
import { gradientBuilderFor } from '../grad/forClassifier';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { pixelSpecFor } from '../input/pixelSpec';
import { buildReport } from '../report/buildReport';
import type { ReportV1 } from '../report/schema';
import { Classifier } from '../runtime/classifier';
import { SpectrumAccumulator, defaultSpectrumCutoff } from '../spectral/spectra';
import { seedRecord } from '../util/seeds';
import { TOOL_VERSION } from '../version';
import { AttackSuite } from './attackSuite';
import { CleanPredictionTally, sanitySection, sanityWarnings } from './sanityCheck';
import type { JobHooks } from './evalJob';
import { prepareData, prepareModel, type JobRequest, type PreparedData, type PreparedModel } from './prepare';

export type CheckpointsOptions = JobOptionsByKind['checkpoints'];

/** The default ε per norm: the attack catalog's FGM / PGD-L2 default, and the Quick Attack Check's 8/255. */
export const DEFAULT_CHECKPOINT_EPSILON = { l2: 1, linf: 8 / 255 } as const;

/** The two attacks at the run's ε: FGM (FGSM under L∞, as cleverhans' fast_gradient_method) and PGD. */
export function checkpointAttacks(p: Pick<CheckpointsParams, 'norm' | 'epsilon' | 'pgdSteps' | 'pgdAlpha'>): AttackSpec[] {
  return [
    p.norm === 'l2' ? { name: 'fgm', params: { eps: p.epsilon } } : { name: 'fgsm', params: { eps: p.epsilon } },
    { name: 'pgd', params: { norm: p.norm, eps: p.epsilon, alpha: p.pgdAlpha, steps: p.pgdSteps } },
  ];
}

/** sha256 over the sampled images' paths, labels and bytes (the cache key's image part). */
function imagesHash(data: PreparedData): string {
  const h = createHash('sha256');
  for (const s of data.samples) {
    h.update(`${s.relPath}\t${s.label}\t`);
    try {
      h.update(readFileSync(s.path));
    } catch {
      h.update('unreadable');
    }
    h.update('\n');
  }
  return h.digest('hex');
}

/** The input a checkpoint is fed (for the same-shape check). */
function inputShape(prepared: PreparedModel): string {
  const p = prepared.config.preprocessing;
  return `${channelCount(p)}×${p.height}×${p.width}`;
}

/** One checkpoint's clean accuracy, FGM and PGD robust accuracy, and the τ ratios: one model's work. */
export async function measureCheckpoint(
  prepared: PreparedModel,
  data: PreparedData,
  params: CheckpointsParams & { cutoff: number },
  hooks: JobHooks = {},
): Promise<{ result: CheckpointResult; skipped: { relPath: string; error: string }[] }> {
  const started = performance.now();
  const p = prepared.config.preprocessing;
  const C = channelCount(p);
  const classifier = await Classifier.open(prepared.config, prepared.info, prepared.model);
  const classNames = prepared.config.classNames ?? data.dataset.classNames;
  let suite: AttackSuite | null = null;
  let builder: ClassifierGradientBuilder | null = null;
  const skipped: { relPath: string; error: string }[] = [];
  const tally = new CleanPredictionTally();
  try {
    suite = new AttackSuite(
      prepared,
      classifier,
      classNames,
      { attacks: checkpointAttacks(params), criterion: 'top1', target: null, gradient: 'analytic', gallery: 0, outDir: null },
      hooks.signal,
    );
    const deltas = suite.attacks.map(() => new SpectrumAccumulator(C, p.height, p.width, params.cutoff));
    const images = new SpectrumAccumulator(C, p.height, p.width, params.cutoff);
    const per = classifier.pixelsPerSample;
    for await (const batch of streamPixelBatches(
      data.samples,
      pixelSpecFor(p),
      classifier.batchSize,
      hooks.signal ? { signal: hooks.signal } : {},
    )) {
      for (const f of batch.failed) skipped.push({ relPath: f.sample.relPath, error: f.error });
      const count = batch.samples.length;
      if (count === 0) continue;
      const scores = await classifier.scores(batch.pixels, count);
      tally.add(
        scores,
        batch.samples.map((x) => x.label),
        classifier.outputKind!.kind,
      );
      if (!suite.started) {
        if (suite.needsGradient) builder = await gradientBuilderFor(prepared, classifier.outputKind!.kind, scores.length / count);
        suite.start(builder);
      }
      const done = await suite.runBatch(batch.samples, batch.pixels, scores);
      const row = (a: Float32Array, i: number) => a.subarray(i * per, (i + 1) * per);
      // τ(x) of every image (a zero δ: only the image's ratio counts), τ(δ) of every attacked image's perturbation.
      for (let i = 0; i < count; i++) images.add(row(batch.pixels, i), row(batch.pixels, i));
      done.attacks.forEach((r, a) => r.attacked.forEach((i, k) => deltas[a].add(row(batch.pixels, i), row(r.adversarial, k))));
      if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
    }
    const specs = checkpointAttacks(params);
    const summaries = suite.summaries();
    const evaluated = summaries[0]?.evaluated ?? 0;
    if (evaluated === 0) throw new EngineError('DATASET_INVALID', 'no image could be decoded', { hint: 'see the skipped images' });
    const attacks: CheckpointAttackResult[] = summaries.map((s, a) => {
      const tau = deltas[a].result();
      return {
        label: s.label,
        attack: specs[a].name,
        robustTop1: s.attacked.top1Accuracy,
        attackedImages: s.attackedImages,
        successRate: s.successRate,
        lowFrequencyRatio: Number.isNaN(tau.lowFrequencyEnergyPerturbation) ? null : tau.lowFrequencyEnergyPerturbation,
        perturbations: tau.count,
      };
    });
    const tauImages = images.result().lowFrequencyEnergyImages;
    return {
      result: {
        images: evaluated,
        cleanTop1: summaries[0].clean.top1Accuracy,
        attacks,
        imagesLowFrequencyRatio: Number.isNaN(tauImages) ? null : tauImages,
        seconds: (performance.now() - started) / 1000,
        sanity: sanitySection(tally.evidence(), prepared, data, classifier),
      },
      skipped,
    };
  } finally {
    await suite?.dispose();
    await classifier.dispose();
  }
}

/** `req.modelPath` is the folder of checkpoints; its configuration search applies to each checkpoint. */
export async function runCheckpointsJob(req: JobRequest, opts: CheckpointsOptions, hooks: JobHooks = {}): Promise<ReportV1> {
  const folder = resolve(req.modelPath);
  const listing = listCheckpoints(folder);
  const epsilon = opts.epsilon ?? DEFAULT_CHECKPOINT_EPSILON[opts.norm];
  const cache = new CheckpointCache(opts.cacheDir === null ? null : resolve(opts.cacheDir));
  const entries: CheckpointEntry[] = listing.files.map((f) => ({
    name: f.name,
    path: f.path,
    number: listing.order === 'number-in-name' ? f.number : null,
    modified: new Date(f.modifiedMs).toISOString(),
    sha256: null,
    status: 'failed',
    error: 'not run (cancelled)',
    source: null,
    result: null,
  }));
  const params: CheckpointsParams = {
    norm: opts.norm,
    epsilon,
    pgdSteps: opts.pgdSteps,
    pgdAlpha: opts.pgdAlpha ?? epsilon / 4,
    cutoff: opts.cutoff,
    seed: 0,
    cacheDir: cache.dir,
  };
  let done = 0;
  const section = (): CheckpointsSection => ({
    kind: 'checkpoints',
    definition: CHECKPOINTS_DEFINITION,
    folder,
    order: listing.order,
    orderNote: listing.note,
    params: { ...params },
    entries: entries.map((e) => ({ ...e })),
    done,
    total: entries.length,
  });
  /** The first checkpoint that loaded: the others must take the same input and give as many classes. */
  let reference: { name: string; shape: string; classes: number | null } | null = null;
  /** The newest checkpoint that loaded gives the report its model, configuration and dataset. */
  let newest: { prepared: PreparedModel; data: PreparedData } | null = null;
  const skipped = new Map<string, string>();
  const imageHashes = new Map<string, string>();
  let partial = false;
  const started = performance.now();
  const stage = (i: number) => `checkpoint ${i + 1} of ${entries.length}: ${entries[i].name}`;
  try {
    for (let i = 0; i < entries.length; i++) {
      if (hooks.signal?.aborted) throw new EngineError('CANCELLED', 'cancelled');
      hooks.onProgress?.({ stage: stage(i), done: i, total: entries.length, fraction: i / entries.length });
      const entry = entries[i];
      try {
        const prepared = await prepareModel({ ...req, modelPath: entry.path });
        entry.sha256 = prepared.info.sha256;
        const shape = inputShape(prepared);
        const classes = prepared.info.output.numClasses;
        if (reference && shape !== reference.shape)
          throw new EngineError(
            'USAGE',
            `takes ${shape} inputs, the first checkpoint (${reference.name}) ${reference.shape}: not the same architecture`,
            { hint: 'keep one training run’s checkpoints in the folder' },
          );
        if (reference && classes !== reference.classes)
          throw new EngineError(
            'USAGE',
            `has ${classes ?? 'an unknown number of'} outputs, the first checkpoint (${reference.name}) ${reference.classes ?? 'unknown'}`,
          );
        const data = await prepareData(prepared);
        reference ??= { name: entry.name, shape, classes };
        params.seed = prepared.config.seed;
        const cutoff = params.cutoff ?? defaultSpectrumCutoff(prepared.config.preprocessing.height, prepared.config.preprocessing.width);
        params.cutoff = cutoff;
        const imagesKey = `${data.dataset.fingerprint}\t${data.samples.map((s) => s.relPath).join('\n')}`;
        if (!imageHashes.has(imagesKey)) imageHashes.set(imagesKey, imagesHash(data));
        const fields: CheckpointCacheFields = {
          modelSha256: prepared.info.sha256,
          preprocessing: prepared.config.preprocessing,
          classNames: prepared.config.classNames,
          labelsFile: prepared.config.labelsFile,
          images: imageHashes.get(imagesKey)!,
          seed: prepared.config.seed,
          norm: params.norm,
          epsilon: params.epsilon,
          pgdSteps: params.pgdSteps,
          pgdAlpha: params.pgdAlpha,
          cutoff,
          toolVersion: TOOL_VERSION,
        };
        const key = checkpointCacheKey(fields);
        const cached = cache.get(key);
        if (cached) {
          entry.result = cached;
          entry.source = 'cache';
        } else {
          const measured = await measureCheckpoint(prepared, data, { ...params, cutoff }, hooks);
          for (const s of measured.skipped) skipped.set(s.relPath, s.error);
          entry.result = measured.result;
          entry.source = 'computed';
          cache.put(key, fields, measured.result);
        }
        entry.status = 'done';
        entry.error = null;
        newest = { prepared, data };
      } catch (e) {
        if (isEngineError(e) && e.code === 'CANCELLED') throw e;
        entry.status = 'failed';
        entry.error = errorText(e).replace(/\n\s*/g, ' — ');
        entry.result = null;
        hooks.onLog?.(`${entry.name}: ${entry.error}`);
      }
      done = i + 1;
      hooks.onSection?.('checkpoints', section());
    }
  } catch (e) {
    if (!(isEngineError(e) && e.code === 'CANCELLED')) throw e;
    partial = true;
  }
  hooks.onProgress?.({ stage: 'checkpoints', done, total: entries.length, fraction: done / entries.length });
  if (!newest) {
    if (partial) throw new EngineError('CANCELLED', 'cancelled before the first checkpoint finished');
    throw new EngineError(
      'MODEL_INVALID',
      `no checkpoint in ${folder} could be analysed: ${entries.map((e) => `${e.name}: ${e.error}`).join('; ')}`,
    );
  }
  const final = section();
  hooks.onSection?.('checkpoints', final);
  newest.prepared.timings.checkpoints = (performance.now() - started) / 1000;
  const failed = entries.filter((e) => e.status === 'failed' && e.error !== 'not run (cancelled)');
  // The newest checkpoint's sanity check speaks for the run (class order and preprocessing are shared).
  const sanity = [...entries].reverse().find((e) => e.result)?.result?.sanity ?? null;
  if (sanity) hooks.onSection?.('sanity', sanity);
  return buildReport({
    command: 'checkpoints',
    prepared: newest.prepared,
    data: newest.data,
    classifier: null,
    status: partial ? 'partial' : 'complete',
    skippedImages: [...skipped].map(([relPath, error]) => ({ relPath, error })),
    sections: { checkpoints: final, ...(sanity ? { sanity } : {}) },
    seeds: seedRecord(newest.prepared.config.seed, 'attacks/suite'),
    warnings: [...(sanity ? sanityWarnings(sanity) : []), ...failed.map((e) => `checkpoint ${e.name} was not analysed: ${e.error}`)],
  });
}
