/**
 * The sanity section of a run (src/engine/eval/sanity.ts) from what the job has: its clean predictions, the
 * class names and where they came from, the model's output kind. Every job that classifies clean images
 * adds it (eval, analyse, attack and so check and the quick check); each finding is also a report warning.
 * The attack job has no clean evaluation of its own: CleanPredictionTally gathers the same evidence from the
 * scores of the batches it attacks.
 */
import { rowProbabilities, topK, type OutputKind } from '../eval/scores';
import { checkSanity, extendOutputRange, type OutputRange, type SanityEvidence } from '../eval/sanity';
import type { SanitySection } from '../report/sections';
import type { Classifier } from '../runtime/classifier';
import type { PreparedData, PreparedModel } from './prepare';

export function sanitySection(
  evidence: SanityEvidence,
  prepared: PreparedModel,
  data: PreparedData,
  classifier: Classifier,
): SanitySection {
  const classNames = prepared.config.classNames ?? data.dataset.classNames;
  return checkSanity(evidence, {
    numOutputs: Math.max(classifier.numClasses ?? 0, classNames.length),
    classNames,
    classNamesSource: prepared.config.classNames ? (prepared.config.provenance.classNames ?? 'config') : 'default',
    outputKind: classifier.outputKind,
    labelsByName: data.dataset.kind === 'image-folder',
  });
}

/** The findings' messages, for the report's warnings. */
export function sanityWarnings(section: SanitySection): string[] {
  return section.findings.map((f) => f.message);
}

/** Clean top-1, confidence, confusion cells and output range from score rows, as the clean evaluation counts them. */
export class CleanPredictionTally {
  private readonly cells = new Map<string, number>();
  private evaluated = 0;
  private correct = 0;
  private confidenceSum = 0;
  private range: OutputRange | null = null;
  private probs = new Float64Array(0);

  add(scores: Float32Array, labels: readonly number[], kind: OutputKind): void {
    const count = labels.length;
    if (count === 0) return;
    const classes = scores.length / count;
    if (this.probs.length !== classes) this.probs = new Float64Array(classes);
    this.range = extendOutputRange(this.range, scores, classes);
    for (let i = 0; i < count; i++) {
      const row = scores.subarray(i * classes, (i + 1) * classes);
      const predicted = topK(row, 1)[0];
      rowProbabilities(row, kind, this.probs);
      this.confidenceSum += this.probs[predicted];
      if (predicted === labels[i]) this.correct++;
      const key = `${labels[i]},${predicted}`;
      this.cells.set(key, (this.cells.get(key) ?? 0) + 1);
      this.evaluated++;
    }
  }

  evidence(): SanityEvidence {
    return {
      evaluated: this.evaluated,
      top1Correct: this.correct,
      meanConfidence: this.evaluated ? this.confidenceSum / this.evaluated : 0,
      confusion: null,
      confusionCells: [...this.cells].map(([key, n]) => {
        const [t, p] = key.split(',').map(Number);
        return [t, p, n] as [number, number, number];
      }),
      outputRange: this.range,
    };
  }
}
