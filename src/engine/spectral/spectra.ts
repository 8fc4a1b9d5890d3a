/**
 * Perturbation spectra of an attack ("A frequency domain analysis of gradient-based adversarial
 * examples"), accumulated image by image so that only the running sums are kept.
 */
import { EngineError } from '../errors';
import type { Map2D } from '../report/sections';
import { fft2RealPair, signedFrequency } from './fft';
import { BINNING_NOTE } from '../../protocol/reportMaps';

/** η inside the logarithms: keeps log(|F| + η) finite where a spectrum is exactly zero. */
export const LOG_SPECTRUM_ETA = 1e-8;

export const SPECTRA_DEFINITION =
  'For each successful adversarial example x′ of a clean image x (planar [C,H,W], pixels in [0,1]) with perturbation ' +
  'δ = x′ − x, F is the 2-D DFT of each channel with orthonormal scaling, F(z)[k_y,k_x] = (1/√(H·W)) Σ z[i,j] ' +
  'e^{−2πi(k_y·i/H + k_x·j/W)}, so that spectra of different image sizes compare; maps are shown centred (DC at ' +
  '(⌊H/2⌋, ⌊W/2⌋), frequencies −⌊n/2⌋ … ⌈n/2⌉−1 on each axis). Perturbation spectrum: the mean over images of ' +
  '|F(δ)|, averaged over channels. Log-spectrum difference: the mean over images of |log(|F(x+δ)| + η) − ' +
  'log(|F(x)| + η)| with η = 1e-8, averaged over channels. Low-frequency energy ratio: τ(z) = Σ_{(k_x,k_y)∈S_l} ' +
  '|F(z)|² / Σ_all |F(z)|², with the energies summed over channels and S_l = {|k_x| ≤ k_c and |k_y| ≤ k_c} on the ' +
  'centred frequencies; τ(δ) and τ(x) are computed per image and averaged over images, skipping images whose δ ' +
  '(or x) is zero everywhere (τ undefined), and reported as NaN when every image was skipped. ' +
  BINNING_NOTE;

/** The default k_c of S_l: max(1, ⌊min(h, w)/4⌋), i.e. the central half of each axis' frequency range. */
export function defaultSpectrumCutoff(h: number, w: number): number {
  return Math.max(1, Math.floor(Math.min(h, w) / 4));
}

export interface SpectrumResult {
  count: number;
  perturbationSpectrum: Map2D;
  logSpectrumDifference: Map2D;
  lowFrequencyEnergyPerturbation: number;
  lowFrequencyEnergyImages: number;
}

export class SpectrumAccumulator {
  private readonly hw: number;
  /** Centred position of each DFT index. */
  private readonly centred: Int32Array;
  /** 1 where the DFT index lies in S_l. */
  private readonly lowBand: Uint8Array;
  private readonly perturbationSum: Float64Array;
  private readonly logDifferenceSum: Float64Array;
  private images = 0;
  private tauPerturbationSum = 0;
  private tauPerturbationCount = 0;
  private tauImagesSum = 0;
  private tauImagesCount = 0;

  constructor(
    readonly channels: number,
    readonly h: number,
    readonly w: number,
    readonly cutoff: number,
  ) {
    for (const [name, v] of [
      ['channels', channels],
      ['height', h],
      ['width', w],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new EngineError('USAGE', `spectra: ${name} ${v}: expected a positive integer`);
    }
    if (!Number.isInteger(cutoff) || cutoff < 0)
      throw new EngineError('USAGE', `spectra: cutoff k_c = ${cutoff}: expected a non-negative integer`);
    this.hw = h * w;
    this.centred = new Int32Array(this.hw);
    this.lowBand = new Uint8Array(this.hw);
    const oy = Math.floor(h / 2),
      ox = Math.floor(w / 2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        this.centred[y * w + x] = ((y + oy) % h) * w + ((x + ox) % w);
        this.lowBand[y * w + x] = Math.abs(signedFrequency(y, h)) <= cutoff && Math.abs(signedFrequency(x, w)) <= cutoff ? 1 : 0;
      }
    }
    this.perturbationSum = new Float64Array(this.hw);
    this.logDifferenceSum = new Float64Array(this.hw);
  }

  /** Images added so far. */
  get count(): number {
    return this.images;
  }

  /** Adds one clean image and its adversarial example (planar [C,H,W], same length). */
  add(clean: ArrayLike<number>, adversarial: ArrayLike<number>): void {
    const { channels, h, w, hw } = this;
    if (clean.length !== channels * hw || adversarial.length !== channels * hw) {
      throw new EngineError(
        'USAGE',
        `spectra: expected ${channels}×${h}×${w} = ${channels * hw} values per image, got ${clean.length} (clean) and ${adversarial.length} (adversarial)`,
      );
    }
    const scale = 1 / Math.sqrt(hw),
      perChannel = 1 / channels;
    const x = new Float64Array(hw),
      delta = new Float64Array(hw);
    let deltaLow = 0,
      deltaAll = 0,
      imageLow = 0,
      imageAll = 0;
    // Zero is decided on the pixels: the transform of a zero plane packed with a non-zero one is only ~0.
    let deltaIsZero = true,
      imageIsZero = true;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < hw; i++) {
        x[i] = clean[c * hw + i];
        delta[i] = adversarial[c * hw + i] - x[i];
        if (delta[i] !== 0) deltaIsZero = false;
        if (x[i] !== 0) imageIsZero = false;
      }
      const [fx, fd] = fft2RealPair(x, delta, h, w);
      for (let k = 0; k < hw; k++) {
        const xr = fx.re[k] * scale,
          xi = fx.im[k] * scale,
          dr = fd.re[k] * scale,
          di = fd.im[k] * scale;
        const ar = xr + dr,
          ai = xi + di; // F(x + δ) = F(x) + F(δ)
        const d2 = dr * dr + di * di,
          x2 = xr * xr + xi * xi;
        const pos = this.centred[k];
        this.perturbationSum[pos] += Math.sqrt(d2) * perChannel;
        this.logDifferenceSum[pos] +=
          Math.abs(Math.log(Math.sqrt(ar * ar + ai * ai) + LOG_SPECTRUM_ETA) - Math.log(Math.sqrt(x2) + LOG_SPECTRUM_ETA)) * perChannel;
        deltaAll += d2;
        imageAll += x2;
        if (this.lowBand[k]) {
          deltaLow += d2;
          imageLow += x2;
        }
      }
    }
    this.images++;
    if (!deltaIsZero) {
      this.tauPerturbationSum += deltaLow / deltaAll;
      this.tauPerturbationCount++;
    }
    if (!imageIsZero) {
      this.tauImagesSum += imageLow / imageAll;
      this.tauImagesCount++;
    }
  }

  /** The means over the images added so far; while count is 0 the maps are all zeros and the ratios NaN. */
  result(): SpectrumResult {
    const n = Math.max(1, this.images);
    const map = (sum: Float64Array): Map2D => ({ height: this.h, width: this.w, values: Array.from(sum, (v) => v / n) });
    return {
      count: this.images,
      perturbationSpectrum: map(this.perturbationSum),
      logSpectrumDifference: map(this.logDifferenceSum),
      lowFrequencyEnergyPerturbation: this.tauPerturbationCount > 0 ? this.tauPerturbationSum / this.tauPerturbationCount : NaN,
      lowFrequencyEnergyImages: this.tauImagesCount > 0 ? this.tauImagesSum / this.tauImagesCount : NaN,
    };
  }
}
