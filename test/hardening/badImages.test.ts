/**
 * Issue #7, bad images: what decodeImage (+ rasterToPixels for the ones that decode) makes of every image
 * case of the corpus, read from disk under its odd name.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, type Raster } from '../../src/engine/data/decodeImage';
import { rasterToPixels } from '../../src/engine/data/pixels';
import { EngineError } from '../../src/engine/errors';
import { cmykToRgb } from '../fixtures/bad/cmykJpeg';
import { IMAGE_CASES } from '../fixtures/bad/corpus';
import { CMYK_BLOCKS } from '../fixtures/bad/images';

type Expect = { error: RegExp } | { check: (r: Raster, file: string) => void };

const shape = (r: Raster) => ({
  width: r.width,
  height: r.height,
  channels: r.channels,
  bitDepth: r.bitDepth,
  format: r.format,
  sourceMode: r.sourceMode,
});

const EXPECT: Record<string, Expect> = {
  'i-zero-byte': { error: /empty\.png: empty file \(0 bytes\)$/ },
  'i-png-signature-only': { error: /sig\.png: truncated PNG \(the file ends after 8 bytes, before the IEND chunk\)$/ },
  'i-png-truncated': { error: /cut\.png: truncated PNG \(chunk "IDAT" at byte 33 needs \d+ bytes, the file ends at \d+\)$/ },
  'i-jpeg-truncated-header': { error: /cut-head\.jpg: truncated JPEG \(segment at byte \d+ needs \d+ bytes, the file ends at 40\)$/ },
  'i-jpeg-truncated-scan': { error: /cut-scan\.jpg: truncated JPEG \(no end-of-image marker: the file was probably cut short\)$/ },
  'i-png-named-jpg': {
    check: (r, f) => {
      assert.deepEqual(shape(r), { width: 8, height: 8, channels: 1, bitDepth: 8, format: 'png', sourceMode: 'gray' });
      // Pixel (x, y) was stored as 16x + y.
      const px = rasterToPixels(r, { height: 8, width: 8, channels: 'gray', resize: 'none', filter: 'bilinear' }, f);
      assert.equal(px[3 * 8 + 5], Math.fround((16 * 5 + 3) / 255));
    },
  },
  'i-jpeg-named-png': {
    check: (r) => assert.deepEqual(shape(r), { width: 16, height: 16, channels: 3, bitDepth: 8, format: 'jpeg', sourceMode: 'ycbcr' }),
  },
  'i-text-named-png': { error: /notes\.png: not a PNG or JPEG file \(starts with bytes 6e 6f 74 20 61 6e 20 69\)$/ },
  'i-png-16bit-gray': {
    check: (r, f) => {
      assert.deepEqual(shape(r), { width: 2, height: 2, channels: 1, bitDepth: 16, format: 'png', sourceMode: 'gray' });
      const px = rasterToPixels(r, { height: 2, width: 2, channels: 'gray', resize: 'none', filter: 'bilinear' }, f);
      assert.deepEqual(
        Array.from(px),
        [1000, 16_000, 31_000, 46_000].map((v) => Math.fround(v / 65535)),
      );
    },
  },
  'i-png-16bit-rgb': {
    check: (r, f) => {
      assert.deepEqual(shape(r), { width: 2, height: 1, channels: 3, bitDepth: 16, format: 'png', sourceMode: 'rgb' });
      const px = rasterToPixels(r, { height: 1, width: 2, channels: 'rgb', resize: 'none', filter: 'bilinear' }, f);
      // Planar R, G, B of pixels (1000, 16000, 31000) and (46000, 65535, 0).
      assert.deepEqual(
        Array.from(px),
        [1000, 46_000, 16_000, 65_535, 31_000, 0].map((v) => Math.fround(v / 65535)),
      );
    },
  },
  'i-cmyk-jpeg': {
    check: (r) => {
      assert.deepEqual(shape(r), { width: 16, height: 8, channels: 3, bitDepth: 8, format: 'jpeg', sourceMode: 'cmyk' });
      CMYK_BLOCKS.forEach((block, b) => {
        for (const [x, y] of [
          [8 * b, 0],
          [8 * b + 7, 7],
        ])
          assert.deepEqual(Array.from(r.data.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3)), cmykToRgb(block));
      });
    },
  },
  'i-cmyk-no-adobe': { error: /cmyk-bare\.jpg: 4-component \(CMYK\) JPEG without an Adobe marker is not supported$/ },
  'i-png-1x1': {
    check: (r, f) => {
      assert.deepEqual(shape(r), { width: 1, height: 1, channels: 1, bitDepth: 8, format: 'png', sourceMode: 'gray' });
      // Stretched to 28×28 RGB: every sample is the one stored level.
      const px = rasterToPixels(r, { height: 28, width: 28, channels: 'rgb', resize: 'stretch', filter: 'bicubic' }, f);
      assert.equal(px.length, 3 * 28 * 28);
      assert.ok(px.every((v) => v === Math.fround(51 / 255)));
    },
  },
  'i-jpeg-1x1': {
    check: (r, f) => {
      assert.deepEqual(shape(r), { width: 1, height: 1, channels: 3, bitDepth: 8, format: 'jpeg', sourceMode: 'ycbcr' });
      const px = rasterToPixels(r, { height: 4, width: 4, channels: 'rgb', resize: 'center-crop', filter: 'bilinear' }, f);
      for (let c = 0; c < 3; c++) assert.ok(px.subarray(16 * c, 16 * c + 16).every((v) => v === Math.fround(r.data[c] / 255)));
    },
  },
  'i-png-10000': { error: /huge\.png: image too large \(10000×10000 = 100\.0 MP; the limit is 50\.0 MP\)$/ },
  'i-jpeg-10000': { error: /huge\.jpg: image too large \(10000×10000 = 100\.0 MP; the limit is 50 MP\)$/ },
  'i-png-zero-size': { error: /zero\.png: PNG has zero size \(0×0\)$/ },
  // Was "corrupt PNG data (unrecognised content at end of stream)" before decodePng checked CRCs itself.
  'i-png-bad-crc': { error: /crc\.png: corrupt PNG data \(chunk "IHDR" at byte 8 fails its CRC check\)$/ },
  'i-png-corrupt-data': { error: /zlib\.png: corrupt PNG data \(.+\)$/ },
  'i-jpeg-12bit': { error: /12bit\.jpg: 12-bit JPEG is not supported \(only 8-bit samples\)$/ },
  'i-jpeg-arithmetic': {
    error: /arith\.jpg: arithmetic-coded or hierarchical JPEG \(SOF9\) is not supported; re-save it as a baseline or progressive JPEG$/,
  },
  'i-jpeg-lossless': { error: /lossless\.jpg: lossless JPEG \(SOF3\) is not supported; re-save it as a baseline or progressive JPEG$/ },
  'i-jpeg-2-components': { error: /two\.jpg: JPEG with 2 colour components is not supported \(expected 1, 3 or 4\)$/ },
};

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rl-bad-images-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('every image case of the corpus has an expected outcome here', () => {
  assert.deepEqual(Object.keys(EXPECT).sort(), IMAGE_CASES.map((c) => c.id).sort());
});

for (const c of IMAGE_CASES) {
  const want = EXPECT[c.id];
  test(`${c.id} (${c.what}): ${'error' in want ? 'IMAGE_INVALID' : 'decodes'}`, () => {
    const file = join(root, c.file);
    writeFileSync(file, c.bytes());
    const bytes = readFileSync(file);
    if ('error' in want) {
      assert.throws(
        () => decodeImage(bytes, file),
        (e: unknown) => {
          assert.ok(e instanceof EngineError, String(e));
          assert.equal(e.code, 'IMAGE_INVALID');
          assert.ok(e.message.startsWith(file), e.message);
          assert.match(e.message, want.error);
          return true;
        },
      );
    } else {
      want.check(decodeImage(bytes, file), file);
    }
  });
}
