/** Test helpers for the image side: temp folders, a tiny PNG writer for what pngjs cannot write, shared data. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
export const MNIST = join(SHARED, 'datasets', 'mnist-test');
export const SKIP_NO_MNIST = existsSync(MNIST) ? false : `${MNIST} not found: tests on the shared MNIST images are skipped`;
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'images');

/** A fresh temp folder under os.tmpdir(); remove it with the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-data-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` (relative path → bytes or text) under `root`, creating folders. */
export function writeTree(root: string, files: Record<string, Uint8Array | string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const full = join(root, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** An 8-bit gray PNG via pngjs whose pixels are all `value` (tests use the value to tell files apart). */
export function grayPng(width: number, height: number, value: number | ((x: number, y: number) => number)): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = typeof value === 'number' ? value : value(x, y);
      const i = (y * width + x) * 4;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 0, inputColorType: 6, bitDepth: 8 });
}

export interface RawPng {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples row-major, channel-interleaved, as stored (palette indices for colour type 3). */
  samples: number[];
  palette?: [number, number, number][];
  trns?: number[];
  interlace?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** A minimal PNG encoder (filter 0, optional Adam7): pngjs cannot write palette, low bit depths or interlacing. */
export function encodePng(p: RawPng): Buffer {
  const ch = CHANNELS[p.colorType];
  const rowOf = (xs: number[], y: number): Buffer => {
    const vals = xs.flatMap((x) => p.samples.slice((y * p.width + x) * ch, (y * p.width + x + 1) * ch));
    const row = Buffer.alloc(1 + Math.ceil((vals.length * p.bitDepth) / 8));
    vals.forEach((v, i) => {
      if (p.bitDepth === 16) row.writeUInt16BE(v, 1 + 2 * i);
      else if (p.bitDepth === 8) row[1 + i] = v;
      else {
        const bit = i * p.bitDepth;
        row[1 + (bit >> 3)] |= v << (8 - p.bitDepth - (bit & 7));
      }
    });
    return row;
  };
  const rows: Buffer[] = [];
  const range = (from: number, to: number, step: number): number[] => {
    const out: number[] = [];
    for (let i = from; i < to; i += step) out.push(i);
    return out;
  };
  for (const [x0, y0, dx, dy] of p.interlace ? ADAM7 : [[0, 0, 1, 1]]) {
    const xs = range(x0, p.width, dx);
    if (xs.length === 0) continue;
    for (const y of range(y0, p.height, dy)) rows.push(rowOf(xs, y));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr[8] = p.bitDepth;
  ihdr[9] = p.colorType;
  ihdr[12] = p.interlace ? 1 : 0;
  const chunks = [chunk('IHDR', ihdr)];
  if (p.palette) chunks.push(chunk('PLTE', Buffer.from(p.palette.flat())));
  if (p.trns) chunks.push(chunk('tRNS', trnsBytes(p)));
  chunks.push(chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

function trnsBytes(p: RawPng): Buffer {
  if (p.colorType === 3) return Buffer.from(p.trns!);
  const b = Buffer.alloc(2 * p.trns!.length);
  p.trns!.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
