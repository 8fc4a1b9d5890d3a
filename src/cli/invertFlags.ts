/** `invert` flags → the job's options, with messages that name the flag and what it expects. */
import { EngineError } from '../engine/errors';
import { wholeFlag, type Flags } from '../engine/defences/flags';
import type { InvertOptions } from '../engine/jobs/invertJob';

export const INVERT_FLAGS = {
  compare: { type: 'string' },
  layer: { type: 'string' },
  steps: { type: 'string' },
  'step-size': { type: 'string' },
  examples: { type: 'string' },
  out: { type: 'string' },
} as const;

export const DEFAULT_INVERT_STEPS = 200;
export const DEFAULT_INVERT_EXAMPLES = 4;

export const INVERT_USAGE = `  --compare OTHER.onnx   a second model (same input shape) inverted on the same images and starts, side by side
  --layer TENSOR         the representation g: any tensor of the graph that depends on the input (both models);
                         default: the input of each model's last Gemm/MatMul (the penultimate features)
  --steps N              projected gradient steps (default ${DEFAULT_INVERT_STEPS})
  --step-size A          first step's L2 length in [0,1] pixel units, falling to A/100 on a cosine schedule
                         (default 0.05·√(C·H·W): 1.4 at 28×28 gray)
  --examples N           x / x₀ / x_r PNGs saved per model (default ${DEFAULT_INVERT_EXAMPLES})
  --out DIR              run folder for report.json and the examples (default .robustness/runs/<time>-<model>)
  (cost: steps + 1 forward-and-backward passes per image and model; --limit N samples fewer images;
   --seed S draws the starts: each image starts from another image of the sample)`;

export function invertOptionsFromFlags(flags: Flags, outDir: string | null): InvertOptions {
  let stepSize: number | null = null;
  if (flags['step-size'] !== undefined) {
    const text = typeof flags['step-size'] === 'string' ? flags['step-size'].trim() : '';
    stepSize = Number(text);
    if (text === '' || !Number.isFinite(stepSize) || stepSize <= 0 || stepSize > 1e6)
      throw new EngineError(
        'USAGE',
        `--step-size ${String(flags['step-size'])}: expected a positive L2 length in [0,1] pixel units, e.g. --step-size 1`,
      );
  }
  const steps = wholeFlag(flags, 'steps', 1) ?? DEFAULT_INVERT_STEPS;
  if (steps > 100_000) throw new EngineError('USAGE', `--steps ${steps}: expected at most 100000`);
  const examples = wholeFlag(flags, 'examples', 0) ?? DEFAULT_INVERT_EXAMPLES;
  if (examples > 64) throw new EngineError('USAGE', `--examples ${examples}: expected at most 64`);
  const layer = flags.layer === undefined ? null : String(flags.layer);
  if (layer !== null && layer.trim() === '') throw new EngineError('USAGE', '--layer: expected a tensor name');
  const compare = flags.compare === undefined ? null : String(flags.compare);
  return { compareModelPath: compare, layer, steps, stepSize, examples, outDir };
}
