/**
 * The CLI's summary opens with the verdict (the same lines as the panel's headline) and says what the run
 * used: preprocessing, class order and dataset with where each came from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAttackReport, formatEvalReport, summaryLines } from '../../src/cli/format';
import { reportVerdict, verdictLines } from '../../src/protocol/verdict';
import type { ReportV1 } from '../../src/engine/report/schema';
import { fixtureReport } from '../webview/fixtures';

function report(): ReportV1 {
  const r = fixtureReport();
  r.config.provenance = {
    'input.layout': 'inferred',
    'input.size': 'inferred',
    'input.channels': 'inferred',
    'input.pixelScale': 'default',
    'input.mean': 'config',
    'input.std': 'config',
    'input.resize': 'default',
    classNames: 'default',
  };
  return r;
}

test('the attack report text opens with the verdict, the same sentences as the panel, before any attack', () => {
  const r = report();
  const text = formatAttackReport(r);
  const lines = text.split('\n');
  assert.equal(lines[0], 'model      /work/main/samples/fashion-resnet.onnx');
  assert.equal(lines[1], 'verdict');
  const verdictBlock = lines.slice(2, lines.indexOf('', 2)).join(' ');
  const flattened = verdictBlock.replace(/\s+/g, ' ');
  for (const l of verdictLines(reportVerdict(r))) assert.ok(flattened.includes(l.text), `the CLI says: ${l.text}`);
  assert.ok(text.indexOf('Robust accuracy 43.0% under FGSM') < text.indexOf('\nFGSM ε=8/255 (0.0314) — fixed ε, seed 0'));
  assert.ok(!/Robust accuracy 12\.0%/.test(text), 'the query-limited SimBA (12.0%) is not the headline');
  assert.match(text, /^SimBA-DCT ε=0\.2 10000 queries — query-limited \(black-box\), seed 3000009$/m, 'modes in words');
  assert.match(text, /^PGD-10 L∞ ε=8\/255 \(0\.0314\) \(minimal ε\) — minimal ε, seed 1000003$/m);
});

test('the summary says what the run used: preprocessing, class order and dataset, with their provenance', () => {
  const lines = summaryLines(report());
  const after = (label: string) => {
    const i = lines.findIndex((l) => l.startsWith(`${label.padEnd(10)} `));
    assert.ok(i >= 0, `a ${label} line in ${JSON.stringify(lines)}`);
    let text = lines[i].slice(11);
    for (let k = i + 1; k < lines.length && lines[k].startsWith(' '.repeat(11)); k++) text += ` ${lines[k].trim()}`;
    return text;
  };
  assert.equal(
    after('preprocess'),
    'input "input", NCHW, 28×28, gray (inferred from the model); pixels 0–1 (default); mean 0.287, std 0.3536 (robustness.json); resize stretched (bilinear) (default)',
  );
  assert.equal(
    after('classes'),
    '10, logits in this order (alphabetical folder order, as torchvision ImageFolder): t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle-boot',
  );
  assert.equal(after('config'), '/work/main/samples/robustness.json');
  assert.equal(after('images'), '/work/main/samples/images: 100 of 100 images, fingerprint 3884c168…');
  for (const l of lines) assert.ok(l.length <= 100, `wrapped at 100 columns: ${l}`);
});

test('eval prints the class order and where it came from', () => {
  const r = report();
  r.config.provenance.classNames = 'inferred';
  assert.match(formatEvalReport(r), /^classes {4}10, logits in this order \(from the model's metadata\): t-shirt, trouser/m);
});

test('a thousand classes are summarised, not listed: the first 19, the last, and where the rest are', () => {
  const r = report();
  const names = Array.from({ length: 1000 }, (_, i) => `c${i}`);
  if (r.dataset) r.dataset.classNames = names;
  r.config.resolved.classNames = names;
  const text = formatEvalReport(r).replace(/\n {11}/g, ' ');
  assert.match(text, /^classes {4}1000, logits in this order \([^)]*\): c0, c1, .*, c18, …, c999 \(the report lists all 1000\)$/m);
  assert.ok(!text.includes('c19,'), 'the 20th name is left to the report');
});
