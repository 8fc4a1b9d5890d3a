/** Command-line flags → config overrides, validated with the same schema as robustness.json. */
import { validateConfig, type ConfigFile } from '../engine/config/configFile';
import { EngineError } from '../engine/errors';
import { resolveShard, type Shard } from '../engine/shard/shard';

export interface CommonFlags {
  config?: string;
  images?: string;
  labels?: string;
  'class-names'?: string;
  input?: string;
  layout?: string;
  size?: string;
  channels?: string;
  'pixel-scale'?: string;
  mean?: string;
  std?: string;
  resize?: string;
  filter?: string;
  ep?: string;
  'ep-strict'?: boolean;
  threads?: string;
  batch?: string;
  limit?: string;
  seed?: string;
}

export const COMMON_FLAG_SPEC = {
  config: { type: 'string' },
  images: { type: 'string' },
  labels: { type: 'string' },
  'class-names': { type: 'string' },
  input: { type: 'string' },
  layout: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  'pixel-scale': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  resize: { type: 'string' },
  filter: { type: 'string' },
  ep: { type: 'string' },
  'ep-strict': { type: 'boolean' },
  threads: { type: 'string' },
  batch: { type: 'string' },
  limit: { type: 'string' },
  seed: { type: 'string' },
} as const;

function numberList(flag: string, text: string): number[] {
  const values = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const nums = values.map(Number);
  if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) {
    throw new EngineError('USAGE', `--${flag} ${text}: expected comma-separated numbers, e.g. --${flag} 0.485,0.456,0.406`);
  }
  return nums;
}

function integer(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new EngineError('USAGE', `--${flag} ${text}: expected a whole number`);
  return n;
}

export function overridesFromFlags(f: CommonFlags): ConfigFile {
  const input: NonNullable<ConfigFile['input']> = {};
  if (f.input !== undefined) input.name = f.input;
  if (f.layout !== undefined) input.layout = f.layout as never;
  if (f.size !== undefined) {
    const dims = numberList('size', f.size);
    input.size = (dims.length === 1 ? dims[0] : dims) as never;
  }
  if (f.channels !== undefined) input.channels = f.channels as never;
  if (f['pixel-scale'] !== undefined) input.pixelScale = Number(f['pixel-scale']) as never;
  if (f.mean !== undefined) input.mean = numberList('mean', f.mean);
  if (f.std !== undefined) input.std = numberList('std', f.std);
  if (f.resize !== undefined) input.resize = f.resize as never;
  if (f.filter !== undefined) input.resizeFilter = f.filter as never;
  const runtime: NonNullable<ConfigFile['runtime']> = {};
  if (f.ep !== undefined) runtime.executionProvider = f.ep as never;
  if (f['ep-strict']) runtime.strictProvider = true;
  if (f.threads !== undefined) runtime.threads = integer('threads', f.threads);
  if (f.batch !== undefined) runtime.batchSize = integer('batch', f.batch);
  const cfg: ConfigFile = {};
  if (f.images !== undefined) cfg.images = f.images;
  if (f.labels !== undefined) cfg.labels = f.labels;
  if (f['class-names'] !== undefined) cfg.classNames = f['class-names'].split(',').map((s) => s.trim());
  if (Object.keys(input).length) cfg.input = input;
  if (Object.keys(runtime).length) cfg.runtime = runtime;
  if (f.limit !== undefined) cfg.limit = integer('limit', f.limit);
  if (f.seed !== undefined) cfg.seed = integer('seed', f.seed);
  // Same schema as the file: flag values are checked by it, and its field names are shown as flags.
  try {
    return validateConfig(cfg, 'command-line flags');
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    const message = e.message.replace(
      /^(\s*- )([\w.]+?)(\.\d+)?:/gm,
      (_m, lead: string, field: string) => `${lead}${FIELD_TO_FLAG[field] ?? field}:`,
    );
    throw new EngineError('USAGE', message.replace('configuration does not match its schema', 'invalid value'));
  }
}

const FIELD_TO_FLAG: Record<string, string> = {
  'input.name': '--input',
  'input.layout': '--layout',
  'input.size': '--size',
  'input.channels': '--channels',
  'input.pixelScale': '--pixel-scale',
  'input.mean': '--mean',
  'input.std': '--std',
  'input.resize': '--resize',
  'input.resizeFilter': '--filter',
  'runtime.executionProvider': '--ep',
  'runtime.strictProvider': '--ep-strict',
  'runtime.threads': '--threads',
  'runtime.batchSize': '--batch',
  limit: '--limit',
  seed: '--seed',
  classNames: '--class-names',
  images: '--images',
  labels: '--labels',
};

/** `--shard i/n` (eval, attack, analyse): else the scheduler's array index (Kubernetes Indexed Job, Slurm array), if set. */
export const SHARD_FLAG_SPEC = { shard: { type: 'string' } } as const;

export function shardRequest(flag: unknown, env: NodeJS.ProcessEnv = process.env): { shard?: Shard } {
  const shard = resolveShard(typeof flag === 'string' ? flag : undefined, env);
  return shard ? { shard } : {};
}

/** Commands that do not shard yet: a clear refusal instead of parseArgs' "unknown option". */
export function refuseShard(flag: unknown, command: string): void {
  if (flag !== undefined)
    throw new EngineError('USAGE', `--shard: ${command} does not shard yet (eval, attack and analyse do)`, {
      hint: 'run it unsharded, or shard the run with robustness-lens analyse --shard i/n and merge',
    });
}
