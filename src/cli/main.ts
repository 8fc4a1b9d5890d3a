/**
 * robustness-lens: the command line over the engine.
 *   robustness-lens info <model.onnx> [--json FILE|-]
 *   robustness-lens eval <model.onnx> [--images DIR] [--config FILE] [--limit N] [--seed S] [--json FILE] [--ep cpu] …
 *   robustness-lens check <model.onnx> [--suite quick|standard] [--baseline REPORT] [--markdown FILE] [--junit FILE] …
 *   robustness-lens report <run folder | report.json> [--html FILE] [--markdown FILE|-] [--compare RUN]
 * Exit codes: 0 done, 1 the input was bad or the run failed (message says which file and why), 2 usage, 130 cancelled;
 * `check` exits 3 when a gate failed.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineError, errorText, isEngineError } from '../engine/errors';
import { loadModel } from '../engine/onnx/loadModel';
import { describeModel } from '../engine/onnx/modelInfo';
import { diagnoseModel } from '../engine/jobs/modelDiagnostics';
import { runEvalJob, type JobHooks } from '../engine/jobs/evalJob';
import type { JobRequest } from '../engine/jobs/prepare';
import type { ConfigOverrides } from '../engine/config/runConfig';
import type { ReportV1 } from '../engine/report/schema';
import { runGradcheckJob, type GradcheckSection } from '../engine/jobs/gradcheckJob';
import { runAttackJob } from '../engine/jobs/attackJob';
import { PLAN_SECTION } from '../engine/analyse/runPlan';
import type { RunPlanSection } from '../engine/report/sections';
import { sectionKind } from '../protocol/sectionKinds';
import { runPlanLines } from '../protocol/runPlan';
import { runAnalyseJob } from '../engine/jobs/analyseJob';
import { runExplainJob } from '../engine/jobs/explainJob';
import { runCertifyJob } from '../engine/jobs/certifyJob';
import type { CertificationSection } from '../protocol/certification';
import { CERTIFY_FLAGS, CERTIFY_USAGE, certifyOptionsFromFlags } from './certifyFlags';
import { certificationLines } from './formatCertify';
import { runFourierHeatmapJob } from '../engine/jobs/fourierHeatmapJob';
import type { FourierHeatmapSection } from '../engine/spectral/fourierHeatmap';
import { FOURIER_FLAGS, FOURIER_USAGE, fourierOptionsFromFlags } from './fourierFlags';
import { fourierHeatmapLines } from './formatFourier';
import { runCheckpointsJob } from '../engine/jobs/checkpointsJob';
import type { CheckpointsSection } from '../protocol/checkpoints';
import { CHECKPOINT_FLAGS, CHECKPOINT_USAGE, checkpointOptionsFromFlags } from './checkpointsFlags';
import { checkpointsLines } from './formatCheckpoints';
import { runInvertJob } from '../engine/jobs/invertJob';
import type { InversionSection } from '../engine/spectral/featureInversion';
import { INVERT_FLAGS, INVERT_USAGE, invertOptionsFromFlags } from './invertFlags';
import { inversionLines } from './formatInversion';
import { runFolder } from './runFolder';
import { DEFENCES } from '../engine/defences';
import { ANALYSE_FLAGS, EXPLAIN_FLAGS, analyseOptionsFromFlags, explainOptionsFromFlags } from './analyseFlags';
import { formatFrequency } from './formatAnalyse';
import { attackFlagSpec, attackOptionsFromFlags, attackUsage } from './attackFlags';
import { writeFileAtomic } from '../engine/util/atomicWrite';
import { TOOL_VERSION } from '../engine/version';
import { COMMON_FLAG_SPEC, SHARD_FLAG_SPEC, overridesFromFlags, refuseShard, shardRequest } from './flags';
import { mergeCommand, MERGE_USAGE } from './merge';
import { stringifyReport } from '../engine/report/reportJson';
import { formatAttackReport, formatEvalReport, formatSections, formatGradcheck, formatModelInfo, sanityBanner } from './format';
import { ProgressLine } from './progressLine';
import { CHECK_FLAG_SPEC, CHECK_USAGE, GATE_FAILED_EXIT, checkOutcome, planCheck, writeCheckOutputs } from './check';
import { gateLines, passedAll } from '../engine/gates/summaries';
import { computeInputGradients } from '../engine/jobs/gradientsJob';
import { runDoctor } from '../engine/runtime/doctor';
import { formatDoctor } from './formatDoctor';
import { REPORT_FLAG_SPEC, REPORT_USAGE, reportCommand, webviewAssetDirs, writeHtmlReport } from './reportOutput';
import { readWebviewAssets } from '../host/htmlReport';
import {
  GRADIENTS_FLAG_SPEC,
  GRADIENTS_USAGE,
  compareWithReference,
  outputPaths,
  parseLoss,
  parseTarget,
  writeGradients,
} from './gradients';

const USAGE = () => `robustness-lens ${TOOL_VERSION} — adversarial robustness of ONNX image classifiers

usage:
  robustness-lens info <model.onnx> [--images DIR] [--json FILE|-]
  robustness-lens eval <model.onnx> [--images DIR] [--json FILE|-] [options]
  robustness-lens attack <model.onnx> [--images DIR] (--attack NAME … | --suite standard | --suite autoattack [--version standard|rand]) [attack options] [options]
  robustness-lens check <model.onnx> [--suite quick|standard] [--baseline REPORT.json] [check options] [options]
  robustness-lens analyse <model.onnx> [--images DIR] [analyse options] [options]
  robustness-lens defend <model.onnx> [--images DIR] --defence lowpass|post-averaging [analyse options] [options]
  robustness-lens explain <model.onnx> --image FILE [--compare OTHER.onnx] [--baseline zero|noise] [--of-band-group N] [--out DIR]
  robustness-lens gradients <model.onnx> [--images DIR] [--loss ce|margin|logit:K] [--target label|predicted] [--out FILE.npy] [--against REF.npy]
  robustness-lens certify <model.onnx> [--images DIR] [--sigma 0.25,0.5] [--n0 100] [--n 100000] [--alpha 0.001] [--preset full|fast] [--attack-radii 0.25,0.5] [--no-attack] [options]
  robustness-lens fourier-heatmap <model.onnx> [--images DIR] [--eps E] [--grid N] [--defence LIST] [--cutoff K] [options]
  robustness-lens checkpoints <folder> [--images DIR] [--norm l2|linf] [--eps E] [--steps N] [--cache DIR | --no-cache] [options]
                         robustness along training: every .onnx checkpoint of the folder, on the same images
  robustness-lens invert <model.onnx> [--compare OTHER.onnx] [--images DIR] [--layer TENSOR] [--steps N] [--seed S] [options]
  robustness-lens gradcheck <model.onnx> [--images DIR] [--limit N] [--step H] [--directions K] [--reference auto|float32] [--gradient analytic|estimated] [options]
  robustness-lens doctor [--model FILE] [--ep NAME] [--json FILE|-]   which execution providers work here, and why not
  robustness-lens report <run folder | report.json> [--html FILE] [--markdown FILE|-] [--compare RUN] [--max-image-bytes N]
  robustness-lens merge <shard report.json…> --out DIR   one report from the shards of an eval, attack or analyse run

options (override the configuration: <model>.robustness.json beside the model, else robustness.json there or above):
  --config FILE          configuration file (default: <model>.robustness.json, else robustness.json beside or above the model)
  --images DIR           image folder (one subfolder per class, or flat with --labels)
  --labels FILE          class names (.txt, JSON array) or per-image labels (CSV file,label / JSON)
  --class-names a,b,…    class names in logit order
  --input NAME           which model input receives the images
  --layout L             NCHW | NHWC | NHW | flat
  --size H[,W]           image size fed to the model
  --channels C           gray | rgb | bgr
  --pixel-scale S        1 (pixels/255 in [0,1]) | 255
  --mean m[,m,m]         per-channel mean, in pixel-scale units
  --std s[,s,s]          per-channel std
  --resize MODE          stretch | center-crop | shorter-side-crop | none
  --filter F             nearest | bilinear | bicubic | lanczos | area
  --ep EP                execution provider: auto | cpu | cuda | dml | coreml | webgpu (one that cannot run here
                         falls back to cpu, with a warning in the report)
  --ep-strict            fail instead of falling back when --ep's provider cannot run
  --threads N            intra-op threads (0 = onnxruntime default)
  --batch N              images per inference call
  --limit N              evaluate a stratified, seeded sample of N images
  --seed S               seed of the sample (default 0)
  --shard i/n            eval, attack, analyse: run only shard i (0-based) of n: the sample's images at positions p with
                         p mod n = i; without it, JOB_COMPLETION_INDEX/JOB_COMPLETIONS (Kubernetes Indexed Job) or
                         SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm array) pick the shard when set
  --json FILE            write the JSON report there ("-" = standard output)
  --html FILE            eval, attack, check, analyse, defend, explain, certify: also write the report as one self-contained
                         HTML file (what the panel shows, images of the run folder embedded; see report)
  --step H               gradcheck: first finite-difference step, RMS per pixel in [0,1] units (default 1e-3; 1e-5 with a float64 reference)
  --directions K         gradcheck: random directions per image (default 8)
  --reference R          gradcheck: auto (a float64 copy of the graph where onnxruntime runs it, default) | float32
  --gradient G           analytic (the gradient model, default) | estimated (forward-only NES fallback)

attack options:
${attackUsage()}
  --criterion C          top1 (default) | top5: success = the label leaves the top-1 / top-5
  --targeted T           a class index or name, or least-likely (default: untargeted)
  --gallery N            successful examples saved as PNG per attack (default 8)
  --eps-list E1,E2,…     robust accuracy against ε (e.g. 1/255,2/255,4/255,8/255): each fixed-ε attack is run again at
                         every ε; minimal-ε and minimal-perturbation attacks' curves follow from their per-image ε
  --out DIR              run folder for report.json and the gallery (default .robustness/runs/<time>-<model>)
  --quiet                no progress line

merge options (see "Scale out" in the README: which fields are exact):
${MERGE_USAGE}

report options (a finished run as a file to share; nothing is run):
${REPORT_USAGE}

check options (CI gates: runs the suite and compares it with the "gates" of robustness.json):
${CHECK_USAGE}

${GRADIENTS_USAGE}
  --out DIR              run folder, as attack writes it
  --quiet                no progress line

fourier-heatmap options (Yin et al. 2019: top-1 error under ±ε·U(k), the Fourier basis of each frequency k):
${FOURIER_USAGE}
  --quiet                no progress line

checkpoints options (per checkpoint: clean accuracy, FGM and PGD robust accuracy at one ε, τ(δ) against τ(x)):
${CHECKPOINT_USAGE}
  --json FILE            write the JSON report there ("-" = standard output)
  --html FILE            also write the report as one self-contained HTML file (the panel's charts)
  --quiet                no progress line

invert options (feature inversion, Ilyas et al. 2019: x_r = argmin ‖g(x_r) − g(x)‖² from another image x₀; the
|DCT(x_r − x₀)| map and its low/mid/high-frequency shares):
${INVERT_USAGE}
  --quiet                no progress line

certify options (randomized smoothing, Cohen et al. 2019: certified L2 radius per image and noise level σ):
${CERTIFY_USAGE}
  --quiet                no progress line

analyse / defend options (analyse = clean eval + attack suite + both defences with adaptive numbers + Occluded
Frequency + RCT + spectra + sweeps; defend = the named defences and attacks only):
  --preset P             full (default) | fast (shorter suite and grids)
  --defence D            ${DEFENCES.map((d) => d.cli.flagValue).join(' | ')} (repeat; default all)
  --attack NAME          attacks of the suite (repeat; default: the preset's suite, fixed-ε and minimal-ε)
  --eps E[,E…]           L∞ ε list: the first for fixed-ε attacks, all for the ε sweep (default 8/255)
${DEFENCES.flatMap((d) => d.cli.usage.map(([flag, text]) => `  ${flag.padEnd(22)} ${text}`)).join('\n')}
  --adaptive-images N    correctly classified images re-attacked adaptively and used for the ε sweep
  --adaptive A           the adaptive attack against each defence: pgd (default, PGD-10) | apgd-ce (APGD-CE-10,
                         AutoAttack's first attack at the same cost; EOT through post-averaging) | autoattack (the
                         AutoAttack ensemble as a cascade per image: standard's APGD-CE, APGD-T, Square through
                         low-pass, rand's APGD-CE, APGD-DLR with EOT through post-averaging). With --budget and no
                         --adaptive: the strongest of autoattack, apgd-ce, pgd whose run fits the budget
  --of-images N          images explained by Occluded Frequency
  --of-band-group N      adjacent DCT bands Occluded Frequency ablates together (an image costs ⌈bands/N⌉ passes;
                         default 1 up to 64 bands, i.e. 64×64 images, else ⌈bands/64⌉: 4 for 224×224; --budget may
                         raise the default, never a given N)
  --examples N           example PNGs saved per attack for the per-image table (default: all for images up to
                         64×64, else 32; 0 = none)
  --baseline B           Occluded Frequency ablation: zero (default) | noise
  --criterion C          top1 | top5
  --budget D             wall-clock budget (90s, 10m, 1h30m): the run is planned to fit it (fewer EOT samples,
                         Occluded Frequency band groups, then images, ε-sweep points, attack steps, then images, in
                         that order) and
                         stops at it with the finished sections; the plan and estimate print before it starts
  --eot-samples N        post-averaging points each adaptive EOT step averages over (≥ 2, at most 6K+1;
                         default: all for a cheap model, fewer when a step would cost over 1 s of gradient per image)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE());
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  switch (command) {
    case 'info':
      return infoCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'gradcheck':
      return gradcheckCommand(rest);
    case 'gradients':
      return gradientsCommand(rest);
    case 'attack':
      return attackCommand(rest);
    case 'check':
      return checkCommand(rest);
    case 'analyse':
    case 'analyze':
      return analyseCommand(rest, 'analyse');
    case 'defend':
      return analyseCommand(rest, 'defend');
    case 'explain':
      return explainCommand(rest);
    case 'certify':
      return certifyCommand(rest);
    case 'fourier-heatmap':
      return fourierHeatmapCommand(rest);
    case 'checkpoints':
      return checkpointsCommand(rest);
    case 'invert':
      return invertCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'merge':
      return mergeCommand(parse(rest, { out: { type: 'string' }, quiet: { type: 'boolean' } }));
    case 'report': {
      const { values, positionals } = parse(rest, REPORT_FLAG_SPEC);
      return reportCommand(values, positionals);
    }
    default:
      throw new EngineError(
        'USAGE',
        `unknown command "${command}" (commands: info, eval, attack, check, analyse, defend, explain, certify, fourier-heatmap, checkpoints, invert, report, merge, gradients, gradcheck, doctor; see robustness-lens --help)`,
      );
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new EngineError('USAGE', `${(e as Error).message} (see robustness-lens --help)`);
  }
}

function oneModel(positionals: string[], command: string): string {
  if (positionals.length !== 1) {
    throw new EngineError(
      'USAGE',
      `${command} takes exactly one model file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  return positionals[0];
}

/** With the JSON report on standard output, a failed sanity check still reaches the terminal (on stderr). */
function sanityToStderr(report: ReportV1, json: unknown): void {
  const { lines } = sanityBanner(report);
  if (json === '-' && lines.length) process.stderr.write(lines.join('\n') + '\n');
  // the provider fallback, too: a user who asked for a GPU learns at once that the run used the CPU
  if (json === '-' && report.runtime?.fallback) process.stderr.write(`warning: ${report.runtime.fallback}\n`);
}

/**
 * `--html FILE`: the report as one self-contained HTML file, its images from the run folder (none without one).
 * The line about it goes to stderr when stdout carries the JSON report.
 */
function emitHtml(target: unknown, report: ReportV1, outDir: string | null | undefined, json: unknown): void {
  if (typeof target !== 'string') return;
  const dir = outDir ? resolve(outDir) : null;
  const line = writeHtmlReport(target, { runId: dir ? dir.replace(/^.*[\\/]/, '') : report.id, report, dir });
  (json === '-' ? process.stderr : process.stdout).write(line + '\n');
}

/** `--html` needs the panel's bundle: missing, it is an error before the run, not after it. */
function htmlPossible(target: unknown): void {
  if (typeof target === 'string') readWebviewAssets(webviewAssetDirs());
}

function emitJson(target: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2) + '\n';
  if (target === '-') process.stdout.write(text);
  else writeFileAtomic(resolve(target), text);
}

/** The bundled sample (samples/fashion-resnet.onnx): beside dist/ when bundled, two folders up under tsx. */
function bundledSample(): string | null {
  for (const up of [['..'], ['..', '..']]) {
    const path = resolve(__dirname, ...up, 'samples', 'fashion-resnet.onnx');
    if (existsSync(path)) return path;
  }
  return null;
}

async function doctorCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: 'string' },
    model: { type: 'string' },
    ep: { type: 'string', multiple: true },
    threads: { type: 'string' },
  });
  if (positionals.length)
    throw new EngineError('USAGE', `doctor takes no positional arguments, got ${positionals.join(' ')} (use --model FILE)`);
  const model = values.model ?? bundledSample();
  const threads = values.threads === undefined ? 0 : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 0) throw new EngineError('USAGE', `--threads ${values.threads}: expected a whole number ≥ 0`);
  const report = await runDoctor({
    gradientModel: model,
    gradientNote: 'the bundled sample samples/fashion-resnet.onnx was not found; pass --model FILE',
    threads,
    ...(values.ep?.length
      ? {
          providers: values.ep
            .flatMap((e) => e.split(','))
            .map((e) => e.trim())
            .filter(Boolean),
        }
      : {}),
  });
  if (values.json !== undefined) emitJson(values.json, report);
  if (values.json !== '-') process.stdout.write(formatDoctor(report) + '\n');
  // CPU is what every run can fall back to: doctor fails only when even that does not work.
  return report.cpuWorks ? 0 : 1;
}

async function infoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'string' }, images: { type: 'string' }, labels: { type: 'string' } });
  const model = await loadModel(oneModel(positionals, 'info'));
  const info = describeModel(model);
  const diagnostics = await diagnoseModel(model, info, {
    ...(values.images ? { imagesDir: values.images } : {}),
    ...(values.labels ? { labelsFile: values.labels } : {}),
  });
  if (values.json !== undefined) emitJson(values.json, { ...info, diagnostics });
  if (values.json !== '-') process.stdout.write(formatModelInfo(info, diagnostics) + '\n');
  return 0;
}

function jobRequest(modelPath: string, configPath: string | undefined, overrides: ConfigOverrides, shard?: unknown): JobRequest {
  return { modelPath, ...(configPath ? { configPath } : {}), overrides, ...(shard !== undefined ? shardRequest(shard) : {}) };
}

/**
 * Runs a job with a progress line and Ctrl-C handling: the first Ctrl-C stops after the current batch
 * (the job still returns its report, marked partial); a second one quits at once.
 */
async function withCancellation(
  showProgress: boolean,
  run: (hooks: JobHooks, progress: ProgressLine) => Promise<ReportV1>,
): Promise<ReportV1> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling after the current batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = new ProgressLine(showProgress);
  try {
    return await run({ signal: controller.signal, onProgress: (p) => progress.update(p), onLog: (l) => progress.log(l) }, progress);
  } finally {
    progress.done();
    process.off('SIGINT', onSigint);
  }
}

async function evalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...SHARD_FLAG_SPEC,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const modelPath = oneModel(positionals, 'eval');
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const request = jobRequest(modelPath, values.config, overrides, values.shard ?? null);
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) => runEvalJob(request, hooks));
  if (values.json !== undefined) emitJson(values.json, report);
  sanityToStderr(report, values.json);
  if (values.json !== '-') {
    process.stdout.write(formatEvalReport(report) + '\n');
    if (values.json) process.stdout.write(`report     ${resolve(values.json)}\n`);
  }
  emitHtml(values.html, report, undefined, values.json);
  return report.status === 'partial' ? 130 : 0;
}

async function gradcheckCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    json: { type: 'string' },
    step: { type: 'string' },
    directions: { type: 'string' },
    reference: { type: 'string' },
    gradient: { type: 'string' },
  });
  const modelPath = oneModel(positionals, 'gradcheck');
  const overrides = overridesFromFlags(values);
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !(step > 0 && step < 1))
    throw new EngineError('USAGE', `--step ${values.step}: expected a number between 0 and 1 (pixel units)`);
  const directions = values.directions === undefined ? undefined : Number(values.directions);
  if (directions !== undefined && !(Number.isInteger(directions) && directions >= 2))
    throw new EngineError('USAGE', `--directions ${values.directions}: expected a whole number of at least 2`);
  if (values.reference !== undefined && values.reference !== 'auto' && values.reference !== 'float32') {
    throw new EngineError('USAGE', `--reference ${values.reference}: expected auto or float32`);
  }
  if (values.gradient !== undefined && values.gradient !== 'analytic' && values.gradient !== 'estimated') {
    throw new EngineError('USAGE', `--gradient ${values.gradient}: expected analytic or estimated`);
  }
  const report = await runGradcheckJob(
    jobRequest(modelPath, values.config, overrides),
    {
      ...(step !== undefined ? { step } : {}),
      ...(directions !== undefined ? { directions } : {}),
      ...(values.reference ? { reference: values.reference } : {}),
      ...(values.gradient ? { gradient: values.gradient } : {}),
    },
    { onLog: (l) => process.stderr.write(`${l}\n`) },
  );
  if (values.json !== undefined) emitJson(values.json, report);
  const section = report.sections.gradcheck as GradcheckSection;
  if (values.json !== '-') process.stdout.write(formatGradcheck(report, section) + '\n');
  // Only a difference well above the noise floor fails; INCONCLUSIVE says so in words but is not an error.
  return section.gradient === 'estimated' || section.verdict !== 'DISAGREE' ? 0 : 1;
}

/** Attack-parameter flags come from the attack catalog. */
const ATTACK_FLAGS = attackFlagSpec();

async function attackCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...SHARD_FLAG_SPEC,
    ...ATTACK_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  } as never) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  const modelPath = oneModel(positionals, 'attack');
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const options = attackOptionsFromFlags(values, modelPath);
  const config = typeof values.config === 'string' ? values.config : undefined;
  const request = jobRequest(modelPath, config, overrides, values.shard ?? null);
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) => runAttackJob(request, options, hooks));
  if (options.outDir) writeFileAtomic(resolve(options.outDir, 'report.json'), stringifyReport(report) + '\n');
  if (typeof values.json === 'string') emitJson(values.json, report);
  sanityToStderr(report, values.json);
  if (values.json !== '-') {
    process.stdout.write(formatAttackReport(report) + '\n');
    if (options.outDir) process.stdout.write(`run        ${resolve(options.outDir)}\n`);
  }
  emitHtml(values.html, report, options.outDir, values.json);
  return report.status === 'partial' ? 130 : 0;
}

async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...COMMON_FLAG_SPEC, ...SHARD_FLAG_SPEC, ...CHECK_FLAG_SPEC, html: { type: 'string' } });
  refuseShard(values.shard, 'check');
  const modelPath = oneModel(positionals, 'check');
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const plan = planCheck(values, modelPath);
  const started = Date.now();
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) =>
    runAttackJob(jobRequest(modelPath, plan.configFile, overrides), plan.options, hooks),
  );
  // A cancelled run measured only some images (perhaps none): its gates are not evaluated.
  const outcome = report.status === 'partial' ? null : checkOutcome(plan, report);
  // The report keeps its attack sections as `attack` writes them; the gates are one more section.
  const gated: ReportV1 = outcome ? { ...report, sections: { ...report.sections, gates: { kind: 'gates', ...outcome } } } : report;
  if (plan.options.outDir) writeFileAtomic(resolve(plan.options.outDir, 'report.json'), stringifyReport(gated) + '\n');
  if (values.json !== undefined) emitJson(values.json, gated);
  sanityToStderr(report, values.json);
  const warnings = outcome ? writeCheckOutputs(outcome, values, (Date.now() - started) / 1000) : [];
  if (values.json !== '-') {
    const gates = outcome ? gateLines(outcome) : ['gates      not evaluated: the run was cancelled (no Markdown or JUnit written)'];
    process.stdout.write([formatAttackReport(report), '', ...gates].join('\n') + '\n');
    if (plan.options.outDir) process.stdout.write(`run        ${resolve(plan.options.outDir)}\n`);
  }
  emitHtml(values.html, gated, plan.options.outDir, values.json);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (!outcome) return 130;
  return passedAll(outcome) ? 0 : GATE_FAILED_EXIT;
}

async function analyseCommand(args: string[], command: 'analyse' | 'defend'): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...SHARD_FLAG_SPEC,
    ...ANALYSE_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  } as never) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  if (command === 'defend') refuseShard(values.shard, command);
  const modelPath = oneModel(positionals, command);
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const options = analyseOptionsFromFlags(values, modelPath, command);
  // The budget counts from the command's start: the seconds spent starting up are already gone.
  if (options.budgetSeconds !== undefined) options.budgetSeconds = Math.max(0.001, options.budgetSeconds - performance.now() / 1000);
  const config = typeof values.config === 'string' ? values.config : undefined;
  const request = jobRequest(modelPath, config, overrides, command === 'analyse' ? (values.shard ?? null) : undefined);
  // Each shard would plan its own reductions (images, steps, grids): shards of different plans cannot merge exactly.
  if (request.shard && options.budgetSeconds !== undefined)
    throw new EngineError(
      'USAGE',
      `--budget and a shard (${request.shard.index}/${request.shard.count}) do not go together: each shard would plan its own reductions, and the merge needs one configuration`,
      {
        hint: 'shard the run without --budget (a shard is the budget: n shards each take 1/n of the images), or run it unsharded with --budget',
      },
    );
  // The plan (the probe's costs, the estimate per stage, a budget's reductions) before the first stage runs.
  const planOut = values.json === '-' ? process.stderr : process.stdout;
  let planPrinted = false;
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks, progress) =>
    runAnalyseJob(request, options, {
      ...hooks,
      onSection: (name, section) => {
        if (name !== PLAN_SECTION || values.quiet || sectionKind(section) !== 'run-plan') return;
        progress.done();
        const plan = section as RunPlanSection;
        // Printed once at the start (the ETA starts from it); a re-plan after pass 1 (replan.ts) adds its own line.
        if (!planPrinted) {
          if (!plan.stopped) planOut.write(runPlanLines(plan).join('\n') + '\n');
          progress.usePlan(plan);
        } else if (plan.replanned && !plan.stopped)
          planOut.write(
            runPlanLines(plan)
              .filter((l) => l.startsWith('  replan'))
              .join('\n') + '\n',
          );
        planPrinted = true;
      },
    }),
  );
  const plan = report.sections[PLAN_SECTION] as RunPlanSection | undefined;
  if (options.outDir) writeFileAtomic(resolve(options.outDir, 'report.json'), stringifyReport(report) + '\n');
  if (typeof values.json === 'string') emitJson(values.json, report);
  sanityToStderr(report, values.json);
  if (values.json !== '-') {
    process.stdout.write(
      [
        formatAttackReport(report, { flags: false }),
        ...formatSections(report, ['defences', 'sweeps', 'occluded-frequency', 'rct', 'spectra', 'flags', 'per-image']),
        ...(plan?.stopped ? [`budget     ${plan.stopped.note}`] : []),
      ].join('\n') + '\n',
    );
    if (options.outDir) process.stdout.write(`run        ${resolve(options.outDir)}\n`);
  }
  emitHtml(values.html, report, options.outDir, values.json);
  if (values.json === '-' && plan?.stopped) process.stderr.write(`warning: ${plan.stopped.note}\n`);
  // Stopped at the budget is the run asked for (exit 0); a Ctrl-C is a cancel (130).
  return report.status === 'partial' && !plan?.stopped ? 130 : 0;
}

async function gradientsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...COMMON_FLAG_SPEC, ...GRADIENTS_FLAG_SPEC });
  const modelPath = oneModel(positionals, 'gradients');
  const loss = parseLoss(values.loss);
  const target = parseTarget(values.target);
  outputPaths(values.out); // a bad --out is a usage error before anything runs
  const { limit, ...overrides } = overridesFromFlags(values);
  const progress = new ProgressLine(!values.quiet);
  const result = await computeInputGradients(jobRequest(modelPath, values.config, overrides), {
    loss,
    target,
    ...(limit !== undefined ? { limit } : {}),
    onProgress: (p) => progress.update(p),
  }).finally(() => progress.done());
  const lines = writeGradients(result, loss, target, values.out);
  if (values.against !== undefined) lines.push(...compareWithReference(result, values.against));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

async function explainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...EXPLAIN_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
  } as never) as {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
  };
  const modelPath = oneModel(positionals, 'explain');
  htmlPossible(values.html);
  const options = explainOptionsFromFlags(values, modelPath);
  const config = typeof values.config === 'string' ? values.config : undefined;
  const report = await withCancellation(false, (hooks) =>
    runExplainJob(jobRequest(modelPath, config, overridesFromFlags(values)), options, hooks),
  );
  if (options.outDir) writeFileAtomic(resolve(options.outDir, 'report.json'), stringifyReport(report) + '\n');
  if (typeof values.json === 'string') emitJson(values.json, report);
  if (values.json !== '-') {
    process.stdout.write([...formatFrequency(report), ...report.warnings.map((w) => `note: ${w}`)].join('\n') + '\n');
    if (options.outDir) process.stdout.write(`run        ${resolve(options.outDir)}\n`);
  }
  emitHtml(values.html, report, options.outDir, values.json);
  return 0;
}

/**
 * The end of a job command that writes a run folder (certify, fourier-heatmap, invert, checkpoints): report.json,
 * `--json`, the sanity findings on stderr, `--html`, then on stdout the sanity banner first (a result that looks like
 * a class-order or preprocessing mistake says so before its figures), the section's lines, an interrupted run's
 * status, the other warnings and the run folder. Exit 130 for a cancelled (partial) run.
 */
function finishJobCommand(
  report: ReportV1,
  values: { json?: unknown; html?: unknown },
  outDir: string,
  body: { lines: string[]; interrupted: string; keepWarning?: (w: string) => boolean },
): number {
  writeFileAtomic(resolve(outDir, 'report.json'), stringifyReport(report) + '\n');
  if (values.json !== undefined) emitJson(values.json as string, report);
  sanityToStderr(report, values.json);
  emitHtml(values.html, report, outDir, values.json);
  if (values.json !== '-') {
    const banner = sanityBanner(report);
    const lines = [...banner.lines, ...body.lines];
    if (report.status !== 'complete') lines.push(`status: ${report.status.toUpperCase()} — interrupted; ${body.interrupted}`);
    for (const w of banner.otherWarnings) if (body.keepWarning?.(w) ?? true) lines.push(`warning: ${w}`);
    lines.push(`run        ${resolve(outDir)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return report.status === 'partial' ? 130 : 0;
}

async function fourierHeatmapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...FOURIER_FLAGS,
    json: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const modelPath = oneModel(positionals, 'fourier-heatmap');
  const overrides = overridesFromFlags(values);
  const options = fourierOptionsFromFlags(values);
  const outDir = runFolder(modelPath, values);
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) =>
    runFourierHeatmapJob(jobRequest(modelPath, values.config, overrides), options, hooks),
  );
  return finishJobCommand(report, values, outDir, {
    lines: [`model      ${report.model.path}`, ...fourierHeatmapLines(report.sections.fourierHeatmap as FourierHeatmapSection)],
    interrupted: 'the map holds the cells finished',
  });
}

async function invertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...INVERT_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const modelPath = oneModel(positionals, 'invert');
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const outDir = runFolder(modelPath, values);
  const options = invertOptionsFromFlags(values, resolve(outDir));
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) =>
    runInvertJob(jobRequest(modelPath, values.config, overrides), options, hooks),
  );
  return finishJobCommand(report, values, outDir, {
    lines: [`model      ${report.model.path}`, ...inversionLines(report.sections.inversion as InversionSection)],
    interrupted: 'the figures hold the models finished',
  });
}

async function checkpointsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...CHECKPOINT_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length !== 1)
    throw new EngineError(
      'USAGE',
      `checkpoints takes exactly one folder of .onnx checkpoints, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  const folder = positionals[0];
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const options = checkpointOptionsFromFlags(values, folder);
  const outDir = runFolder(folder.replace(/[\\/]+$/, ''), values);
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) =>
    runCheckpointsJob(jobRequest(folder, values.config, overrides), options, hooks),
  );
  // The newest checkpoint's sanity findings (class order, preprocessing) come first, as every run's; the
  // checkpoints not analysed are in the table already, so their warnings are not repeated.
  return finishJobCommand(report, values, outDir, {
    lines: checkpointsLines(report.sections.checkpoints as CheckpointsSection),
    interrupted: 'the checkpoints finished are kept (and cached)',
    keepWarning: (w) => !w.startsWith('checkpoint '),
  });
}

async function certifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...COMMON_FLAG_SPEC,
    ...CERTIFY_FLAGS,
    json: { type: 'string' },
    html: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const modelPath = oneModel(positionals, 'certify');
  htmlPossible(values.html);
  const overrides = overridesFromFlags(values);
  const options = certifyOptionsFromFlags(values);
  const outDir = runFolder(modelPath, values);
  const report = await withCancellation(!values.quiet && values.json !== '-', (hooks) =>
    runCertifyJob(jobRequest(modelPath, values.config, overrides), options, hooks),
  );
  return finishJobCommand(report, values, outDir, {
    lines: [`model      ${report.model.path}`, ...certificationLines(report.sections.certification as CertificationSection)],
    interrupted: 'figures cover the images finished',
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${errorText(e)}\n`);
    if (!isEngineError(e) && e instanceof Error && e.stack && process.env.ROBUSTNESS_LENS_DEBUG) process.stderr.write(`${e.stack}\n`);
    if (!isEngineError(e))
      process.stderr.write('(this is a bug in robustness-lens: set ROBUSTNESS_LENS_DEBUG=1 for the stack trace and report it)\n');
    process.exitCode = isEngineError(e) && e.code === 'USAGE' ? 2 : isEngineError(e) && e.code === 'CANCELLED' ? 130 : 1;
  },
);
