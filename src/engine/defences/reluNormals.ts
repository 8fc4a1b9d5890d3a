/**
 * Post-averaging's "approx" directions: the normals of the ReLU hyperplanes nearest to x. For a unit with
 * pre-activation a_j(x), the distance to its hyperplane a_j = 0 is about |a_j| / ‖∇a_j‖. Computing every
 * ‖∇a_j‖ would need one backward pass per unit, so, as the paper describes, we estimate per layer and
 * back-propagate exactly only for the selected units:
 *  1. one backward pass per ReLU layer l with a Gaussian cotangent u: E‖Jₗᵀu‖² = Σ_j ‖∇a_j‖², so
 *     ρ_l = ‖Jₗᵀu‖ / √(units in l) is the layer's RMS gradient norm;
 *  2. estimated distance of unit j in layer l: |a_j| / ρ_l; the K smallest over all layers are selected;
 *  3. one backward pass per selected unit (one-hot cotangent) gives its exact normal ∇a_j.
 * Norms and normals are taken in model-input space (the radius's space); a unit whose normal is zero
 * (e.g. it does not depend on this input) is replaced by a random direction, and counted.
 */
import type { Preprocessing } from '../config/runConfig';
import { EngineError } from '../errors';
import type { ClassifierGradientBuilder } from '../grad/classifierGradient';
import { PIXELS } from '../grad/classifierGradient';
import { encodeModel } from '../onnx/onnxProto';
import { ModelSession, type BatchedInput, type SessionOptions } from '../runtime/modelSession';
import type { Rng } from '../util/random';
import { fillUnitDirection, pixelsPerModelUnit, type DirectionSampler } from './postAveraging';

interface Layer {
  name: string;
  sampleShape: number[];
  units: number;
  cotangent: string;
}

/** Cotangent bytes per call: every call feeds all layers' cotangents (zeros where unused). */
const COTANGENT_BYTES = 256 * 1024 * 1024;

export class ReluHyperplaneSampler implements DirectionSampler {
  readonly kind = 'approx' as const;
  /** Directions that fell back to random because the unit's normal was zero. */
  fallbacks = 0;
  private readonly scale: Float64Array;
  private readonly rowsPerCall: number;

  private constructor(
    private readonly session: ModelSession,
    private readonly layers: Layer[],
    private readonly grad: string,
    private readonly pixelShape: number[],
    private readonly preprocessing: Preprocessing,
  ) {
    this.scale = pixelsPerModelUnit(preprocessing);
    const perRow = layers.reduce((a, l) => a + l.units, 0) * 4;
    this.rowsPerCall = Math.max(1, Math.floor(COTANGENT_BYTES / perRow));
  }

  static async open(
    builder: ClassifierGradientBuilder,
    preprocessing: Preprocessing,
    opts: SessionOptions & { label: string },
  ): Promise<ReluHyperplaneSampler> {
    const relus = builder.reluPreActivations();
    if (relus.length === 0) {
      throw new EngineError(
        'MODEL_UNSUPPORTED',
        `${opts.label}: post-averaging "approx" directions need ReLU units between the input and the logits, and this model has none`,
        {
          file: opts.label,
          hint: 'use --directions random',
        },
      );
    }
    const vjp = builder.buildTensorVjp(relus.map((r) => r.name));
    const session = await ModelSession.open(encodeModel(vjp.model), opts, `${opts.label} (ReLU normals)`);
    const layers = relus.map((r, i) => ({ ...r, units: r.sampleShape.reduce((a, b) => a * b, 1), cotangent: vjp.cotangents[i] }));
    return new ReluHyperplaneSampler(session, layers, vjp.grads[0], builder.pixelShape, preprocessing);
  }

  get layerCount(): number {
    return this.layers.length;
  }

  /** Runs the VJP model: rows of pixels with per-layer cotangents (null = zeros). Returns pre-activations and the pixel gradient. */
  private async run(
    pixels: Float32Array,
    rows: number,
    cotangents: (Float32Array | null)[],
  ): Promise<{ pre: Float32Array[]; grad: Float32Array }> {
    const inputs: BatchedInput[] = [{ name: PIXELS, data: pixels, sampleShape: this.pixelShape }];
    this.layers.forEach((l, i) =>
      inputs.push({ name: l.cotangent, data: cotangents[i] ?? new Float32Array(rows * l.units), sampleShape: l.sampleShape }),
    );
    const out = await this.session.runBatched(inputs, [...this.layers.map((l) => l.name), this.grad], rows, this.rowsPerCall);
    return { pre: this.layers.map((l) => out[l.name].data), grad: out[this.grad].data };
  }

  /** Model-space norm of a pixel-space gradient row. */
  private modelNorm(g: Float32Array): number {
    const plane = this.preprocessing.height * this.preprocessing.width;
    let s = 0;
    for (let j = 0; j < g.length; j++) {
      const v = g[j] * this.scale[Math.floor(j / plane)];
      s += v * v;
    }
    return Math.sqrt(s);
  }

  async sample(pixels: Float32Array, count: number, K: number, rng: Rng): Promise<Float32Array> {
    const per = this.pixelShape.reduce((a, b) => a * b, 1);
    const plane = this.preprocessing.height * this.preprocessing.width;
    const L = this.layers.length;
    const out = new Float32Array(count * K * per);
    for (let i = 0; i < count; i++) {
      const x = pixels.subarray(i * per, (i + 1) * per);
      // 1. per-layer RMS gradient norm, one backward pass per layer (L rows of the same image).
      const reps = new Float32Array(L * per);
      for (let l = 0; l < L; l++) reps.set(x, l * per);
      const cots = this.layers.map((layer, l) => {
        const c = new Float32Array(L * layer.units);
        for (let j = 0; j < layer.units; j++) c[l * layer.units + j] = rng.normal();
        return c;
      });
      const probe = await this.run(reps, L, cots);
      const rms = this.layers.map((layer, l) => this.modelNorm(probe.grad.subarray(l * per, (l + 1) * per)) / Math.sqrt(layer.units));
      // 2. the K units with the smallest estimated distance |a_j| / ρ_l.
      const chosen = nearestUnits(
        this.layers.map((layer, l) => ({ pre: probe.pre[l].subarray(0, layer.units), rms: rms[l] })),
        K,
      );
      // 3. exact normals of the chosen units: one-hot cotangents.
      const reps2 = new Float32Array(chosen.length * per);
      const cots2 = this.layers.map((layer) => new Float32Array(chosen.length * layer.units));
      chosen.forEach((u, k) => {
        reps2.set(x, k * per);
        cots2[u.layer][k * this.layers[u.layer].units + u.unit] = 1;
      });
      const exact = chosen.length ? await this.run(reps2, chosen.length, cots2) : { grad: new Float32Array(0) };
      for (let k = 0; k < K; k++) {
        const dst = out.subarray((i * K + k) * per, (i * K + k + 1) * per);
        const g = k < chosen.length ? exact.grad.subarray(k * per, (k + 1) * per) : null;
        const n = g ? this.modelNorm(g) : 0;
        if (g && n > 0 && Number.isFinite(n)) {
          // Unit normal in model space, expressed as a pixel displacement: (g·s/‖g·s‖)·s.
          for (let j = 0; j < per; j++) {
            const s = this.scale[Math.floor(j / plane)];
            dst[j] = (g[j] * s * s) / n;
          }
        } else {
          this.fallbacks++;
          fillUnitDirection(dst, rng, this.scale, plane);
        }
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/** The K (layer, unit) pairs with the smallest |a|/ρ, nearest first (ties: earlier layer, lower index). */
export function nearestUnits(
  layers: { pre: ArrayLike<number>; rms: number }[],
  K: number,
): { layer: number; unit: number; distance: number }[] {
  // A max-heap of the K best so far would be faster for huge layers; a bounded insertion list is simpler
  // and K is small (15 by default).
  const best: { layer: number; unit: number; distance: number }[] = [];
  layers.forEach(({ pre, rms }, l) => {
    if (!(rms > 0)) return;
    for (let j = 0; j < pre.length; j++) {
      const d = Math.abs(pre[j]) / rms;
      if (best.length === K && d >= best[K - 1].distance) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].distance > d) at--;
      best.splice(at, 0, { layer: l, unit: j, distance: d });
      if (best.length > K) best.pop();
    }
  });
  return best;
}
