import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { EngineError, errorText } from '../errors';
import { MAX_IMAGE_PIXELS, type Raster, sizeText } from './raster';

/** Native CRC-32 (Node ≥ 20.15); on older runtimes the check is left to pngjs. */
const crc32: ((data: Uint8Array) => number) | undefined = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const MODES: Record<number, string> = { 0: 'gray', 2: 'rgb', 3: 'palette', 4: 'gray+alpha', 6: 'rgba' };

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

/**
 * Decodes a PNG with pngjs. pngjs always hands back RGBA; we keep only the stored colour samples:
 * - gray (1/2/4/8-bit) → 1 channel, 8-bit; low bit depths are scaled exactly (v·255/(2^d−1), an integer);
 * - 16-bit (gray or colour) stays 16-bit (pngjs `skipRescale`), so no precision is lost before v/65535;
 * - palette → 3 channels (entries expanded; an all-gray palette still gives RGB);
 * - alpha (RGBA, gray+alpha, palette or colour-key tRNS) is dropped, NOT composited over any background:
 *   a transparent pixel keeps whatever colour it stores. The tRNS chunk is removed before pngjs sees it
 *   because pngjs would otherwise zero the colour of colour-key-transparent pixels;
 * - gAMA / iCCP / sRGB chunks are ignored: samples are returned as stored, like Pillow does.
 */
export function decodePng(bytes: Uint8Array, file: string): Raster {
  const { header, stripped, idat, badCrc } = readChunks(bytes, file);
  const { width, height, bitDepth, colorType } = header;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new EngineError(
      'IMAGE_INVALID',
      `${file}: image too large (${sizeText(width, height)} = ${mp(width * height)} MP; the limit is ${mp(MAX_IMAGE_PIXELS)} MP)`,
      { file },
    );
  }
  if (badCrc) throw new EngineError('IMAGE_INVALID', badCrc, { file });
  // pngjs's synchronous inflate can miss a zlib error (the error event arrives after it returns) and hand
  // back a blank image; Node's inflateSync throws reliably, so the stream is checked here first.
  try {
    zlib.inflateSync(concat(idat));
  } catch (e) {
    throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG data (${errorText(e)})`, { file, cause: e });
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(stripped.buffer, stripped.byteOffset, stripped.byteLength), { skipRescale: bitDepth === 16 });
  } catch (e) {
    throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG data (${errorText(e)})`, { file, cause: e });
  }
  const gray = colorType === 0 || colorType === 4;
  const channels = gray ? 1 : 3;
  const n = width * height;
  const src = png.data as unknown as Uint8Array | Uint16Array;
  if (src.length < n * 4) {
    throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG data (decoded ${src.length} samples, expected ${n * 4})`, { file });
  }
  const data = bitDepth === 16 ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  for (let i = 0, o = 0; i < n; i++) {
    const p = i * 4;
    data[o++] = src[p];
    if (!gray) {
      data[o++] = src[p + 1];
      data[o++] = src[p + 2];
    }
  }
  return { width, height, channels, bitDepth: bitDepth === 16 ? 16 : 8, data, format: 'png', sourceMode: MODES[colorType] };
}

/** Walks the chunk list: validates structure and IHDR up front (clear errors), and drops tRNS. */
/** `badCrc`: the message for the first chunk whose CRC is wrong (reported after the size check). */
function readChunks(bytes: Uint8Array, file: string): { header: PngHeader; stripped: Uint8Array; idat: Uint8Array[]; badCrc?: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  let header: PngHeader | undefined;
  const idat: Uint8Array[] = [];
  let removed = false;
  let badCrc: string | undefined;
  let pos = 8;
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new EngineError('IMAGE_INVALID', `${file}: truncated PNG (the file ends after ${bytes.length} bytes, before the IEND chunk)`, {
        file,
      });
    }
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    const end = pos + 12 + len;
    if (end > bytes.length) {
      throw new EngineError(
        'IMAGE_INVALID',
        `${file}: truncated PNG (chunk ${JSON.stringify(type)} at byte ${pos} needs ${len} bytes, the file ends at ${bytes.length})`,
        { file },
      );
    }
    // pngjs notices a bad CRC too, but then reports only "unrecognised content at end of stream".
    if (badCrc === undefined && crc32 && crc32(bytes.subarray(pos + 4, end - 4)) !== view.getUint32(end - 4)) {
      badCrc = `${file}: corrupt PNG data (chunk ${JSON.stringify(type)} at byte ${pos} fails its CRC check)`;
    }
    if (header === undefined) {
      if (type !== 'IHDR' || len !== 13)
        throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG (first chunk is not a valid IHDR)`, { file });
      header = { width: view.getUint32(pos + 8), height: view.getUint32(pos + 12), bitDepth: bytes[pos + 16], colorType: bytes[pos + 17] };
      checkHeader(header, file);
    }
    if (type === 'IDAT') idat.push(bytes.subarray(pos + 8, end - 4));
    if (type === 'tRNS') removed = true;
    else keep.push(bytes.subarray(pos, end));
    pos = end;
    if (type === 'IEND') break;
  }
  if (idat.length === 0) throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG (no image data chunk)`, { file });
  return { header, stripped: removed ? concat(keep) : bytes.subarray(0, pos), idat, badCrc };
}

function checkHeader(h: PngHeader, file: string): void {
  const depths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
  if (!(h.colorType in depths) || !depths[h.colorType].includes(h.bitDepth)) {
    throw new EngineError('IMAGE_INVALID', `${file}: corrupt PNG (invalid colour type ${h.colorType} / bit depth ${h.bitDepth})`, { file });
  }
  if (h.width === 0 || h.height === 0)
    throw new EngineError('IMAGE_INVALID', `${file}: PNG has zero size (${sizeText(h.width, h.height)})`, { file });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function mp(pixels: number): string {
  return (pixels / 1e6).toFixed(1);
}
