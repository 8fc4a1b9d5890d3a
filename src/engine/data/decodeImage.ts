import { EngineError } from '../errors';
import { decodeJpeg } from './decodeJpeg';
import { decodePng, PNG_SIGNATURE } from './decodePng';
import type { Raster } from './raster';

export type { Raster } from './raster';

/** Which decoder the bytes call for. The extension is not consulted: a PNG named .jpg is still a PNG. */
export function sniffFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Decodes PNG or JPEG bytes to a Raster (see decodePng / decodeJpeg for what each colour model becomes).
 * Every failure is an EngineError('IMAGE_INVALID') whose message starts with `file`.
 */
export function decodeImage(bytes: Uint8Array, file: string): Raster {
  if (bytes.length === 0) throw new EngineError('IMAGE_INVALID', `${file}: empty file (0 bytes)`, { file });
  const format = sniffFormat(bytes);
  if (format === 'png') return decodePng(bytes, file);
  if (format === 'jpeg') return decodeJpeg(bytes, file);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new EngineError('IMAGE_INVALID', `${file}: not a PNG or JPEG file (starts with bytes ${head})`, {
    file,
    expected: 'a PNG (89 50 4E 47 …) or JPEG (FF D8 FF …) file',
  });
}
