import jpeg from 'jpeg-js';
import { EngineError, errorText } from '../errors';
import { type Sampling, ycbcrToRgbLibjpeg } from './jpegColor';
import { MAX_IMAGE_PIXELS, type Raster, sizeText } from './raster';

/** What the headers say, read by us before jpeg-js runs: jpeg-js reports neither component count nor colour model. */
interface JpegHeader {
  width: number;
  height: number;
  precision: number;
  sof: number;
  componentIds: number[];
  sampling: Sampling[];
  /** Adobe APP14 transform flag (0 = none/CMYK/RGB, 1 = YCbCr, 2 = YCCK), undefined without the marker. */
  adobeTransform: number | undefined;
  /** Byte offset of that flag in the file. */
  adobeTransformAt: number | undefined;
}

/**
 * Decodes a baseline / extended / progressive 8-bit Huffman JPEG with jpeg-js (pure JS: identical on every
 * platform). What we return:
 * - grayscale (1 component) → 1 channel;
 * - YCbCr → RGB: jpeg-js hands us the raw components and jpegColor.ts reconstructs colour the way
 *   libjpeg-turbo does (fancy chroma upsampling, rounded fixed-point BT.601), so results match
 *   Pillow/OpenCV up to jpeg-js's slightly different IDCT (a level or two; see the decoder tests);
 * - Adobe RGB-without-transform JPEGs → RGB as stored;
 * - CMYK / YCCK (need an Adobe APP14 marker, as Photoshop writes them) → jpeg-js's conversion: with the
 *   stored (Adobe-inverted) samples c, k it is R = c·k/255, i.e. (255−C)(255−K)/255 in ink amounts,
 *   truncated; no ICC profile. Matches ImageMagick within 2 levels on our fixture;
 * - an ICC profile or EXIF orientation is ignored (pixels as stored).
 */
export function decodeJpeg(bytes: Uint8Array, file: string): Raster {
  const h = readHeader(bytes, file);
  const n = h.componentIds.length;
  let sourceMode: string;
  let input = bytes;
  if (n === 1) sourceMode = 'gray';
  else if (n === 3) {
    // libjpeg's rules: Adobe transform 0, or components named 'R','G','B' without a marker, mean plain RGB.
    const rgbIds = h.componentIds.join() === '82,71,66';
    const plainRgb = h.adobeTransform === 0 || (h.adobeTransform === undefined && rgbIds);
    sourceMode = plainRgb ? 'rgb' : 'ycbcr';
    // We want jpeg-js's raw components (colour is rebuilt below, as libjpeg does it), but jpeg-js
    // converts regardless of its colorTransform option when an Adobe marker says YCbCr: clear that flag
    // in a copy of the bytes.
    if (h.adobeTransformAt !== undefined && h.adobeTransform !== 0) {
      input = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
      input[h.adobeTransformAt] = 0;
    }
  } else if (n === 4) {
    if (h.adobeTransform === undefined) {
      throw new EngineError('IMAGE_INVALID', `${file}: 4-component (CMYK) JPEG without an Adobe marker is not supported`, { file });
    }
    sourceMode = h.adobeTransform === 0 ? 'cmyk' : 'ycck'; // jpeg-js's reading of the flag
  } else {
    throw new EngineError('IMAGE_INVALID', `${file}: JPEG with ${n} colour components is not supported (expected 1, 3 or 4)`, { file });
  }

  let rgb: Uint8Array;
  try {
    rgb = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: n === 3 ? false : undefined,
      // Strict: a damaged scan is an error, not an image with grey blocks.
      tolerantDecoding: false,
      // Backstops to our own size check, so a huge or hostile file fails instead of exhausting memory.
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 1024,
    }).data;
  } catch (e) {
    const msg = errorText(e);
    const reason = /maxMemoryUsageInMB|maxResolutionInMP|allocate/.test(msg)
      ? `image too large to decode (${msg})`
      : `corrupt JPEG data (${msg})`;
    throw new EngineError('IMAGE_INVALID', `${file}: ${reason}`, { file, cause: e });
  }
  const pixels = h.width * h.height;
  if (rgb.length !== pixels * 3) {
    throw new EngineError('IMAGE_INVALID', `${file}: corrupt JPEG data (decoded ${rgb.length} bytes, expected ${pixels * 3})`, { file });
  }
  if (sourceMode === 'ycbcr') rgb = ycbcrToRgbLibjpeg(rgb, h.width, h.height, h.sampling);
  if (n !== 1) return { width: h.width, height: h.height, channels: 3, bitDepth: 8, data: rgb, format: 'jpeg', sourceMode };
  const gray = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) gray[i] = rgb[i * 3];
  return { width: h.width, height: h.height, channels: 1, bitDepth: 8, data: gray, format: 'jpeg', sourceMode };
}

/** Reads the marker segments up to the first scan, and checks that an end-of-image marker follows. */
function readHeader(bytes: Uint8Array, file: string): JpegHeader {
  const bad = (what: string): never => {
    throw new EngineError('IMAGE_INVALID', `${file}: ${what}`, { file });
  };
  const u16 = (p: number): number => (bytes[p] << 8) | bytes[p + 1];
  let frame: Omit<JpegHeader, 'adobeTransform' | 'adobeTransformAt'> | undefined;
  let adobeTransform: number | undefined;
  let adobeTransformAt: number | undefined;
  let pos = 2;
  for (;;) {
    if (pos + 4 > bytes.length) bad(`truncated JPEG (the file ends after ${bytes.length} bytes, before any image data)`);
    if (bytes[pos] !== 0xff) bad(`corrupt JPEG (expected a marker at byte ${pos})`);
    while (bytes[pos] === 0xff && pos < bytes.length) pos++; // fill bytes
    const marker = bytes[pos++];
    if (marker === 0xd9) bad('corrupt JPEG (end-of-image marker before any image data)');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // standalone markers
    const len = u16(pos);
    if (len < 2) bad(`corrupt JPEG (segment length ${len} at byte ${pos})`);
    if (pos + len > bytes.length) bad(`truncated JPEG (segment at byte ${pos} needs ${len} bytes, the file ends at ${bytes.length})`);
    const seg = bytes.subarray(pos + 2, pos + len);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (seg.length < 6) bad('corrupt JPEG (short frame header)');
      const ncomp = seg[5];
      if (seg.length < 6 + 3 * ncomp) bad('corrupt JPEG (short frame header)');
      frame = {
        precision: seg[0],
        height: (seg[1] << 8) | seg[2],
        width: (seg[3] << 8) | seg[4],
        sof: marker,
        componentIds: Array.from({ length: ncomp }, (_, i) => seg[6 + 3 * i]),
        sampling: Array.from({ length: ncomp }, (_, i) => ({ h: seg[7 + 3 * i] >> 4, v: seg[7 + 3 * i] & 15 })),
      };
    } else if (marker === 0xee && seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') {
      adobeTransform = seg[11];
      adobeTransformAt = pos + 2 + 11;
    } else if (marker === 0xda) {
      break;
    }
    pos += len;
  }
  if (!frame) return bad('corrupt JPEG (image data before the frame header)');
  if (frame.sof > 0xc2) {
    const kind =
      frame.sof === 0xc3 || frame.sof === 0xc7 || frame.sof === 0xcb || frame.sof === 0xcf
        ? 'lossless'
        : 'arithmetic-coded or hierarchical';
    bad(`${kind} JPEG (SOF${frame.sof - 0xc0}) is not supported; re-save it as a baseline or progressive JPEG`);
  }
  if (frame.precision !== 8) bad(`${frame.precision}-bit JPEG is not supported (only 8-bit samples)`);
  if (frame.width === 0 || frame.height === 0) bad(`JPEG has zero size (${sizeText(frame.width, frame.height)})`);
  if (frame.width * frame.height > MAX_IMAGE_PIXELS) {
    bad(
      `image too large (${sizeText(frame.width, frame.height)} = ${((frame.width * frame.height) / 1e6).toFixed(1)} MP; the limit is ${MAX_IMAGE_PIXELS / 1e6} MP)`,
    );
  }
  // Entropy-coded data never contains FF D9 (0xFF is always stuffed), so a missing EOI means a cut-off file.
  if (lastIndexOfEoi(bytes, pos) < 0) bad('truncated JPEG (no end-of-image marker: the file was probably cut short)');
  return { ...frame, adobeTransform, adobeTransformAt };
}

function lastIndexOfEoi(bytes: Uint8Array, from: number): number {
  for (let i = bytes.length - 2; i >= from; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return i;
  return -1;
}
