import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { REPO_ROOT } from '../helpers/shared';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { svg?: string; image?: string; altText: string };
  completionEvents?: string[];
}
interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string }[]>;
    walkthroughs: { id: string; title: string; steps: Step[] }[];
  };
}
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const commands = new Set(manifest.contributes.commands.map((c) => c.command));
const views = new Set(Object.values(manifest.contributes.views).flatMap((v) => v.map((x) => x.id)));
const walkthrough = manifest.contributes.walkthroughs.find((w) => w.id === 'robustnessLens.gettingStarted');

describe('the Get Started walkthrough', () => {
  it('has four steps in order: open a model, set it up, analyse, read the panels', () => {
    assert.ok(walkthrough, 'contributes.walkthroughs has robustnessLens.gettingStarted');
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['openModel', 'setUp', 'analyse', 'readPanels'],
    );
    assert.ok(commands.has('robustnessLens.gettingStarted'), 'a palette command reopens it');
  });

  it('gives each step exactly one action, a contributed command, and completes on it', () => {
    for (const step of walkthrough!.steps) {
      const links = [...step.description.matchAll(/\]\(command:([\w.]+)\)/g)].map((m) => m[1]);
      assert.equal(links.length, 1, `${step.id}: ${links.join(', ')}`);
      assert.ok(commands.has(links[0]), `${step.id}: ${links[0]} is a contributed command`);
      assert.ok(step.completionEvents?.includes(`onCommand:${links[0]}`), `${step.id} completes when its action runs`);
      for (const e of step.completionEvents ?? []) {
        const [kind, target] = e.split(':');
        if (kind === 'onCommand') assert.ok(commands.has(target), `${step.id}: ${e}`);
        else if (kind === 'onView') assert.ok(views.has(target), `${step.id}: ${e}`);
        else assert.fail(`${step.id}: unexpected completion event ${e}`);
      }
    }
  });

  it('illustrates each step with a theme-aware SVG: every colour is a VS Code theme variable', () => {
    for (const step of walkthrough!.steps) {
      assert.ok(step.media.svg && step.media.altText.length > 20, `${step.id}: an SVG with alt text`);
      const file = join(REPO_ROOT, step.media.svg);
      assert.ok(existsSync(file), file);
      const { document } = new JSDOM(readFileSync(file, 'utf8'), { contentType: 'image/svg+xml' }).window;
      assert.equal(document.querySelector('parsererror'), null, `${step.media.svg} is well-formed XML`);
      const svg = document.documentElement;
      assert.equal(svg.tagName, 'svg');
      assert.ok(svg.getAttribute('aria-label'), `${step.media.svg} has an aria-label`);
      const painted = [...document.querySelectorAll('*')].flatMap((el) =>
        ['fill', 'stroke'].map((a) => el.getAttribute(a)).filter((v): v is string => v !== null),
      );
      assert.ok(painted.length > 5, step.media.svg);
      for (const colour of painted)
        assert.match(colour, /^(none|var\(--vscode-[\w-]+\))$/, `${step.media.svg}: ${colour} would not follow the theme`);
    }
  });
});
