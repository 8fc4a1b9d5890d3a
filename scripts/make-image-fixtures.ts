/**
 * Regenerates test/fixtures/images/: small JPEGs written by ImageMagick, plus reference.json holding the
 * pixels ImageMagick (libjpeg-turbo) decodes them to, so the jpeg-js decoder can be checked against an
 * independent decoder without ImageMagick being installed when tests run.
 *
 *   apt-get install -y imagemagick
 *   npx tsx scripts/make-image-fixtures.ts        (CONVERT=/path/to/convert to pick the binary)
 *
 * Every input is synthetic and seeded, so reruns give the same source images; the JPEG bytes depend on the
 * ImageMagick/libjpeg version, which is recorded in reference.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { Rng } from '../src/engine/util/random';

const CONVERT = process.env.CONVERT ?? 'convert';
const OUT = resolve(__dirname, '../test/fixtures/images');
const W = 37; // not a multiple of 8/16: exercises partial MCUs at the right and bottom edges
const H = 29;

interface Fixture {
  file: string;
  args: string[];
  /** ImageMagick raw output format for the reference: gray or rgb. */
  raw: 'gray' | 'rgb';
  note: string;
}

const FIXTURES: Fixture[] = [
  {
    file: 'gray-baseline.jpg',
    args: ['-colorspace', 'Gray', '-type', 'Grayscale', '-quality', '90', '-interlace', 'none'],
    raw: 'gray',
    note: 'baseline, 1 component',
  },
  {
    file: 'rgb-420-baseline.jpg',
    args: ['-sampling-factor', '2x2,1x1,1x1', '-quality', '85', '-interlace', 'none'],
    raw: 'rgb',
    note: 'baseline YCbCr, 4:2:0 chroma',
  },
  {
    file: 'rgb-422-baseline.jpg',
    args: ['-sampling-factor', '2x1,1x1,1x1', '-quality', '85', '-interlace', 'none'],
    raw: 'rgb',
    note: 'baseline YCbCr, 4:2:2 chroma',
  },
  {
    file: 'rgb-440-baseline.jpg',
    args: ['-sampling-factor', '1x2,1x1,1x1', '-quality', '85', '-interlace', 'none'],
    raw: 'rgb',
    note: 'baseline YCbCr, 4:4:0 chroma',
  },
  {
    file: 'rgb-444-baseline.jpg',
    args: ['-sampling-factor', '1x1,1x1,1x1', '-quality', '85', '-interlace', 'none'],
    raw: 'rgb',
    note: 'baseline YCbCr, no chroma subsampling',
  },
  {
    file: 'rgb-420-progressive.jpg',
    args: ['-sampling-factor', '2x2,1x1,1x1', '-quality', '85', '-interlace', 'Plane'],
    raw: 'rgb',
    note: 'progressive YCbCr, 4:2:0 chroma',
  },
  {
    file: 'gray-progressive.jpg',
    args: ['-colorspace', 'Gray', '-type', 'Grayscale', '-quality', '80', '-interlace', 'Plane'],
    raw: 'gray',
    note: 'progressive, 1 component',
  },
  {
    file: 'cmyk.jpg',
    args: ['-colorspace', 'CMYK', '-quality', '95', '-interlace', 'none'],
    raw: 'rgb',
    note: 'Adobe CMYK, 4 components (libjpeg stores it as YCCK)',
  },
];

/** A smooth colour field with hard-edged shapes and a little noise: edges stress chroma upsampling. */
function sourcePng(): Buffer {
  const rng = new Rng(20240611);
  const png = new PNG({ width: W, height: H });
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = (255 * x) / (W - 1);
      let g = (255 * y) / (H - 1);
      let b = 128 + 100 * Math.sin(x / 4 + y / 6);
      if (x >= 5 && x < 15 && y >= 4 && y < 12) [r, g, b] = [230, 20, 30];
      if ((x - 26) ** 2 + (y - 18) ** 2 < 36) [r, g, b] = [20, 40, 220];
      const n = (rng.next() - 0.5) * 16;
      const i = (y * W + x) * 4;
      png.data[i] = clamp(r + n);
      png.data[i + 1] = clamp(g + n);
      png.data[i + 2] = clamp(b + n);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function main(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'rl-fixtures-'));
  try {
    mkdirSync(OUT, { recursive: true });
    const src = join(tmp, 'source.png');
    writeFileSync(src, sourcePng());
    const version = execFileSync(CONVERT, ['-version']).toString().split('\n')[0];
    const entries = FIXTURES.map((f) => {
      const out = join(OUT, f.file);
      execFileSync(CONVERT, [src, '-strip', ...f.args, out]);
      const decode = (extra: string[]): string =>
        execFileSync(CONVERT, [...extra, out, ...(f.raw === 'rgb' ? ['-colorspace', 'sRGB'] : []), '-depth', '8', `${f.raw}:-`]).toString(
          'base64',
        );
      return {
        file: f.file,
        note: f.note,
        width: W,
        height: H,
        channels: f.raw === 'gray' ? 1 : 3,
        bytes: readFileSync(out).length,
        // libjpeg defaults (fancy chroma upsampling, islow IDCT), as any ImageMagick/PIL user would see
        reference: decode([]),
        // the same without fancy upsampling: jpeg-js replicates chroma, so this isolates the IDCT/rounding part
        referenceNoFancyUpsampling: decode(['-define', 'jpeg:fancy-upsampling=off']),
      };
    });
    const doc = {
      about:
        'Pixels ImageMagick decodes each fixture to: base64 of interleaved 8-bit samples (HWC). Written by scripts/make-image-fixtures.ts.',
      imagemagick: version,
      fixtures: entries,
    };
    writeFileSync(join(OUT, 'reference.json'), JSON.stringify(doc, null, 2) + '\n');
    console.log(`wrote ${entries.length} fixtures to ${OUT} (${version})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
