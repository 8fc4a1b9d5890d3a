/**
 * A classifier = an onnxruntime session + the preprocessing that feeds it + which output holds the scores.
 * Everything that runs the model (clean evaluation, attacks, defences) goes through `scores()`.
 */
import { EngineError } from '../errors';
import { sampleShape, type RunConfig, type Preprocessing } from '../config/runConfig';
import type { ModelInfo } from '../onnx/modelInfo';
import type { LoadedModel } from '../onnx/loadModel';
import { pixelsToModelInput } from '../input/modelInput';
import { channelCount } from '../data/pixels';
import { probeOutputKind, type OutputKind } from '../eval/scores';
import { ModelSession, sessionOptionsFor } from './modelSession';
import type { ScoreModel } from './scoreModel';

export interface OutputKindDecision {
  kind: OutputKind;
  reason: string;
  /** 'graph' when read off the final node, 'probe' when decided from the first batch's rows. */
  decidedBy: 'graph' | 'probe';
}

export class Classifier implements ScoreModel {
  private outputKindDecision: OutputKindDecision | null;
  private classes: number | null;
  private scratch = new Float32Array(0);

  private constructor(
    readonly session: ModelSession,
    readonly preprocessing: Preprocessing,
    readonly outputName: string,
    info: ModelInfo,
    readonly batchSize: number,
  ) {
    this.classes = info.output.numClasses;
    this.outputKindDecision =
      info.output.kind === 'unknown' ? null : { kind: info.output.kind, reason: info.output.reason, decidedBy: 'graph' };
  }

  /** `model`: the loaded model, whose rewritten graph (a float16 model run in float32) runs instead of the file. */
  static async open(config: RunConfig, info: ModelInfo, model: LoadedModel): Promise<Classifier> {
    const opts = sessionOptionsFor(config.runtime);
    const session = model.rewritten
      ? await ModelSession.open(model.rewritten.bytes, opts, config.modelPath)
      : await ModelSession.open(config.modelPath, opts);
    try {
      session.assertFloat32Input(config.preprocessing.inputName);
      const extraInputs = session.inputNames.filter((n) => n !== config.preprocessing.inputName);
      if (extraInputs.length > 0) {
        throw new EngineError(
          'MODEL_UNSUPPORTED',
          `${config.modelPath}: the model has other inputs besides "${config.preprocessing.inputName}": ${extraInputs.join(', ')}`,
          {
            file: config.modelPath,
            expected: 'a classifier with a single image input',
          },
        );
      }
      return new Classifier(session, config.preprocessing, info.output.name, info, config.runtime.batchSize);
    } catch (e) {
      await session.dispose();
      throw e;
    }
  }

  get sampleShape(): number[] {
    return sampleShape(this.preprocessing);
  }
  get pixelsPerSample(): number {
    return channelCount(this.preprocessing) * this.preprocessing.height * this.preprocessing.width;
  }
  get numClasses(): number | null {
    return this.classes;
  }
  get outputKind(): OutputKindDecision | null {
    return this.outputKindDecision;
  }
  get provider(): string {
    return this.session.provider;
  }

  /** Raw model outputs (count × numClasses) for planar [0,1] pixels. */
  async scores(pixels: Float32Array, count: number): Promise<Float32Array> {
    if (this.scratch.length < pixels.length) this.scratch = new Float32Array(pixels.length);
    const input = pixelsToModelInput(pixels, count, this.preprocessing, this.scratch.subarray(0, pixels.length));
    const out = await this.session.run(this.preprocessing.inputName, this.outputName, input, count, this.sampleShape, this.batchSize);
    const classes = out.dims.slice(1).reduce((a, b) => a * b, 1);
    if (out.dims.length !== 2) {
      throw new EngineError(
        'MODEL_UNSUPPORTED',
        `${this.session.modelLabel}: output "${this.outputName}" has shape [${out.dims.join(',')}]`,
        {
          file: this.session.modelLabel,
          expected: 'a [N, classes] score output',
        },
      );
    }
    checkScoresFinite(out.data, count, classes, this.session.modelLabel, this.outputName);
    if (this.classes === null) this.classes = classes;
    if (!this.outputKindDecision && count > 0) this.outputKindDecision = { ...probeOutputKind(out.data, classes), decidedBy: 'probe' };
    return out.data;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/**
 * NaN or +∞ scores (NaN weights, a diverged export, log of 0 inside the graph) would otherwise rank as
 * an arbitrary class and turn every accuracy and attack figure into noise; −∞ stays allowed (a class a
 * log-probability output rules out).
 */
function checkScoresFinite(data: Float32Array, count: number, classes: number, file: string, output: string): void {
  let bad = 0,
    first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v || v === Infinity) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return;
  const row = Math.floor(first / classes),
    value = data[first];
  throw new EngineError(
    'MODEL_INVALID',
    `${file}: output "${output}" holds ${bad} non-finite score${bad === 1 ? '' : 's'} in a batch of ${count} image${count === 1 ? '' : 's'} (first: image ${row}, class ${first - row * classes} is ${value})`,
    {
      file,
      expected: 'finite class scores',
      hint: 'check the weights for NaN/Inf (e.g. a diverged training run) and ops such as Log or Div that can produce them',
    },
  );
}
