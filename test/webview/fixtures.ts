/**
 * A full analyse report of the bundled Fashion-MNIST sample model, with every section kind, typed with the
 * engine's section types. Figures follow the real sample run (samples/out/attack-run) where there is one.
 */
import type { AttacksSection } from '../../src/engine/jobs/attackJob';
import type { AttackRunSummary, Stats } from '../../src/engine/attacks/protocol';
import type { CleanSection, ReportV1 } from '../../src/engine/report/schema';
import type {
  DefencesSection,
  Map2D,
  OccludedFrequencySection,
  RctSection,
  SpectraSection,
  SweepsSection,
} from '../../src/engine/report/sections';
import type { InitMessage } from '../../src/protocol/webviewMessages';

export const CLASS_NAMES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

const stats = (count: number, mean: number, median: number, max: number): Stats => ({ count, mean, median, max });

/** A smooth h × w map: value = scale · exp(−(r + c) / decay), a low-frequency-heavy spectrum shape. */
export function decayMap(h: number, w: number, scale: number, decay: number): Map2D {
  return { height: h, width: w, values: Array.from({ length: h * w }, (_, i) => scale * Math.exp(-(Math.floor(i / w) + (i % w)) / decay)) };
}

type Run = AttackRunSummary & { gallery: AttacksSection['runs'][number]['gallery'] };

function run(over: Partial<Run> & Pick<Run, 'label' | 'mode' | 'params'>): Run {
  return {
    criterion: 'top1',
    targeted: null,
    gradient: 'analytic',
    seed: 0,
    evaluated: 100,
    clean: { top1Correct: 92, top1Accuracy: 0.92, top5Correct: 100, top5Accuracy: 1 },
    attacked: { top1Correct: 43, top1Accuracy: 0.43, top5Correct: 100, top5Accuracy: 1 },
    attackedImages: 92,
    numAdversarial: 49,
    successRate: 49 / 92,
    norms: {
      successful: {
        l2: stats(49, 0.7665318621658525, 0.767506188833297, 0.8169673102201775),
        linf: stats(49, 0.0313726, 0.0313726, 0.0313726),
      },
      all: { l2: stats(92, 0.7614, 0.7665, 0.84), linf: stats(92, 0.0313726, 0.0313726, 0.0313726) },
    },
    queries: stats(92, 1, 1, 1),
    epsilon: null,
    budgetCurve: null,
    seconds: 0.1023,
    imagesPerSecond: 899.15,
    gallery: [],
    ...over,
  };
}

export const ATTACKS: AttacksSection = {
  kind: 'attacks',
  criterion: 'top1',
  gradient: 'analytic',
  notes: [],
  runs: [
    run({
      label: 'FGSM ε=8/255 (0.0314)',
      mode: 'fixed-eps',
      params: { attack: 'fgsm', eps: 8 / 255, mode: 'fixed-eps', gridSize: 100 },
      // FGSM's closed form: one gradient pass per attacked image, one evaluation forward.
      cost: {
        forward: 0,
        gradient: 92,
        evaluationForward: 92,
        images: 92,
        queries: 92,
        perImage: { forwardMean: 0, gradientMean: 1, queries: stats(92, 1, 1, 1) },
      },
      gallery: [
        {
          relPath: 't-shirt/0083.png',
          label: 0,
          cleanPrediction: 0,
          adversarialPrediction: 6,
          l2: 0.7755,
          linf: 0.0313726,
          amplification: 15.937,
          files: {
            clean: 'gallery/attack-1/00-t-shirt-clean.png',
            adversarial: 'gallery/attack-1/00-t-shirt-adversarial.png',
            perturbation: 'gallery/attack-1/00-t-shirt-perturbation-x15.9.png',
          },
        },
      ],
    }),
    run({
      label: 'PGD-10 L∞ ε=8/255 (0.0314) (minimal ε)',
      mode: 'minimal-eps',
      seed: 1000003,
      params: { attack: 'pgd', norm: 'linf', eps: 8 / 255, steps: 10, mode: 'minimal-eps', searchSteps: 10 },
      attacked: { top1Correct: 2, top1Accuracy: 0.02, top5Correct: 88, top5Accuracy: 0.88 },
      numAdversarial: 90,
      successRate: 90 / 92,
      epsilon: stats(90, 0.0121, 0.0113, 0.0313),
      queries: stats(92, 61, 60, 110),
      imagesPerSecond: 41.2,
    }),
    run({
      label: 'DeepFool-50 L2 overshoot=0.02',
      mode: 'minimal-perturbation',
      seed: 2000006,
      params: { norm: 'l2', steps: 50, overshoot: 0.02, candidates: 10 },
      attacked: { top1Correct: 0, top1Accuracy: 0, top5Correct: 97, top5Accuracy: 0.97 },
      numAdversarial: 92,
      successRate: 1,
      norms: {
        successful: { l2: stats(92, 0.41, 0.38, 1.34), linf: stats(92, 0.05, 0.047, 0.16) },
        all: { l2: stats(92, 0.41, 0.38, 1.34), linf: stats(92, 0.05, 0.047, 0.16) },
      },
      queries: stats(92, 3.2, 3, 6),
      imagesPerSecond: 310,
      budgetCurve: {
        norm: 'l2',
        points: [0, 0.335, 0.67, 1.005, 1.34].map((budget, k) => ({ budget, accuracy: [0.92, 0.5, 0.12, 0.03, 0][k] })),
      },
    }),
    run({
      label: 'SimBA-DCT ε=0.2 10000 queries',
      mode: 'query-limited',
      seed: 3000009,
      gradient: 'none',
      params: { basis: 'dct', epsilon: 0.2, maxQueries: 10000, linf: null, freqFraction: 0.125 },
      attacked: { top1Correct: 12, top1Accuracy: 0.12, top5Correct: 99, top5Accuracy: 0.99 },
      numAdversarial: 80,
      successRate: 80 / 92,
      queries: stats(92, 812, 640, 10000),
      imagesPerSecond: 3.1,
    }),
  ],
};

export const CLEAN: CleanSection = {
  kind: 'clean',
  partial: false,
  requested: 100,
  evaluated: 100,
  top1Correct: 92,
  top1Accuracy: 0.92,
  top5Correct: 100,
  top5Accuracy: 1,
  meanConfidence: 0.874,
  perClass: CLASS_NAMES.map((className, k) => ({
    className,
    total: 10,
    correct: k === 6 ? 4 : 10 - (k % 2),
    accuracy: k === 6 ? 0.4 : (10 - (k % 2)) / 10,
  })),
  confusion: CLASS_NAMES.map((_, i) => CLASS_NAMES.map((__, j) => (i === j ? 9 : 0))),
  predictions: [],
  throughput: { seconds: 0.21, inferenceSeconds: 0.08, imagesPerSecond: 476.2, batchSize: 64 },
};

export const DEFENCES: DefencesSection = {
  kind: 'defences',
  notes: ['Defence rates count only the #Adv examples of the undefended model.'],
  results: [
    {
      defence: {
        kind: 'post-averaging',
        params: { K: 15, radius: 0.3, radiusPixels: 0.1061, radiusSpace: 'model-input', directions: 'random', points: 91, seed: 7 },
      },
      chosenBy: 'r chosen by the sweep: highest defence rate with clean drop ≤ 1 pp',
      cost: { relativeCost: 91.04, plainImagesPerSecond: 900, defendedImagesPerSecond: 9.886, batchSize: 64 },
      rows: [
        {
          attack: { label: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', norm: 'linf', criterion: 'top1', seed: 0 },
          evaluated: 100,
          numAdversarial: 49,
          original: { clean: { top1: 0.92, top5: 1 }, attacked: { top1: 0.43, top5: 1 } },
          defended: { clean: { top1: 0.91, top5: 1 }, attacked: { top1: 0.78, top5: 1 } },
          defenceRate: 0.7143,
          adaptive: {
            label: 'EOT-PGD-10 L∞ ε=8/255 (K=15)',
            defenceRate: 0.1837,
            attacked: { top1: 0.52, top5: 1 },
            images: 49,
            nonAdaptiveDefenceRate: 0.7143,
            seed: 11,
            seconds: 84.2,
          },
        },
        {
          attack: { label: 'DeepFool-50 L2 overshoot=0.02', mode: 'minimal-perturbation', norm: 'l2', criterion: 'top1', seed: 2000006 },
          evaluated: 100,
          numAdversarial: 0,
          original: { clean: { top1: 0.92, top5: 1 }, attacked: { top1: 0.92, top5: 1 } },
          defended: { clean: { top1: 0.91, top5: 1 }, attacked: { top1: 0.91, top5: 1 } },
          defenceRate: null,
          adaptive: null,
        },
      ],
    },
    {
      defence: { kind: 'low-pass', params: { cutoff: 8, maxCutoff: 14 } },
      chosenBy: 'cutoff chosen by the sweep: lowest cutoff with clean drop ≤ 1 pp',
      cost: { relativeCost: 1.02, plainImagesPerSecond: 900, defendedImagesPerSecond: 882.4, batchSize: 64 },
      rows: [
        {
          attack: { label: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', norm: 'linf', criterion: 'top1', seed: 0 },
          evaluated: 100,
          numAdversarial: 49,
          original: { clean: { top1: 0.92, top5: 1 }, attacked: { top1: 0.43, top5: 1 } },
          defended: { clean: { top1: 0.91, top5: 1 }, attacked: { top1: 0.55, top5: 1 } },
          defenceRate: 0.2653,
          adaptive: {
            label: 'PGD-10 L∞ ε=8/255 through the filter',
            defenceRate: 0.0204,
            attacked: { top1: 0.43, top5: 1 },
            images: 32,
            nonAdaptiveDefenceRate: 0.25,
            seed: 12,
            seconds: 1.9,
          },
        },
      ],
    },
  ],
};

export const SWEEPS: SweepsSection = {
  kind: 'sweeps',
  sweeps: [
    {
      id: 'defence-rate-vs-radius',
      title: 'Defence rate vs r',
      xLabel: 'radius r (model-input space)',
      yLabel: 'defence rate',
      x: [0.1, 0.2, 0.3, 0.4, 0.5],
      series: [
        { name: 'non-adaptive', attack: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', y: [0.31, 0.55, 0.71, 0.76, 0.8] },
        { name: 'clean accuracy', attack: null, mode: 'clean', y: [0.92, 0.92, 0.91, 0.88, 0.83] },
      ],
      fixed: { K: 15, seed: 7 },
    },
    {
      id: 'defence-rate-vs-epsilon',
      title: 'Defence rate vs ε',
      xLabel: 'ε (pixel units)',
      yLabel: 'defence rate',
      x: [2 / 255, 4 / 255, 8 / 255, 16 / 255],
      series: [{ name: 'non-adaptive', attack: 'FGSM', mode: 'fixed-eps', y: [0.95, 0.86, 0.71, null] }],
      fixed: { K: 15, r: 0.3, seed: 7 },
    },
    {
      id: 'defence-rate-vs-K',
      title: 'Defence rate vs K',
      xLabel: 'K',
      yLabel: 'defence rate',
      x: [1, 5, 15, 30],
      series: [{ name: 'non-adaptive', attack: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', y: [0.42, 0.63, 0.71, 0.72] }],
      fixed: { r: 0.3, seed: 7 },
    },
    {
      id: 'accuracy-vs-cutoff',
      title: 'Accuracy vs low-pass cutoff',
      xLabel: 'cutoff',
      yLabel: 'accuracy',
      x: [2, 4, 6, 8, 10, 12, 14],
      series: [
        { name: 'clean', attack: null, mode: 'clean', y: [0.31, 0.62, 0.84, 0.91, 0.92, 0.92, 0.92] },
        { name: 'attacked', attack: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', y: [0.3, 0.55, 0.58, 0.55, 0.5, 0.46, 0.43] },
      ],
      fixed: {},
    },
  ],
};

export const OCCLUDED: OccludedFrequencySection = {
  kind: 'occluded-frequency',
  bands: 8,
  baseline: 'zero',
  seed: null,
  scoreOn: 'logits',
  definition:
    'Score of band b: clean logit of the predicted class − its logit after zeroing the DCT coefficients of band b (bands: equal-width rings of u + v).',
  models: [
    {
      model: '/work/main/samples/fashion-resnet.onnx',
      images: [
        {
          relPath: 't-shirt/0083.png',
          label: 0,
          predicted: 0,
          cleanLogit: 9.41,
          scores: [6.2, 3.1, 1.4, 0.6, 0.2, 0.1, -0.05, 0],
          flips: [true, true, false, false, false, false, false, false],
          previews: [
            { band: 0, path: 'of/t-shirt-0083-band0.png' },
            { band: 1, path: 'of/t-shirt-0083-band1.png' },
            { band: 2, path: 'of/t-shirt-0083-band2.png' },
          ],
        },
        {
          relPath: 'shirt/0112.png',
          label: 6,
          predicted: 0,
          cleanLogit: 4.02,
          scores: [3.9, 2.2, 1.1, 0.9, 0.3, 0.2, 0.1, 0.02],
          flips: [true, true, true, false, false, false, false, false],
        },
      ],
      perClass: CLASS_NAMES.map((_, k) =>
        k === 0
          ? { count: 1, scores: [6.2, 3.1, 1.4, 0.6, 0.2, 0.1, -0.05, 0], flipRate: [1, 1, 0, 0, 0, 0, 0, 0] }
          : k === 6
            ? { count: 1, scores: [3.9, 2.2, 1.1, 0.9, 0.3, 0.2, 0.1, 0.02], flipRate: [1, 1, 1, 0, 0, 0, 0, 0] }
            : null,
      ),
      mean: [5.05, 2.65, 1.25, 0.75, 0.25, 0.15, 0.025, 0.01],
      flipRate: [1, 1, 0.5, 0, 0, 0, 0, 0],
    },
  ],
};

export const RCT: RctSection = {
  kind: 'rct',
  epsilon: 1e-3,
  definition: 'RCT = mean over successful examples of |DCT(x′) − DCT(x)| / (|DCT(x)| + ε), channel-averaged.',
  maps: [
    { attack: 'FGSM ε=8/255 (0.0314)', mode: 'fixed-eps', count: 49, map: decayMap(8, 8, 2, 6) },
    { attack: 'DeepFool-50 L2 overshoot=0.02', mode: 'minimal-perturbation', count: 92, map: decayMap(8, 8, 0.5, 3) },
  ],
};

export const SPECTRA: SpectraSection = {
  kind: 'spectra',
  cutoff: 7,
  definition: 'Centred 2-D DFT magnitudes, channel-averaged; S_l = {|k_x|, |k_y| ≤ k_c}.',
  entries: [
    {
      attack: 'FGSM ε=8/255 (0.0314)',
      mode: 'fixed-eps',
      count: 49,
      perturbationSpectrum: decayMap(8, 8, 1, 1.5),
      logSpectrumDifference: decayMap(8, 8, 0.8, 4),
      lowFrequencyEnergyPerturbation: 0.2314,
      lowFrequencyEnergyImages: 0.9123,
    },
  ],
};

export function fixtureReport(): ReportV1 {
  return {
    schema: 'robustness-lens/report',
    schemaVersion: 1,
    id: 'a318aca8-5c36-4dbf-be10-56016e01135b',
    command: 'analyse',
    createdAt: '2026-11-22T04:53:59.108Z',
    status: 'complete',
    tool: { name: 'robustness-lens', version: '0.1.0', onnxruntime: '1.30.0', node: '20.20.2', platform: 'linux', arch: 'x64' },
    model: {
      path: '/work/main/samples/fashion-resnet.onnx',
      sha256: '117d78b58f6bdcb67443c539550e0bacbf08a61765beb8237f0ed2859fd2a9db',
      sizeBytes: 140710,
      info: {
        irVersion: 7,
        producer: 'pytorch 1.13.0',
        opsets: [{ domain: '', version: 13 }],
        inputs: [{ name: 'input', elemType: 'float32', shape: ['N', 1, 28, 28] }],
        outputs: [{ name: 'logits', elemType: 'float32', shape: ['N', 10] }],
        opHistogram: { BatchNormalization: 6, Conv: 6, Relu: 5, Add: 2, Flatten: 1, Gemm: 1, GlobalAveragePool: 1 },
        nodeCount: 22,
        parameterCount: 33594,
        parameterBytes: 135784,
        metadata: {},
        externalDataFiles: [],
        customDomainOps: [],
        imageInputs: [
          {
            name: 'input',
            elemType: 'float32',
            batch: 'dynamic',
            layout: 'NCHW',
            channels: 1,
            height: 28,
            width: 28,
            reason: 'shape [N,1,28,28]',
          },
        ],
        output: { name: 'logits', numClasses: 10, kind: 'unknown', reason: 'produced by Gemm' },
        warnings: [],
      },
      outputKind: { kind: 'logits', reason: 'row 0 has a negative value', decidedBy: 'probe' },
    },
    config: {
      file: '/work/main/samples/robustness.json',
      hash: '6e895561e0d91c768ccdd99c62ced758f19c74c21035614eb188c9d0969af03d',
      resolved: {
        preprocessing: {
          inputName: 'input',
          layout: 'NCHW',
          height: 28,
          width: 28,
          channels: 'gray',
          pixelScale: 1,
          mean: [0.287],
          std: [0.3536],
          resize: 'stretch',
          resizeFilter: 'bilinear',
          resizeShorterTo: null,
        },
        imagesDir: '/work/main/samples/images',
        labelsFile: null,
        classNames: CLASS_NAMES,
        limit: null,
        seed: 0,
        runtime: { executionProvider: 'cpu', threads: 0, batchSize: 64 },
      },
      provenance: {},
      notes: [],
    },
    dataset: {
      root: '/work/main/samples/images',
      kind: 'image-folder',
      classNames: CLASS_NAMES,
      totalImages: 100,
      sampledImages: 100,
      fingerprint: '3884c168',
      sampling: { limit: null, seed: 0, stratified: true },
      ignoredFiles: 0,
      skippedImages: [],
    },
    runtime: {
      requestedProvider: 'cpu',
      executionProvider: 'cpu',
      attempts: [{ provider: 'cpu', ok: true }],
      threads: 0,
      batchSize: 64,
      fixedBatch: null,
    },
    seeds: { sampling: 0, attack1: 0, attack2: 1000003, attack3: 2000006, attack4: 3000009, postAveraging: 7 },
    timings: { loadModel: 0.016, attacks: 4.44, defences: 120.5, frequency: 18.2 },
    sections: {
      clean: CLEAN,
      attacks: ATTACKS,
      defences: DEFENCES,
      sweeps: SWEEPS,
      occludedFrequency: OCCLUDED,
      rct: RCT,
      spectra: SPECTRA,
    },
    warnings: [],
  };
}

export function initMessage(over: Partial<InitMessage> = {}): InitMessage {
  return {
    type: 'init',
    runId: '20261122-045359-fashion-resnet',
    title: 'Robustness: fashion-resnet.onnx',
    state: 'complete',
    report: fixtureReport(),
    compareWith: null,
    resourceBase: 'https://file+.vscode-resource.vscode-cdn.net/ws/.robustness/runs/20261122-045359-fashion-resnet',
    compareResourceBase: null,
    ...over,
  };
}

/** An Explain Image Frequencies report: one image, no dataset, the original saved beside the previews. */
export function explainReport(): ReportV1 {
  const scores = [7.5, 2.25, 0.5, 0.125, 0.0625, 0.03, 0.01, 0];
  const flips = [true, false, false, false, false, false, false, false];
  const r = fixtureReport();
  return {
    ...r,
    command: 'explain',
    dataset: null,
    seeds: { sampling: 0, occludedFrequency: 104729 },
    sections: {
      occludedFrequency: {
        ...OCCLUDED,
        models: [
          {
            model: '/work/main/samples/fashion-resnet.onnx',
            images: [
              {
                relPath: '0003.png',
                label: 7,
                predicted: 7,
                cleanLogit: 11.2,
                scores,
                flips,
                confidence: 0.9731,
                file: '/ws/images/sneaker/0003.png',
                original: 'occluded-frequency/image-0-original.png',
                previews: [0, 1, 2].map((band) => ({ band, path: `occluded-frequency/image-0-band-${band}.png` })),
              },
            ],
            perClass: CLASS_NAMES.map((_, k) => (k === 7 ? { count: 1, scores, flipRate: flips.map(Number) } : null)),
            mean: scores,
            flipRate: flips.map(Number),
          },
        ],
      },
    },
  };
}
