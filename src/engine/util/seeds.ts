/**
 * Every random stream of a run gets its seed from the run seed and the stream's stage path: a fixed offset
 * plus a stride per index (attack, radius, batch …). The offsets are the ones the engine has always used
 * (primes, so streams never coincide for small indices), which keeps every report reproducible from the
 * seeds recorded in older reports; a new stream is one new row here.
 */

interface SeedStream {
  offset: number;
  /** One stride per index, in the order `seedFor` takes the indices; `index` names them for the report. */
  strides: readonly number[];
  index: readonly string[];
}

export const SEED_STREAMS = {
  /** Each attack of a suite (pass 1, and pass 2 again for the adaptive images). */
  'attacks/suite': { offset: 0, strides: [1000003], index: ['attack'] },
  /** `attack --eps-list`: each fixed-ε attack again at each ε of the list (attack = its place in that suite). */
  'attacks/eps-list': { offset: 179424673, strides: [1000003], index: ['attack'] },
  /** The NES estimator of an attack suite with estimated gradients. */
  'attacks/estimated-gradient': { offset: 0, strides: [], index: [] },
  /** Pass 1's post-averaging directions, one stream per radius of the sweep. */
  'defences/post-averaging/radius': { offset: 7919, strides: [1], index: ['radius'] },
  /** Occluded Frequency's noise baseline; each preview image's noise. */
  'frequency/occluded-frequency': { offset: 104729, strides: [], index: [] },
  'frequency/occluded-frequency/preview': { offset: 104729, strides: [1], index: ['image'] },
  /** Pass 2: the post-averaged model attacked adaptively, and the EOT gradient's own directions. */
  'adaptive/post-averaging/model': { offset: 15485863, strides: [], index: [] },
  'adaptive/post-averaging/eot': { offset: 15485867, strides: [], index: [] },
  /** Pass 2: the EOT gradient of another loss head (the adaptive ensemble's DLR), per head in order of first use. */
  'adaptive/post-averaging/eot-head': { offset: 67867967, strides: [1], index: ['head'] },
  /** Pass 2: the adaptive PGD's random start, per attack, batch and defence (index among the defences run). */
  'adaptive/attack': { offset: 49979687, strides: [1009, 7, 1], index: ['attack', 'batch', 'defence'] },
  /** The ε sweep's seed as the report records it (`sweeps.fixed.seed`). */
  'sweeps/epsilon': { offset: 32452843, strides: [], index: [] },
  /** The ε sweep's PGD attacks: a suite of their own, so the suite's per-attack seeds, per ε. */
  'sweeps/epsilon/pgd': { offset: 0, strides: [1000003], index: ['epsilon'] },
  /** Randomized smoothing's Gaussian noise (selection, then estimation samples), per σ and image (its place in the sample). */
  'certify/noise': { offset: 86028121, strides: [1000003, 1], index: ['sigma', 'image'] },
  /**
   * The empirical attack on the smoothed classifier, per σ and image (its place in the sample): the APGD runs'
   * random starts and the Gaussian EOT draws of their gradients, per batch of images attacked together (the
   * sample place of its first image); PREDICT's noise, per image, on the clean image and each example it judges.
   */
  'certify/attack': { offset: 198491317, strides: [1000003, 1], index: ['sigma', 'batch-first-image'] },
  'certify/attack/eot': { offset: 217645177, strides: [1000003, 1], index: ['sigma', 'batch-first-image'] },
  'certify/attack/predict': { offset: 236887691, strides: [1000003, 1], index: ['sigma', 'image'] },
  /** The Fourier heat map's signs (one per image and channel, in that order), per cell (its row-major place in the grid). */
  'fourier/sign': { offset: 122949829, strides: [1], index: ['cell'] },
  /** The Fourier heat map's post-averaged model: its directions, per cell (key 0: the clean images; cell i: key i + 1). */
  'fourier/post-averaging': { offset: 160481183, strides: [1], index: ['cell'] },
  /** Feature inversion: each image's start x₀, another image of the sample (one draw per image, in sample order). */
  'invert/start': { offset: 141650939, strides: [], index: [] },
} as const satisfies Record<string, SeedStream>;

export type SeedStreamPath = keyof typeof SEED_STREAMS;

/** The seed of stream `path` at the given indices (one per stride of the stream). */
export function seedFor(runSeed: number, path: SeedStreamPath, ...indices: number[]): number {
  const s: SeedStream = SEED_STREAMS[path];
  if (indices.length !== s.strides.length)
    throw new Error(`seedFor ${path}: expected ${s.strides.length} index(es) (${s.index.join(', ')}), got ${indices.length}`);
  return indices.reduce((acc, v, i) => acc + s.strides[i] * v, runSeed + s.offset);
}

/**
 * A compact record of a stream for the report's `seeds`: one entry whose key spells out the index terms,
 * e.g. `adaptive/attack + 1009·attack + 7·batch + 1·defence` → the seed at index 0.
 */
export function seedRecord(runSeed: number, path: SeedStreamPath): Record<string, number> {
  const s: SeedStream = SEED_STREAMS[path];
  const key = path + s.strides.map((stride, i) => ` + ${stride}·${s.index[i]}`).join('');
  return { [key]: seedFor(runSeed, path, ...s.strides.map(() => 0)) };
}
