import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aspectCropRect,
  defaultShorterSide,
  type PixelSpec,
  pyRound,
  rasterToPixels,
  shorterSideSize,
} from '../../../src/engine/data/pixels';
import type { Raster } from '../../../src/engine/data/raster';
import { isEngineError } from '../../../src/engine/errors';

function raster(
  width: number,
  height: number,
  channels: 1 | 3,
  fn: (x: number, y: number, c: number) => number,
  bitDepth: 8 | 16 = 8,
): Raster {
  const data = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = fn(x, y, c);
  return { width, height, channels, bitDepth, data, format: 'png', sourceMode: channels === 1 ? 'gray' : 'rgb' };
}

const spec = (s: Partial<PixelSpec>): PixelSpec => ({ height: 2, width: 3, channels: 'rgb', resize: 'none', filter: 'bilinear', ...s });
const f32 = (xs: number[]): number[] => xs.map((x) => Math.fround(x));

test('8-bit samples become exactly v/255 and 16-bit samples v/65535, planar CHW', () => {
  const r = raster(3, 2, 3, (x, y, c) => x * 80 + y * 7 + c * 3);
  const out = rasterToPixels(r, spec({}));
  const expected: number[] = [];
  for (let c = 0; c < 3; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expected.push((x * 80 + y * 7 + c * 3) / 255);
  assert.deepEqual(Array.from(out), f32(expected));

  const r16 = raster(3, 2, 1, (x, y) => x * 20000 + y * 333, 16);
  const out16 = rasterToPixels(r16, spec({ channels: 'gray' }));
  assert.deepEqual(Array.from(out16), f32([0, 20000, 40000, 333, 20333, 40333].map((v) => v / 65535)));
  assert.equal(
    rasterToPixels(
      raster(1, 1, 1, () => 255),
      spec({ height: 1, width: 1, channels: 'gray' }),
    )[0],
    1,
  );
});

test('gray from RGB uses ITU-R 601 luma without rounding; gray → rgb replicates; bgr swaps', () => {
  const rgb = raster(3, 2, 3, (x, y, c) => [200, 10, 90][c] - x * 30 + y * 5);
  const gray = rasterToPixels(rgb, spec({ channels: 'gray' }));
  for (let i = 0; i < 6; i++) {
    const [R, G, B] = [0, 1, 2].map((c) => rgb.data[i * 3 + c]);
    assert.equal(gray[i], Math.fround((0.299 * R + 0.587 * G + 0.114 * B) / 255));
    // within half a level of Pillow's rounded convert('L')
    assert.ok(Math.abs(gray[i] * 255 - Math.round(0.299 * R + 0.587 * G + 0.114 * B)) <= 0.5);
  }
  const g = raster(3, 2, 1, (x, y) => 10 * x + 100 * y);
  const asRgb = rasterToPixels(g, spec({}));
  assert.deepEqual(Array.from(asRgb.subarray(0, 6)), Array.from(asRgb.subarray(6, 12)));
  assert.deepEqual(Array.from(asRgb.subarray(0, 6)), Array.from(asRgb.subarray(12, 18)));
  const rgbOut = rasterToPixels(rgb, spec({}));
  const bgrOut = rasterToPixels(rgb, spec({ channels: 'bgr' }));
  assert.deepEqual(Array.from(bgrOut.subarray(0, 6)), Array.from(rgbOut.subarray(12, 18)));
  assert.deepEqual(Array.from(bgrOut.subarray(6, 12)), Array.from(rgbOut.subarray(6, 12)));
  assert.deepEqual(Array.from(bgrOut.subarray(12, 18)), Array.from(rgbOut.subarray(0, 6)));
});

test("resize 'none' needs the exact size and names the file, its size and the expected size", () => {
  const r = raster(4, 2, 1, () => 0);
  assert.throws(
    () => rasterToPixels(r, spec({ channels: 'gray' }), '/data/cat.png'),
    (e) => {
      assert.ok(isEngineError(e));
      assert.equal(e.code, 'IMAGE_INVALID');
      assert.match(e.message, /^\/data\/cat\.png: image is 4×2 .* needs exactly 3×2/);
      return true;
    },
  );
});

test("'stretch' resizes to exactly H×W regardless of aspect ratio", () => {
  const r = raster(8, 2, 1, (x) => (x < 4 ? 0 : 255));
  const out = rasterToPixels(r, spec({ channels: 'gray', resize: 'stretch', height: 4, width: 2, filter: 'area' }));
  assert.deepEqual(Array.from(out), [0, 1, 0, 1, 0, 1, 0, 1]);
});

test("'center-crop' takes the largest centred region with the target aspect, offsets rounded half-to-even", () => {
  assert.deepEqual(aspectCropRect(7, 4, 2, 2), { x: 2, y: 0, w: 4, h: 4 }); // (7-4)/2 = 1.5 → 2
  assert.deepEqual(aspectCropRect(9, 4, 2, 2), { x: 2, y: 0, w: 4, h: 4 }); // 2.5 → 2
  assert.deepEqual(aspectCropRect(4, 10, 2, 1), { x: 0, y: 4, w: 4, h: 2 });
  assert.deepEqual(aspectCropRect(500, 375, 224, 224), { x: 62, y: 0, w: 375, h: 375 }); // 62.5 → 62
  // 7×4, values = column index · 10: the crop keeps columns 2..5, then a 2× area downscale averages pairs
  const r = raster(7, 4, 1, (x) => x * 10);
  const out = rasterToPixels(r, spec({ channels: 'gray', resize: 'center-crop', height: 2, width: 2, filter: 'area' }));
  assert.deepEqual(Array.from(out), f32([25, 45, 25, 45].map((v) => v / 255)));
});

test("'shorter-side-crop' is torchvision Resize(int) + CenterCrop", () => {
  assert.equal(defaultShorterSide({ height: 224, width: 224 }), 256);
  assert.deepEqual(shorterSideSize(500, 375, 256), [341, 256]); // int(256·500/375) = int(341.33)
  assert.deepEqual(shorterSideSize(375, 500, 256), [256, 341]);
  assert.deepEqual([pyRound(0.5), pyRound(1.5), pyRound(2.5), pyRound(58.5), pyRound(2.4), pyRound(2.6)], [0, 2, 2, 58, 2, 3]);
  // A 300×256 image already has a 256 shorter side: no resampling, only the centre crop at
  // x = round((300-224)/2) = 38, y = round((256-224)/2) = 16.
  const r = raster(300, 256, 1, (x, y) => (x + 3 * y) % 256);
  const out = rasterToPixels(r, spec({ channels: 'gray', resize: 'shorter-side-crop', height: 224, width: 224, filter: 'bicubic' }));
  assert.equal(out.length, 224 * 224);
  for (const [x, y] of [
    [0, 0],
    [223, 0],
    [0, 223],
    [100, 57],
    [223, 223],
  ]) {
    assert.equal(out[y * 224 + x], Math.fround(((x + 38 + 3 * (y + 16)) % 256) / 255), `(${x},${y})`);
  }
  // explicit resizeShorterTo smaller than the crop is a configuration error
  assert.throws(
    () => rasterToPixels(r, spec({ resize: 'shorter-side-crop', height: 224, width: 224, resizeShorterTo: 200 })),
    /resizeShorterTo must be an integer ≥ 224/,
  );
});

test('output is clamped to [0,1] where bicubic / lanczos overshoot', () => {
  const r = raster(6, 1, 1, (x) => (x < 3 ? 0 : 255));
  for (const filter of ['bicubic', 'lanczos'] as const) {
    const out = rasterToPixels(r, spec({ channels: 'gray', resize: 'stretch', height: 1, width: 17, filter }));
    assert.ok(
      out.every((v) => v >= 0 && v <= 1),
      filter,
    );
    assert.equal(out[0], 0);
    assert.equal(out[16], 1);
  }
});

test('invalid sizes are configuration errors, raised before any image work', () => {
  const r = raster(2, 2, 1, () => 0);
  assert.throws(
    () => rasterToPixels(r, spec({ height: 0 })),
    (e) => isEngineError(e) && e.code === 'CONFIG_INVALID',
  );
  assert.throws(
    () => rasterToPixels(r, spec({ width: 2.5 })),
    (e) => isEngineError(e) && e.code === 'CONFIG_INVALID',
  );
});
