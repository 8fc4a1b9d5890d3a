import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import { isEngineError } from '../../../src/engine/errors';
import { encodePng, FIXTURES, MNIST, SKIP_NO_MNIST } from './helpers';

const W = 5;
const H = 4; // odd sizes: every Adam7 pass and partial bytes of low bit depths get exercised
const N = W * H;
const ramp = (k: number, mod: number): number[] => Array.from({ length: N * k }, (_, i) => (i * 37 + 11) % mod);

function pngjsWrite(width: number, height: number, rgba: number[], opts: { colorType: 0 | 2 | 4 | 6; bitDepth: 8 | 16 }): Buffer {
  const png = new PNG({ width, height, bitDepth: opts.bitDepth, colorType: opts.colorType, inputColorType: 6, inputHasAlpha: true });
  png.data = opts.bitDepth === 16 ? Buffer.from(new Uint16Array(rgba).buffer) : Buffer.from(rgba);
  return PNG.sync.write(png, { colorType: opts.colorType, inputColorType: 6, bitDepth: opts.bitDepth, inputHasAlpha: true });
}

function assertImageInvalid(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isEngineError(e), `expected an EngineError, got ${String(e)}`);
    assert.equal(e.code, 'IMAGE_INVALID');
    assert.ok(e.message.startsWith(`${file}: `), `message should start with the file: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('PNG gray 8-bit (written by pngjs) decodes to 1 channel with the stored values', () => {
  const g = ramp(1, 256);
  const buf = pngjsWrite(
    W,
    H,
    g.flatMap((v) => [v, v, v, 255]),
    { colorType: 0, bitDepth: 8 },
  );
  const r = decodeImage(buf, 'g8.png');
  assert.deepEqual(
    { ...r, data: undefined },
    { width: W, height: H, channels: 1, bitDepth: 8, data: undefined, format: 'png', sourceMode: 'gray' },
  );
  assert.deepEqual(Array.from(r.data), g);
});

test('PNG gray 16-bit stays 16-bit with exact values', () => {
  const g = ramp(1, 65536).map((v) => (v * 4099) % 65536);
  const buf = pngjsWrite(
    W,
    H,
    g.flatMap((v) => [v, v, v, 65535]),
    { colorType: 0, bitDepth: 16 },
  );
  const r = decodeImage(buf, 'g16.png');
  assert.equal(r.bitDepth, 16);
  assert.ok(r.data instanceof Uint16Array);
  assert.deepEqual(Array.from(r.data), g);
});

test('PNG RGB 8-bit and RGB 16-bit keep the samples', () => {
  const rgb = ramp(3, 256);
  const rgba = Array.from({ length: N }, (_, i) => [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255]).flat();
  const r = decodeImage(pngjsWrite(W, H, rgba, { colorType: 2, bitDepth: 8 }), 'rgb.png');
  assert.equal(r.channels, 3);
  assert.equal(r.sourceMode, 'rgb');
  assert.deepEqual(Array.from(r.data), rgb);

  const rgb16 = rgb.map((v) => v * 257 + 1);
  const raw = encodePng({ width: W, height: H, colorType: 2, bitDepth: 16, samples: rgb16 });
  const r16 = decodeImage(raw, 'rgb16.png');
  assert.equal(r16.bitDepth, 16);
  assert.deepEqual(Array.from(r16.data), rgb16);
});

test('PNG RGBA: alpha is dropped, not composited (transparent pixels keep their colour)', () => {
  const rgba = ramp(4, 256).map((v, i) => (i % 4 === 3 ? (i % 8 === 3 ? 0 : 77) : v));
  const r = decodeImage(pngjsWrite(W, H, rgba, { colorType: 6, bitDepth: 8 }), 'rgba.png');
  assert.equal(r.channels, 3);
  assert.equal(r.sourceMode, 'rgba');
  assert.deepEqual(
    Array.from(r.data),
    rgba.filter((_, i) => i % 4 !== 3),
  );
});

test('PNG gray+alpha decodes to 1 channel, alpha dropped', () => {
  const ga = ramp(2, 256);
  const raw = encodePng({ width: W, height: H, colorType: 4, bitDepth: 8, samples: ga });
  const r = decodeImage(raw, 'ga.png');
  assert.equal(r.sourceMode, 'gray+alpha');
  assert.equal(r.channels, 1);
  assert.deepEqual(
    Array.from(r.data),
    ga.filter((_, i) => i % 2 === 0),
  );
});

test('PNG palette (4-bit, with tRNS) expands to RGB, palette alpha dropped', () => {
  const palette: [number, number, number][] = [
    [10, 20, 30],
    [200, 100, 50],
    [7, 7, 7],
    [255, 0, 128],
    [1, 2, 3],
  ];
  const idx = ramp(1, palette.length);
  const raw = encodePng({ width: W, height: H, colorType: 3, bitDepth: 4, samples: idx, palette, trns: [0, 128, 255] });
  const r = decodeImage(raw, 'pal.png');
  assert.equal(r.sourceMode, 'palette');
  assert.equal(r.channels, 3);
  assert.deepEqual(
    Array.from(r.data),
    idx.flatMap((i) => palette[i]),
  );
});

test("PNG gray with a colour-key tRNS keeps the keyed pixels' value (pngjs alone would zero them)", () => {
  const g = ramp(1, 256);
  const raw = encodePng({ width: W, height: H, colorType: 0, bitDepth: 8, samples: g, trns: [g[3]] });
  assert.deepEqual(Array.from(decodeImage(raw, 'key.png').data), g);
});

test('PNG gray 1/2/4-bit scale exactly to 8-bit; interlaced (Adam7) images decode identically', () => {
  for (const depth of [1, 2, 4, 8, 16] as const) {
    const max = 2 ** depth - 1;
    const g = ramp(1, max + 1);
    const expected = depth === 16 ? g : g.map((v) => (v * 255) / max);
    for (const interlace of [false, true]) {
      const r = decodeImage(encodePng({ width: W, height: H, colorType: 0, bitDepth: depth, samples: g, interlace }), `g${depth}.png`);
      assert.deepEqual(Array.from(r.data), expected, `depth ${depth} interlace ${interlace}`);
    }
  }
  const rgb = ramp(3, 256);
  const r = decodeImage(encodePng({ width: W, height: H, colorType: 2, bitDepth: 8, samples: rgb, interlace: true }), 'i.png');
  assert.deepEqual(Array.from(r.data), rgb);
});

test('format is sniffed from the bytes: a PNG named .jpg decodes as PNG', () => {
  const buf = encodePng({ width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [3, 250] });
  const r = decodeImage(buf, 'photo.jpg');
  assert.equal(r.format, 'png');
  assert.deepEqual(Array.from(r.data), [3, 250]);
});

test('shared MNIST PNG decodes to 28×28×1 8-bit equal to pngjs raw values', { skip: SKIP_NO_MNIST }, () => {
  const file = join(MNIST, '0', '0002.png');
  const bytes = readFileSync(file);
  const r = decodeImage(bytes, file);
  assert.deepEqual([r.width, r.height, r.channels, r.bitDepth, r.sourceMode], [28, 28, 1, 8, 'gray']);
  const raw = PNG.sync.read(bytes);
  const expected = Array.from({ length: 28 * 28 }, (_, i) => raw.data[i * 4]);
  assert.deepEqual(Array.from(r.data), expected);
  assert.ok(expected.some((v) => v > 200) && expected.some((v) => v === 0), 'a digit has ink and background');
});

// ---- JPEG against ImageMagick (libjpeg-turbo) reference pixels, see scripts/make-image-fixtures.ts ----

interface RefFixture {
  file: string;
  note: string;
  width: number;
  height: number;
  channels: 1 | 3;
  reference: string;
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as { fixtures: RefFixture[] };

/**
 * Measured max |jpeg-js − ImageMagick| per sample. Not 0 because jpeg-js's IDCT is a different integer
 * approximation from libjpeg's islow IDCT: gray differs by at most 1; colour by at most 3, since a 1-level
 * Y/Cb/Cr difference is amplified by the conversion (B = Y + 1.772·(Cb−128)). Chroma upsampling and the
 * YCbCr→RGB rounding match libjpeg exactly (jpegColor.ts) — without them 4:2:0 differs by up to 122.
 * CMYK (stored as YCCK) uses jpeg-js's own conversion and differs by at most 2.
 */
const BOUND: Record<string, number> = { gray: 1, ycbcr: 3, ycck: 2 };

for (const f of reference.fixtures) {
  test(`JPEG ${f.file} (${f.note}) matches ImageMagick within the measured bound`, () => {
    const r = decodeImage(readFileSync(join(FIXTURES, f.file)), f.file);
    assert.deepEqual([r.width, r.height, r.channels, r.bitDepth, r.format], [f.width, f.height, f.channels, 8, 'jpeg']);
    const ref = Buffer.from(f.reference, 'base64');
    assert.equal(r.data.length, ref.length);
    let max = 0;
    let sum = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(r.data[i] - ref[i]);
      max = Math.max(max, d);
      sum += d;
    }
    const bound = BOUND[r.sourceMode];
    assert.ok(bound !== undefined, `unexpected source mode ${r.sourceMode}`);
    assert.ok(max <= bound, `${f.file}: max difference ${max} > ${bound}`);
    assert.ok(sum / ref.length < 0.5, `${f.file}: mean difference ${sum / ref.length} too large`);
  });
}

test('JPEG fixture modes: grayscale stays 1 channel, progressive and CMYK/YCCK are recognised', () => {
  const mode = (file: string): string => decodeImage(readFileSync(join(FIXTURES, file)), file).sourceMode;
  assert.equal(mode('gray-baseline.jpg'), 'gray');
  assert.equal(mode('gray-progressive.jpg'), 'gray');
  assert.equal(mode('rgb-420-progressive.jpg'), 'ycbcr');
  assert.equal(mode('cmyk.jpg'), 'ycck');
});

test('a JPEG encoded by jpeg-js round-trips close to its source (RGB from YCbCr)', () => {
  const w = 16,
    h = 16;
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([100 + (i % 16) * 4, 50, 200 - (i >> 4) * 4, 255], i * 4);
  const enc = jpeg.encode({ width: w, height: h, data }, 95).data;
  const r = decodeImage(enc, 'enc.jpg');
  let max = 0;
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(r.data[i * 3 + c] - data[i * 4 + c]));
  assert.ok(max <= 6, `round trip differs by ${max}`);
});

// ---- failures ----

test('zero-byte, non-image, truncated and corrupt files fail with IMAGE_INVALID naming the file', () => {
  const png = encodePng({ width: W, height: H, colorType: 2, bitDepth: 8, samples: ramp(3, 256) });
  const jpg = readFileSync(join(FIXTURES, 'rgb-420-baseline.jpg'));
  assertImageInvalid(() => decodeImage(new Uint8Array(0), 'empty.png'), 'empty.png', /empty file/);
  assertImageInvalid(() => decodeImage(Buffer.from('hello, world'), 'text.png'), 'text.png', /not a PNG or JPEG/);
  assertImageInvalid(() => decodeImage(png.subarray(0, png.length - 20), 'cut.png'), 'cut.png', /truncated PNG/);
  assertImageInvalid(() => decodeImage(png.subarray(0, 30), 'cut2.png'), 'cut2.png', /truncated PNG/);
  assertImageInvalid(() => decodeImage(jpg.subarray(0, Math.floor(jpg.length * 0.7)), 'cut.jpg'), 'cut.jpg', /truncated JPEG/);
  assertImageInvalid(() => decodeImage(jpg.subarray(0, 100), 'head.jpg'), 'head.jpg', /truncated JPEG/);

  const badCrc = Buffer.from(png);
  badCrc[44] ^= 0xff; // inside the IDAT data (IDAT starts at byte 33)
  assertImageInvalid(() => decodeImage(badCrc, 'crc.png'), 'crc.png', /corrupt PNG data/);

  // Garbage in the middle of the entropy-coded data: an 0xFF 0x?? pair is an invalid marker.
  const badScan = Buffer.from(jpg);
  const sos = badScan.indexOf(Buffer.from([0xff, 0xda]));
  badScan.fill(0xff, sos + 40, sos + 41);
  badScan[sos + 41] = 0x99;
  assertImageInvalid(() => decodeImage(badScan, 'bad.jpg'), 'bad.jpg', /corrupt JPEG/);
});

test('a JPEG claiming a huge size fails clearly before any large allocation', () => {
  const jpg = Buffer.from(readFileSync(join(FIXTURES, 'gray-baseline.jpg')));
  const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
  jpg.writeUInt16BE(60000, sof + 5); // height
  jpg.writeUInt16BE(60000, sof + 7); // width
  assertImageInvalid(() => decodeImage(jpg, 'huge.jpg'), 'huge.jpg', /too large \(60000×60000 = 3600\.0 MP; the limit is 50 MP\)/);
  const png = encodePng({ width: 1, height: 1, colorType: 0, bitDepth: 8, samples: [0] });
  png.writeUInt32BE(100000, 16);
  png.writeUInt32BE(100000, 20);
  assertImageInvalid(() => decodeImage(png, 'huge.png'), 'huge.png', /too large/);
});

test('a YCbCr JPEG with an Adobe marker (transform 1, as Photoshop writes) decodes like the same file without it', () => {
  const plain = readFileSync(join(FIXTURES, 'rgb-420-baseline.jpg'));
  const app14 = Buffer.from([0xff, 0xee, 0x00, 0x0e, ...Buffer.from('Adobe'), 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01]);
  const withAdobe = Buffer.concat([plain.subarray(0, 2), app14, plain.subarray(2)]);
  const a = decodeImage(plain, 'plain.jpg');
  const b = decodeImage(withAdobe, 'adobe.jpg');
  assert.equal(b.sourceMode, 'ycbcr');
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  assert.equal(withAdobe[2 + 4 + 11], 0x01, "the caller's bytes are not modified");
});
