/** Gradient builders for a prepared job: the model, its resolved preprocessing and its output. */
import type { PreparedModel } from '../jobs/prepare';
import type { OutputKind } from '../eval/scores';
import { EngineError } from '../errors';
import { ClassifierGradientBuilder, type PixelFilter } from './classifierGradient';

export async function gradientBuilderFor(
  prepared: PreparedModel,
  outputKind: OutputKind,
  numClasses?: number,
  pixelFilter?: PixelFilter,
): Promise<ClassifierGradientBuilder> {
  const { info, config, model } = prepared;
  const classes = numClasses ?? info.output.numClasses;
  if (classes === null) {
    throw new EngineError(
      'MODEL_UNSUPPORTED',
      `${model.path}: the number of classes of output "${info.output.name}" is not fixed in the model`,
      { file: model.path },
    );
  }
  const candidate = info.imageInputs.find((c) => c.name === config.preprocessing.inputName);
  return ClassifierGradientBuilder.create({
    model: model.proto,
    label: model.path,
    preprocessing: config.preprocessing,
    outputName: info.output.name,
    outputKind,
    numClasses: classes,
    fixedBatch: candidate && typeof candidate.batch === 'number' ? candidate.batch : null,
    ...(pixelFilter ? { pixelFilter } : {}),
  });
}
