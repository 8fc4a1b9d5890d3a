/**
 * libjpeg's colour reconstruction, applied to the raw components jpeg-js decodes (colorTransform off).
 *
 * Why: jpeg-js upsamples subsampled chroma by pixel replication and truncates YCbCr→RGB to bytes, while
 * libjpeg(-turbo) — what Pillow, OpenCV and ImageMagick use, so what most models were trained on — uses
 * "fancy" triangle upsampling and rounded integer conversion. On a 4:2:0 JPEG the two differ by up to
 * ~120 levels at sharp colour edges; with this step only jpeg-js's slightly different IDCT remains.
 */

export interface Sampling {
  h: number;
  v: number;
}

// jdcolor.c: 16-bit fixed point, tables indexed by Cb/Cr.
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.floor(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * `raw` is jpeg-js's interleaved Y,Cb,Cr output at full size (chroma replicated); returns interleaved RGB
 * as libjpeg-turbo produces it. Chroma subsampled 2× horizontally and/or vertically (4:2:0, 4:2:2, 4:4:0)
 * gets fancy upsampling; other layouts (e.g. 4:1:1) keep replication, which is also what libjpeg does.
 */
export function ycbcrToRgbLibjpeg(raw: Uint8Array, width: number, height: number, sampling: Sampling[]): Uint8Array {
  const maxH = Math.max(...sampling.map((s) => s.h));
  const maxV = Math.max(...sampling.map((s) => s.v));
  const lumaFull = sampling[0].h === maxH && sampling[0].v === maxV;
  const [cb, cr] = [1, 2].map((c) => {
    const rx = maxH / sampling[c].h;
    const ry = maxV / sampling[c].v;
    const dw = Math.ceil(width / rx);
    // libjpeg-turbo falls back to replication for h2 layouts only 1–2 samples wide.
    const fancy = lumaFull && (rx === 1 || rx === 2) && (ry === 1 || ry === 2) && !(rx === 2 && dw <= 2);
    if (fancy) return upsample(downsampledPlane(raw, width, height, c, rx, ry), dw, Math.ceil(height / ry), rx, ry, width, height);
    const plane = new Uint8Array(width * height);
    for (let i = 0; i < plane.length; i++) plane[i] = raw[i * 3 + c];
    return plane;
  });
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const y = raw[i * 3];
    out[i * 3] = clamp8(y + CR_R[cr[i]]);
    out[i * 3 + 1] = clamp8(y + ((CB_G[cb[i]] + CR_G[cr[i]]) >> SCALEBITS));
    out[i * 3 + 2] = clamp8(y + CB_B[cb[i]]);
  }
  return out;
}

/** Undoes jpeg-js's replication: sample (i, j) of the subsampled plane sits at full-size (rx·i, ry·j). */
function downsampledPlane(raw: Uint8Array, width: number, height: number, c: number, rx: number, ry: number): Uint8Array {
  const dw = Math.ceil(width / rx);
  const dh = Math.ceil(height / ry);
  const plane = new Uint8Array(dw * dh);
  for (let j = 0; j < dh; j++) for (let i = 0; i < dw; i++) plane[j * dw + i] = raw[(j * ry * width + i * rx) * 3 + c];
  return plane;
}

/**
 * jdsample.c's h2v1 / h1v2 / h2v2 fancy upsampling: each output sample is 3/4 of the nearer and 1/4 of the
 * further input sample per subsampled axis, with libjpeg's alternating rounding biases; edges replicate.
 */
function upsample(p: Uint8Array, dw: number, dh: number, rx: number, ry: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const colsum = new Int32Array(dw);
  for (let y = 0; y < height; y++) {
    // Vertical step: column sums in quarters (×4 scale) when ry = 2, plain samples otherwise.
    const j = ry === 2 ? y >> 1 : y;
    const near = j * dw;
    const far = ry === 2 ? Math.min(dh - 1, Math.max(0, (y & 1) === 0 ? j - 1 : j + 1)) * dw : near;
    for (let i = 0; i < dw; i++) colsum[i] = ry === 2 ? 3 * p[near + i] + p[far + i] : p[near + i];
    const o = y * width;
    if (rx === 1) {
      if (ry === 1) for (let x = 0; x < width; x++) out[o + x] = colsum[x];
      else for (let x = 0; x < width; x++) out[o + x] = (colsum[x] + ((y & 1) === 0 ? 1 : 2)) >> 2;
    } else if (ry === 1) {
      // h2v1
      for (let x = 0; x < width; x++) {
        const i = x >> 1;
        if ((x & 1) === 0) out[o + x] = i === 0 ? colsum[0] : (3 * colsum[i] + colsum[i - 1] + 1) >> 2;
        else out[o + x] = i === dw - 1 ? colsum[i] : (3 * colsum[i] + colsum[i + 1] + 2) >> 2;
      }
    } else {
      // h2v2: colsum already holds 4× values, so the horizontal step divides by 16
      for (let x = 0; x < width; x++) {
        const i = x >> 1;
        if ((x & 1) === 0) out[o + x] = i === 0 ? (4 * colsum[0] + 8) >> 4 : (3 * colsum[i] + colsum[i - 1] + 8) >> 4;
        else out[o + x] = i === dw - 1 ? (4 * colsum[i] + 7) >> 4 : (3 * colsum[i] + colsum[i + 1] + 7) >> 4;
      }
    }
  }
  return out;
}
