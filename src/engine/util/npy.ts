/**
 * NumPy's .npy format (version 1.0/2.0/3.0), little-endian float32/float64, C order: what `np.save` writes and
 * `np.load` reads, so gradients computed here can be used in PyTorch/NumPy code and references from there
 * can be compared here. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { EngineError } from '../errors';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyArray {
  dtype: '<f4' | '<f8';
  shape: number[];
  data: Float32Array | Float64Array;
}

/** A version 1.0 .npy of a float32 array; the header is padded so the data starts on a 64-byte boundary. */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpy: shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('encodeNpy: header too long for version 1.0');
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; // major
  out[7] = 0; // minor
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], true);
  return out;
}

/** Reads a .npy holding a little-endian float32 or float64 array in C order; anything else is refused by name. */
export function decodeNpy(bytes: Uint8Array, file: string): NpyArray {
  const bad = (what: string, expected = 'a .npy file written by numpy.save of a float32 or float64 array') =>
    new EngineError('FILE_INVALID', `${file}: ${what}`, { file, expected });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number, start: number;
  if (major === 1) [headerLength, start] = [view.getUint16(8, true), 10];
  else if (major === 2 || major === 3) [headerLength, start] = [view.getUint32(8, true), 12];
  else throw bad(`.npy format version ${major} is not supported`);
  if (start + headerLength > bytes.length) throw bad('the header runs past the end of the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(`unreadable header ${JSON.stringify(header.trim())}`);
  if (descr !== '<f4' && descr !== '<f8') throw bad(`dtype ${descr} is not supported`, 'float32 (<f4) or float64 (<f8), little-endian');
  if (fortran === 'True') throw bad('the array is in Fortran order', 'a C-order array (numpy.ascontiguousarray before saving)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText}) is not a tuple of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = descr === '<f4' ? 4 : 8;
  const offset = start + headerLength;
  if (bytes.length - offset !== count * itemSize)
    throw bad(`shape (${shape.join(', ')}) needs ${count * itemSize} bytes of data, the file holds ${bytes.length - offset}`);
  const body = new DataView(bytes.buffer, bytes.byteOffset + offset, count * itemSize);
  const data = descr === '<f4' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = itemSize === 4 ? body.getFloat32(i * 4, true) : body.getFloat64(i * 8, true);
  return { dtype: descr, shape, data };
}
