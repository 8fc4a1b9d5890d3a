/**
 * Reading a .onnx file from disk: bytes, sha256, decoded proto, node inputs checked to be provided, and
 * external data files resolved and checked up front (so a missing initializer or a missing/short weights
 * file is reported before anything runs).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { runFloat16InFloat32 } from './float16';
import { checkNodeInputsProvided } from './graphWiring';
import {
  type GraphProto,
  type ModelProto,
  type TensorProto,
  DataLocation,
  dataTypeSize,
  decodeModel,
  encodeModel,
  tensorElementCount,
} from './onnxProto';

export interface LoadedModel {
  path: string;
  sizeBytes: number;
  /** Hex sha256 of the .onnx file bytes (external data files not included). */
  sha256: string;
  proto: ModelProto;
  /** Absolute paths of external data files, sorted, each once. */
  externalDataFiles: string[];
  /**
   * Set when the graph was rewritten at load (a float16 model run in float32, see float16.ts): what
   * onnxruntime must run instead of the file, and the note that says so.
   */
  rewritten?: { bytes: Uint8Array; note: string };
}

export async function loadModel(file: string): Promise<LoadedModel> {
  const abs = path.resolve(file);
  let buf: Buffer;
  try {
    buf = await readFile(abs);
  } catch (e) {
    throw fileError(abs, e, 'model');
  }
  // A plain Uint8Array view, so tensor raw_data views are Uint8Arrays rather than Buffers.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const proto = decodeModel(bytes, abs);
  checkNodeInputsProvided(proto.graph, abs);
  const externalDataFiles = await resolveExternalData(proto, abs);
  const float16 = runFloat16InFloat32(proto, abs);
  return {
    path: abs,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    proto,
    externalDataFiles,
    ...(float16 ? { rewritten: { bytes: encodeModel(proto), note: float16 } } : {}),
  };
}

function fileError(file: string, e: unknown, what: string): EngineError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new EngineError('FILE_NOT_FOUND', `${file}: ${what} file not found`, { file, cause: e });
  }
  const why =
    code === 'EISDIR'
      ? 'is a directory, not a file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ERR_FS_FILE_TOO_LARGE'
          ? 'larger than 2 GiB; store the weights as ONNX external data'
          : ((e as Error)?.message ?? String(e));
  return new EngineError('FILE_UNREADABLE', `${file}: cannot read ${what} file: ${why}`, { file, cause: e });
}

/** Every tensor of a graph, including Constant/attribute tensors and subgraphs (they can be external too). */
function* allTensors(g: GraphProto): Generator<TensorProto> {
  yield* g.initializer;
  for (const n of g.node) {
    for (const a of n.attribute) {
      if (a.t) yield a.t;
      if (a.tensors) yield* a.tensors;
      if (a.g) yield* allTensors(a.g);
      for (const sg of a.graphs ?? []) yield* allTensors(sg);
    }
  }
}

/** Attaches an ExternalDataSource to every external tensor after checking its file and byte range. */
async function resolveExternalData(proto: ModelProto, modelPath: string): Promise<string[]> {
  const dir = path.dirname(modelPath);
  const sizes = new Map<string, number>();
  const fail = (code: 'MODEL_INVALID' | 'FILE_NOT_FOUND' | 'FILE_UNREADABLE', t: TensorProto, why: string, cause?: unknown) =>
    new EngineError(code, `${modelPath}: tensor '${t.name}' stores its data externally, but ${why}`, { file: modelPath, cause });

  for (const t of allTensors(proto.graph)) {
    if (t.dataLocation !== DataLocation.EXTERNAL) continue;
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) throw fail('MODEL_INVALID', t, 'its external_data has no "location" entry');
    // Like the ONNX checker: external files must live inside the model's folder.
    const file = path.resolve(dir, location);
    const rel = path.relative(dir, file);
    if (path.isAbsolute(location) || rel === '..' || rel.startsWith(`..${path.sep}`)) {
      throw fail('MODEL_INVALID', t, `its location '${location}' is outside the model's folder ${dir}`);
    }
    const offset = parseCount(kv.get('offset'), 0);
    const explicitLength = parseCount(kv.get('length'), -1);
    if (offset < 0 || explicitLength < -1 || Number.isNaN(offset + explicitLength)) {
      throw fail('MODEL_INVALID', t, `its offset/length ('${kv.get('offset')}', '${kv.get('length')}') are not byte counts`);
    }
    let size = sizes.get(file);
    if (size === undefined) {
      try {
        const st = await stat(file);
        if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
        size = st.size;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR')
          throw fail('FILE_NOT_FOUND', t, `its data file '${location}' (${file}) does not exist`, e);
        throw fail('FILE_UNREADABLE', t, `its data file '${location}' (${file}) cannot be read: ${(e as Error).message}`, e);
      }
      sizes.set(file, size);
    }
    const elemSize = dataTypeSize(t.dataType);
    const needed = elemSize === undefined ? undefined : Math.ceil(tensorElementCount(t) * elemSize);
    const length = explicitLength >= 0 ? explicitLength : (needed ?? size - offset);
    if (offset + length > size) {
      throw fail(
        'MODEL_INVALID',
        t,
        `its data file '${location}' (${file}) has ${size} bytes, fewer than offset ${offset} + length ${length}`,
      );
    }
    if (needed !== undefined && length !== needed) {
      throw fail('MODEL_INVALID', t, `its external length ${length} bytes does not match dims [${t.dims.join(',')}] (${needed} bytes)`);
    }
    t.externalSource = { file, offset, length, read: () => readRange(file, offset, length) };
  }
  return [...sizes.keys()].sort();
}

function parseCount(s: string | undefined, dflt: number): number {
  if (s === undefined || s === '') return dflt;
  return /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
}

/** Synchronous on purpose: tensor readers are synchronous, and this runs once per tensor on demand. */
function readRange(file: string, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw fileError(file, e, 'external data');
  }
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0)
        throw new EngineError(
          'FILE_UNREADABLE',
          `${file}: external data file shrank: wanted ${length} bytes at offset ${offset}, got ${done}`,
          { file },
        );
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
