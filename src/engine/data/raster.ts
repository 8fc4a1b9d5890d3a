/**
 * A decoded image exactly as stored in the file: no colour management, no gamma, no alpha compositing.
 * Everything after decoding (channel conversion, resizing, scaling) works from this one shape.
 */
export interface Raster {
  width: number;
  height: number;
  /** 1 for grayscale sources, 3 for everything else (alpha is dropped, never composited). */
  channels: 1 | 3;
  bitDepth: 8 | 16;
  /** Interleaved HWC samples, `channels` per pixel; Uint16Array exactly when bitDepth is 16. */
  data: Uint8Array | Uint16Array;
  format: 'png' | 'jpeg';
  /**
   * The colour model the file used: PNG 'gray', 'gray+alpha', 'rgb', 'rgba', 'palette';
   * JPEG 'gray', 'ycbcr' (the usual colour JPEG), 'rgb' (Adobe, no transform), 'cmyk', 'ycck'.
   */
  sourceMode: string;
}

/**
 * Largest image we decode, in pixels. The engine only ever needs a model-sized input (e.g. 224×224), and
 * a 50 MP RGB image already takes ~600 MB as float32 — beyond this a file is almost surely a mistake.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

export function sizeText(width: number, height: number): string {
  return `${width}×${height}`;
}
