/**
 * The spectrum of one saved perturbation, computed in the panel from its PNG (the report keeps no per-example
 * maps: 1,000 images × 7 attacks of them would be megabytes). The PNG holds 0.5 + a·δ in 8 bits, so
 * δ = (v/255 − 0.5)/a up to a quantisation step of 1/(255·a); the map is |F(δ)| of the unnormalised 2-D DFT,
 * averaged over the colour channels, DC in the centre — the convention of the report's spectra section.
 * The engine's FFT stays out of the webview bundle (test/webview/bundle.test.ts), so this is a direct
 * separable DFT: H·W·(H + W) multiply-adds, 22 M for one 224×224 image, once per example shown.
 */
import type { Map2D } from '../../../src/engine/report/sections';

export const SPECTRUM_DEFINITION =
  '|F(δ)| of the perturbation δ decoded from its PNG (8-bit, so values four decades below the maximum are quantisation), channel-averaged, DC in the centre.';

/** RGBA bytes of an amplified perturbation PNG (as a canvas reads it) → its centred magnitude spectrum. */
export function perturbationSpectrum(rgba: ArrayLike<number>, width: number, height: number, amplification: number): Map2D {
  const n = width * height;
  if (rgba.length !== 4 * n) throw new Error(`perturbation image: ${rgba.length} bytes for ${width} × ${height} RGBA pixels`);
  if (!(amplification > 0)) throw new Error(`perturbation image: amplification ${amplification} is not positive`);
  const magnitude = new Float64Array(n);
  const plane = new Float64Array(n);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < n; p++) plane[p] = (rgba[4 * p + c] / 255 - 0.5) / amplification;
    const { re, im } = dft2(plane, height, width);
    for (let p = 0; p < n; p++) magnitude[p] += Math.hypot(re[p], im[p]) / 3;
  }
  // centred: position p along an axis of length L holds frequency p − ⌊L/2⌋
  const oy = Math.floor(height / 2),
    ox = Math.floor(width / 2);
  const values = new Array<number>(n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) values[((y + oy) % height) * width + ((x + ox) % width)] = magnitude[y * width + x];
  return { height, width, values };
}

/** Unnormalised 2-D DFT of a real h × w plane, X[k,l] = Σ x[y,x] e^{−2πi(ky/h + lx/w)}: rows, then columns. */
export function dft2(plane: ArrayLike<number>, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const twiddles = (n: number) => {
    const c = new Float64Array(n),
      s = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      c[k] = Math.cos((2 * Math.PI * k) / n);
      s[k] = Math.sin((2 * Math.PI * k) / n);
    }
    return { c, s };
  };
  const tw = twiddles(w),
    th = twiddles(h);
  const rowRe = new Float64Array(h * w),
    rowIm = new Float64Array(h * w);
  for (let y = 0; y < h; y++)
    for (let l = 0; l < w; l++) {
      let sr = 0,
        si = 0;
      for (let x = 0; x < w; x++) {
        const v = plane[y * w + x],
          t = (l * x) % w;
        sr += v * tw.c[t];
        si -= v * tw.s[t];
      }
      rowRe[y * w + l] = sr;
      rowIm[y * w + l] = si;
    }
  const re = new Float64Array(h * w),
    im = new Float64Array(h * w);
  for (let l = 0; l < w; l++)
    for (let k = 0; k < h; k++) {
      let sr = 0,
        si = 0;
      for (let y = 0; y < h; y++) {
        const a = rowRe[y * w + l],
          b = rowIm[y * w + l],
          t = (k * y) % h;
        // (a + ib)(cos − i sin)
        sr += a * th.c[t] + b * th.s[t];
        si += b * th.c[t] - a * th.s[t];
      }
      re[k * w + l] = sr;
      im[k * w + l] = si;
    }
  return { re, im };
}

/**
 * Decodes a run image through a canvas and computes its spectrum. The webview's resource server answers with
 * `Access-Control-Allow-Origin: *`, so an image loaded with crossOrigin = 'anonymous' leaves the canvas readable.
 */
export function loadPerturbationSpectrum(doc: Document, src: string, amplification: number): Promise<Map2D> {
  return new Promise((resolve, reject) => {
    const img = doc.createElement('img');
    img.crossOrigin = 'anonymous';
    img.onload = () => {
      try {
        const canvas = doc.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const g = canvas.getContext('2d');
        if (!g) throw new Error('no 2-D canvas to decode the image');
        g.drawImage(img, 0, 0);
        const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
        resolve(perturbationSpectrum(data, canvas.width, canvas.height, amplification));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    img.onerror = () => reject(new Error('the perturbation image could not be loaded'));
    img.src = src;
  });
}
