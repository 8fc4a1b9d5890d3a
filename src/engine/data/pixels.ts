import { EngineError } from '../errors';
import type { Raster } from './raster';
import { resizePlanar, type ResizeFilter } from './resize';

export type { ResizeFilter } from './resize';

/** What a model input needs from an image: size, channel order and how to get to that size. */
export interface PixelSpec {
  height: number;
  width: number;
  channels: 'gray' | 'rgb' | 'bgr';
  /**
   * - stretch: resize to height×width, ignoring aspect ratio;
   * - center-crop: crop the largest centred region with the target aspect ratio, then resize;
   * - shorter-side-crop: resize the shorter side to resizeShorterTo, then centre-crop height×width
   *   (torchvision Resize(int) + CenterCrop);
   * - none: the image must already be height×width.
   */
  resize: 'stretch' | 'center-crop' | 'shorter-side-crop' | 'none';
  filter: ResizeFilter;
  /** For shorter-side-crop; default round(max(height, width) / 0.875), i.e. 256 for 224 (the ImageNet recipe). */
  resizeShorterTo?: number;
}

export function channelCount(spec: Pick<PixelSpec, 'channels'>): 1 | 3 {
  return spec.channels === 'gray' ? 1 : 3;
}

/**
 * Converts a decoded image to planar CHW float32 of exactly spec.height×spec.width, values in [0,1]:
 * a stored sample v becomes v / 255 (8-bit) or v / 65535 (16-bit). Channel conversion happens first,
 * then cropping/resizing on those floats (see resize.ts); bicubic/Lanczos overshoot is clamped back to
 * [0,1] (as Pillow's clip to bytes would). Scaling to [0,255] or mean/std normalisation is the caller's.
 * `file` only serves error messages.
 */
export function rasterToPixels(r: Raster, spec: PixelSpec, file = '<image>'): Float32Array {
  checkSpec(spec);
  const { height: H, width: W } = spec;
  const C = channelCount(spec);
  let out: Float32Array;
  switch (spec.resize) {
    case 'none':
      if (r.width !== W || r.height !== H) {
        throw new EngineError(
          'IMAGE_INVALID',
          `${file}: image is ${r.width}×${r.height} (width×height) but the model input needs exactly ${W}×${H} (resize mode "none")`,
          {
            file,
            expected: `${W}×${H}`,
            hint: 'use a resize mode such as "stretch", "center-crop" or "shorter-side-crop" to accept other sizes',
          },
        );
      }
      out = toPlanar(r, { x: 0, y: 0, w: W, h: H }, spec.channels);
      break;
    case 'stretch':
      out = resizePlanar(toPlanar(r, fullRect(r), spec.channels), C, r.height, r.width, H, W, spec.filter);
      break;
    case 'center-crop': {
      const rect = aspectCropRect(r.width, r.height, W, H);
      out = resizePlanar(toPlanar(r, rect, spec.channels), C, rect.h, rect.w, H, W, spec.filter);
      break;
    }
    case 'shorter-side-crop': {
      const [rw, rh] = shorterSideSize(r.width, r.height, spec.resizeShorterTo ?? defaultShorterSide(spec));
      const resized = resizePlanar(toPlanar(r, fullRect(r), spec.channels), C, r.height, r.width, rh, rw, spec.filter);
      out = cropPlanar(resized, C, rh, rw, { x: pyRound((rw - W) / 2), y: pyRound((rh - H) / 2), w: W, h: H });
      break;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 1 ? 1 : out[i];
  return out;
}

export function defaultShorterSide(spec: Pick<PixelSpec, 'height' | 'width'>): number {
  return Math.round(Math.max(spec.height, spec.width) / 0.875);
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function fullRect(r: Raster): Rect {
  return { x: 0, y: 0, w: r.width, h: r.height };
}

/** Largest centred width×height region with aspect outW:outH; offsets like torchvision's CenterCrop. */
export function aspectCropRect(width: number, height: number, outW: number, outH: number): Rect {
  let w = width,
    h = height;
  if (width * outH > height * outW) w = Math.max(1, Math.min(width, Math.round((height * outW) / outH)));
  else h = Math.max(1, Math.min(height, Math.round((width * outH) / outW)));
  return { x: pyRound((width - w) / 2), y: pyRound((height - h) / 2), w, h };
}

/** torchvision Resize(int): the shorter side becomes `size`, the longer one int(size·long/short) (truncated). */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

/** Python's round(): halves go to the even neighbour, as in torchvision's int(round((in - out) / 2)). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Region `rect` of the raster as planar floats in the requested channel order (see rasterToPixels for scaling). */
function toPlanar(r: Raster, rect: Rect, order: PixelSpec['channels']): Float32Array {
  // Exact scaling, a true division (not a multiply by 1/255, which can be off by an ulp):
  // value = v / 255 for 8-bit samples, v / 65535 for 16-bit samples.
  const max = r.bitDepth === 16 ? 65535 : 255;
  const plane = rect.w * rect.h;
  const src = r.data;
  const sc = r.channels;
  const out = new Float32Array(plane * (order === 'gray' ? 1 : 3));
  // Where each output plane reads from: the source channel index (gray sources are replicated).
  const pick = order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  let o = 0;
  for (let y = 0; y < rect.h; y++) {
    let p = ((rect.y + y) * r.width + rect.x) * sc;
    for (let x = 0; x < rect.w; x++, o++, p += sc) {
      if (sc === 1) {
        const v = src[p] / max;
        out[o] = v;
        if (order !== 'gray') out[o + plane] = out[o + 2 * plane] = v;
      } else if (order === 'gray') {
        // ITU-R 601 luma as Pillow's convert('L'), but kept as a float (Pillow rounds to a byte).
        out[o] = (0.299 * src[p] + 0.587 * src[p + 1] + 0.114 * src[p + 2]) / max;
      } else {
        out[o] = src[p + pick[0]] / max;
        out[o + plane] = src[p + pick[1]] / max;
        out[o + 2 * plane] = src[p + pick[2]] / max;
      }
    }
  }
  return out;
}

function cropPlanar(src: Float32Array, channels: number, h: number, w: number, rect: Rect): Float32Array {
  if (rect.x === 0 && rect.y === 0 && rect.w === w && rect.h === h) return src;
  const out = new Float32Array(channels * rect.w * rect.h);
  let o = 0;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < rect.h; y++) {
      const s = (c * h + rect.y + y) * w + rect.x;
      out.set(src.subarray(s, s + rect.w), o);
      o += rect.w;
    }
  }
  return out;
}

/** Throws CONFIG_INVALID for a spec no image could satisfy (checked once per run, not once per image). */
export function checkSpec(spec: PixelSpec): void {
  const bad = (what: string): never => {
    throw new EngineError('CONFIG_INVALID', `input size: ${what}`);
  };
  for (const k of ['height', 'width'] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] < 1) bad(`${k} must be a positive integer, got ${spec[k]}`);
  }
  if (spec.resize === 'shorter-side-crop' && spec.resizeShorterTo !== undefined) {
    const need = Math.max(spec.height, spec.width);
    if (!Number.isInteger(spec.resizeShorterTo) || spec.resizeShorterTo < need) {
      bad(`resizeShorterTo must be an integer ≥ ${need} (the crop is ${spec.width}×${spec.height}), got ${spec.resizeShorterTo}`);
    }
  }
}
