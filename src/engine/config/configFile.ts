/**
 * robustness.json: finding it, reading it, validating it against the schema shipped in schemas/
 * (the same file VS Code uses through contributes.jsonValidation, so editor and engine agree).
 */
import { dirname, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import schema from '../../../schemas/robustness.schema.json';
import { EngineError } from '../errors';
import { readTextFile } from '../util/readText';

export { CONFIG_FILE_NAME, findConfigFile, findSharedConfigFile, perModelConfigName, perModelConfigPath } from './configLocator';

export type Layout = 'NCHW' | 'NHWC' | 'NHW' | 'flat';
export type ChannelOrder = 'gray' | 'rgb' | 'bgr';
export type ResizeMode = 'stretch' | 'center-crop' | 'shorter-side-crop' | 'none';
export type ResizeFilterName = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos' | 'area';
export type ExecutionProviderName = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

/** The file as written by a user (every field optional). Mirrors schemas/robustness.schema.json. */
export interface ConfigFile {
  images?: string;
  labels?: string;
  classNames?: string[];
  input?: {
    name?: string;
    layout?: Layout;
    size?: number | [number, number];
    channels?: ChannelOrder;
    pixelScale?: 1 | 255;
    mean?: number[];
    std?: number[];
    resize?: ResizeMode;
    resizeFilter?: ResizeFilterName;
    resizeShorterTo?: number;
  };
  runtime?: {
    executionProvider?: ExecutionProviderName;
    /** A named provider that cannot run is an error instead of a fallback to CPU. */
    strictProvider?: boolean;
    threads?: number;
    batchSize?: number;
  };
  limit?: number;
  seed?: number;
  /** `check`'s CI gates: metric name → comparison such as ">= 0.90" (src/engine/gates/). Not a run setting. */
  gates?: Record<string, string>;
}

export interface LoadedConfigFile {
  path: string;
  /** Folder that relative paths in the file are resolved against. */
  dir: string;
  config: ConfigFile;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile<ConfigFile>(schema);

/** Validates a parsed config object; throws CONFIG_INVALID pointing at the offending field. */
export function validateConfig(value: unknown, file: string): ConfigFile {
  if (validateSchema(value)) return value;
  const problems = (validateSchema.errors ?? []).map((e) => describeSchemaError(e));
  throw new EngineError(
    'CONFIG_INVALID',
    `${file}: configuration does not match its schema:\n  - ${[...new Set(problems)].join('\n  - ')}`,
    {
      file,
      expected: 'a robustness.json valid against schemas/robustness.schema.json',
    },
  );
}

function describeSchemaError(e: ErrorObject): string {
  const field = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${field}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${field}: ${e.message ?? e.keyword}`;
  }
}

export function readConfigFile(path: string): LoadedConfigFile {
  const abs = resolve(path);
  const text = readTextFile(abs, 'configuration file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new EngineError('CONFIG_INVALID', `${abs}: not valid JSON (${(e as Error).message})`, { file: abs });
  }
  return { path: abs, dir: dirname(abs), config: validateConfig(parsed, abs) };
}
