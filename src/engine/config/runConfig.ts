/**
 * The configuration a run actually uses: model-inferred defaults, overridden by robustness.json,
 * overridden by command-line flags. Every field remembers where it came from, so reports can say
 * "inferred" instead of silently guessing.
 */
import { resolve } from 'node:path';
import { EngineError } from '../errors';
import type { ImageInputCandidate, ModelInfo, TensorSig } from '../onnx/modelInfo';
import type { ChannelOrder, ConfigFile, ExecutionProviderName, Layout, LoadedConfigFile, ResizeFilterName, ResizeMode } from './configFile';
import { readLabelsSource } from './labelsSource';
import { inferClassOrder, type ClassOrder } from './classOrder';
import { channelCount, defaultShorterSide } from '../data/pixels';
import { CALL_PIXELS, DEFAULT_BATCH_SIZE, defaultBatchSize } from '../runtime/callSize';

export type Provenance = 'flag' | 'config' | 'inferred' | 'default';

export interface Preprocessing {
  inputName: string;
  layout: Layout;
  height: number;
  width: number;
  channels: ChannelOrder;
  /** 1: pixels fed as byte/255 in [0,1]; 255: fed in [0,255]. */
  pixelScale: 1 | 255;
  /** Per-channel (x − mean)/std in pixelScale units, applied after scaling; null = none. */
  mean: number[] | null;
  std: number[] | null;
  resize: ResizeMode;
  resizeFilter: ResizeFilterName;
  resizeShorterTo: number | null;
}

export interface RunConfig {
  modelPath: string;
  configFile: string | null;
  imagesDir: string | null;
  /** Per-image labels for a flat folder (CSV/JSON). */
  labelsFile: string | null;
  classNames: string[] | null;
  /** Where the mapping from class names (folders) to model outputs came from. */
  classOrder: ClassOrder;
  preprocessing: Preprocessing;
  /** strictProvider is present only when true, so the configuration hash of other runs stays as it was. */
  runtime: { executionProvider: ExecutionProviderName; strictProvider?: true; threads: number; batchSize: number };
  limit: number | null;
  seed: number;
  /** Where each setting came from, keyed by its dotted name. */
  provenance: Record<string, Provenance>;
  /** Sentences saying what was inferred and why. */
  notes: string[];
}

/** Command-line overrides: same shape as the file, paths relative to the working directory. */
export type ConfigOverrides = ConfigFile;

export const DEFAULT_SEED = 0;

export function resolveRunConfig(
  modelPath: string,
  info: ModelInfo,
  file: LoadedConfigFile | null,
  flags: ConfigOverrides = {},
  cwd: string = process.cwd(),
): RunConfig {
  const provenance: Record<string, Provenance> = {};
  const notes: string[] = [];
  const fileCfg = file?.config ?? {};

  /** flag > config file > fallback, recording which one won. */
  function pick<T>(
    key: string,
    fromFlag: T | undefined,
    fromFile: T | undefined,
    fallback: () => { value: T; how: Provenance; note?: string },
  ): T {
    if (fromFlag !== undefined) {
      provenance[key] = 'flag';
      return fromFlag;
    }
    if (fromFile !== undefined) {
      provenance[key] = 'config';
      return fromFile;
    }
    const f = fallback();
    provenance[key] = f.how;
    if (f.note) notes.push(f.note);
    return f.value;
  }
  const pathFromFlag = (p: string | undefined) => (p === undefined ? undefined : resolve(cwd, p));
  const pathFromFile = (p: string | undefined) => (p === undefined || !file ? undefined : resolve(file.dir, p));

  // Which input receives the images.
  const requestedName = flags.input?.name ?? fileCfg.input?.name;
  const candidate = chooseImageInput(modelPath, info, requestedName);
  const inputName = pick('input.name', flags.input?.name, fileCfg.input?.name, () => ({
    value: candidate.name,
    how: 'inferred',
    note: `input "${candidate.name}" is the model's only image-like input`,
  }));

  const layout = pick<Layout>('input.layout', flags.input?.layout, fileCfg.input?.layout, () => ({
    value: candidate.layout,
    how: 'inferred',
    note: `layout ${candidate.layout}: ${candidate.reason}`,
  }));

  const size = pick<number | [number, number] | undefined>('input.size', flags.input?.size, fileCfg.input?.size, () =>
    candidate.height > 0 && candidate.width > 0
      ? {
          value: [candidate.height, candidate.width],
          how: 'inferred',
          note: `size ${candidate.height}×${candidate.width} from the input shape`,
        }
      : { value: undefined, how: 'inferred' },
  );
  if (size === undefined) {
    throw new EngineError(
      'CONFIG_INVALID',
      `${modelPath}: input "${inputName}" has symbolic spatial dimensions, so the image size cannot be inferred`,
      {
        file: modelPath,
        expected: 'an explicit size',
        hint: 'give --size H or --size H,W, or "input": {"size": [H, W]} in robustness.json',
      },
    );
  }
  const [height, width] = typeof size === 'number' ? [size, size] : size;

  const channels = pick<ChannelOrder>('input.channels', flags.input?.channels, fileCfg.input?.channels, () =>
    candidate.channels === 1
      ? { value: 'gray', how: 'inferred', note: 'channels: 1 channel → grayscale' }
      : {
          value: 'rgb',
          how: 'inferred',
          note: `channels: ${candidate.channels} channels → RGB order assumed (set "channels": "bgr" for Caffe/OpenCV-trained models)`,
        },
  );

  const pixelScale = pick<1 | 255>('input.pixelScale', flags.input?.pixelScale, fileCfg.input?.pixelScale, () => ({
    value: 1,
    how: 'default',
    note: 'pixel scale: byte/255 in [0,1] assumed (set "pixelScale": 255 for models trained on raw bytes)',
  }));
  const numChannels = channelCount({ channels });
  const mean = pick<number[] | null>('input.mean', flags.input?.mean, fileCfg.input?.mean, () => ({ value: null, how: 'default' }));
  const std = pick<number[] | null>('input.std', flags.input?.std, fileCfg.input?.std, () => ({ value: null, how: 'default' }));
  if (mean === null && std === null)
    notes.push('no mean/std normalisation (give --mean/--std if the model was trained on normalised inputs)');

  const resizeMode = pick<ResizeMode>('input.resize', flags.input?.resize, fileCfg.input?.resize, () => ({
    value: 'stretch',
    how: 'default',
  }));
  const resizeFilter = pick<ResizeFilterName>('input.resizeFilter', flags.input?.resizeFilter, fileCfg.input?.resizeFilter, () => ({
    value: 'bilinear',
    how: 'default',
  }));
  const resizeShorterTo = pick<number | null>(
    'input.resizeShorterTo',
    flags.input?.resizeShorterTo,
    fileCfg.input?.resizeShorterTo,
    () => ({
      value: resizeMode === 'shorter-side-crop' ? defaultShorterSide({ height, width }) : null,
      how: 'default',
    }),
  );

  const preprocessing: Preprocessing = {
    inputName,
    layout,
    height,
    width,
    channels,
    pixelScale,
    mean: mean === null ? null : broadcastPerChannel(mean, numChannels, 'mean', modelPath),
    std: std === null ? null : broadcastPerChannel(std, numChannels, 'std', modelPath),
    resize: resizeMode,
    resizeFilter,
    resizeShorterTo,
  };
  checkAgainstInput(
    modelPath,
    info.inputs.find((i) => i.name === inputName)!,
    preprocessing,
  );

  const imagesDir = pick<string | null>('images', pathFromFlag(flags.images), pathFromFile(fileCfg.images), () => ({
    value: null,
    how: 'default',
  }));

  // Labels: a class-names list or per-image labels, told apart by content.
  let classNames = pick<string[] | null>('classNames', flags.classNames, fileCfg.classNames, () => ({ value: null, how: 'default' }));
  let labelsFile: string | null = null;
  let classNamesFile: string | null = null;
  const labelsPath = pathFromFlag(flags.labels) ?? pathFromFile(fileCfg.labels);
  if (labelsPath) {
    provenance.labels = flags.labels !== undefined ? 'flag' : 'config';
    const source = readLabelsSource(labelsPath);
    if (source.kind === 'class-names') {
      if (flags.classNames === undefined) {
        classNames = source.classNames;
        classNamesFile = labelsPath;
        provenance.classNames = provenance.labels;
      }
    } else labelsFile = labelsPath;
  }
  const numClasses = info.output.numClasses;
  let classOrder: ClassOrder;
  if (classNames) {
    classOrder = classNamesFile
      ? { source: 'labels-file', description: `class names from ${classNamesFile}` }
      : provenance.classNames === 'flag'
        ? { source: 'flag', description: 'class names given by --class-names' }
        : { source: 'config', description: `"classNames" in ${file?.path ?? 'the configuration'}` };
  } else if (labelsFile) {
    classOrder = { source: 'per-image-labels', description: `per-image labels in ${labelsFile}` };
  } else {
    // Nothing configures the order: the model's own metadata names if they fit the folders, else ImageFolder's sorted order.
    const inferred = inferClassOrder(imagesDir, info.metadata, numClasses);
    classOrder = inferred.order;
    if (inferred.classNames) {
      classNames = inferred.classNames;
      provenance.classNames = 'inferred';
    }
    if (classOrder.source !== 'unknown' && classOrder.source !== 'per-image-labels') notes.push(`class order: ${classOrder.description}`);
  }
  if (classNames && numClasses !== null && classNames.length !== numClasses) {
    throw new EngineError(
      'LABELS_MISMATCH',
      `${modelPath}: ${classNames.length} class names are configured but the model outputs ${numClasses} scores`,
      {
        file: modelPath,
        expected: `${numClasses} class names in logit order`,
      },
    );
  }

  const executionProvider = pick<ExecutionProviderName>(
    'runtime.executionProvider',
    flags.runtime?.executionProvider,
    fileCfg.runtime?.executionProvider,
    () => ({ value: 'cpu', how: 'default' }),
  );
  const threads = pick('runtime.threads', flags.runtime?.threads, fileCfg.runtime?.threads, defaultThreads);
  const pixelsPerImage = channelCount(preprocessing) * preprocessing.height * preprocessing.width;
  const batchSize = pick('runtime.batchSize', flags.runtime?.batchSize, fileCfg.runtime?.batchSize, () => {
    const value = defaultBatchSize(pixelsPerImage);
    return value < DEFAULT_BATCH_SIZE
      ? {
          value,
          how: 'default',
          note: `batch size ${value}: the default for ${preprocessing.height}×${preprocessing.width}×${channelCount(preprocessing)} inputs (at most ${CALL_PIXELS.toLocaleString('en-US')} pixel values per model call: larger batches of large images run slower per image on a CPU and hold more memory; --batch sets it)`,
        }
      : { value, how: 'default' };
  });
  const limit = pick<number | null>('limit', flags.limit, fileCfg.limit, () => ({ value: null, how: 'default' }));
  const seed = pick('seed', flags.seed, fileCfg.seed, () => ({ value: DEFAULT_SEED, how: 'default' }));

  return {
    modelPath: resolve(modelPath),
    configFile: file?.path ?? null,
    imagesDir,
    labelsFile,
    classNames,
    classOrder,
    preprocessing,
    runtime: {
      executionProvider,
      ...((flags.runtime?.strictProvider ?? fileCfg.runtime?.strictProvider) ? { strictProvider: true as const } : {}),
      threads,
      batchSize,
    },
    limit,
    seed,
    provenance,
    notes,
  };
}

function chooseImageInput(modelPath: string, info: ModelInfo, requested: string | undefined): ImageInputCandidate {
  const inputList = info.inputs.map((i) => describeSig(i)).join(', ');
  if (requested !== undefined) {
    const sig = info.inputs.find((i) => i.name === requested);
    if (!sig) {
      throw new EngineError('INPUT_NOT_FOUND', `${modelPath}: the model has no input named "${requested}"; its inputs are ${inputList}`, {
        file: modelPath,
      });
    }
    const found = info.imageInputs.find((c) => c.name === requested);
    if (!found) {
      throw new EngineError('MODEL_UNSUPPORTED', `${modelPath}: input ${describeSig(sig)} does not look like an image`, {
        file: modelPath,
        expected: 'a float tensor [N,C,H,W], [N,H,W,C], [N,H,W] or a flattened [N,H·W·C]',
      });
    }
    return found;
  }
  if (info.imageInputs.length === 1) return info.imageInputs[0];
  if (info.imageInputs.length === 0) {
    throw new EngineError('MODEL_UNSUPPORTED', `${modelPath}: no input looks like an image (inputs: ${inputList || 'none'})`, {
      file: modelPath,
      expected: 'a float tensor [N,C,H,W], [N,H,W,C], [N,H,W] or a flattened [N,H·W·C] with C = 1 or 3',
    });
  }
  throw new EngineError(
    'INPUT_AMBIGUOUS',
    `${modelPath}: several inputs look like images: ${info.imageInputs.map((c) => `"${c.name}"`).join(', ')}`,
    {
      file: modelPath,
      hint: `pick one with --input NAME, or "input": {"name": "${info.imageInputs[0].name}"} in robustness.json`,
    },
  );
}

function describeSig(s: TensorSig): string {
  return `"${s.name}" ${s.elemType}[${s.shape ? s.shape.map((d) => d ?? '?').join(',') : '?'}]`;
}

function broadcastPerChannel(values: number[], channels: number, field: string, modelPath: string): number[] {
  if (values.length === channels) return values;
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  throw new EngineError(
    'CONFIG_INVALID',
    `${modelPath}: input.${field} has ${values.length} values but the model is fed ${channels} channel(s)`,
    {
      expected: `1 or ${channels} values`,
    },
  );
}

/** The per-sample shape the preprocessing produces, in the model's layout (without batch). */
export function sampleShape(p: Preprocessing): number[] {
  const c = channelCount(p);
  switch (p.layout) {
    case 'NCHW':
      return [c, p.height, p.width];
    case 'NHWC':
      return [p.height, p.width, c];
    case 'NHW':
      return [p.height, p.width];
    case 'flat':
      return [c * p.height * p.width];
  }
}

function checkAgainstInput(modelPath: string, sig: TensorSig, p: Preprocessing): void {
  if (p.layout === 'NHW' && p.channels !== 'gray') {
    throw new EngineError(
      'CONFIG_INVALID',
      `${modelPath}: layout NHW has no channel axis, so channels must be "gray" (got "${p.channels}")`,
    );
  }
  const expected = sampleShape(p);
  const dims = sig.shape;
  if (!dims) return;
  const actual = dims.slice(1);
  const mismatch = actual.length !== expected.length || actual.some((d, i) => typeof d === 'number' && d !== expected[i]);
  if (mismatch) {
    throw new EngineError(
      'CONFIG_INVALID',
      `${modelPath}: input "${sig.name}" has shape [${dims.map((d) => d ?? '?').join(',')}] but the preprocessing (layout ${p.layout}, ${p.channels}, ${p.height}×${p.width}) produces [N,${expected.join(',')}]`,
      { file: modelPath, expected: `[N,${expected.join(',')}]`, hint: 'check --layout, --size and channels' },
    );
  }
}

/**
 * Intra-op threads when nothing configures them: onnxruntime's default (0 = one per core), or the engine
 * process's default from ROBUSTNESS_LENS_DEFAULT_THREADS — the extension sets it to leave one core to the
 * editor, so a running analysis does not make VS Code stutter.
 */
function defaultThreads(): { value: number; how: Provenance; note?: string } {
  const env = process.env.ROBUSTNESS_LENS_DEFAULT_THREADS;
  const n = env === undefined ? NaN : Number(env);
  if (Number.isInteger(n) && n >= 1 && n <= 256)
    return { value: n, how: 'default', note: `${n} intra-op thread(s): the editor keeps a core while the engine runs` };
  return { value: 0, how: 'default' };
}
