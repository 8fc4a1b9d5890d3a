/**
 * The gradient registry is one flat list: one entry per op type, in code-unit order, no duplicates; and
 * it agrees with the per-op check cases (checked against finite differences in ops.*.test.ts) and with
 * the README's list of supported ops, in both directions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { makeNode } from '../../../src/engine/onnx/build';
import { NodeView } from '../../../src/engine/grad/nodeView';
import { buildRegistry, gradientFor, GRADIENT_MODULES, type RegisteredGradient } from '../../../src/engine/grad/registry';
import type { OpGradient } from '../../../src/engine/grad/types';
import { CORE_CASES } from './cases/core';
import { ELEMENTWISE_CASES } from './cases/elementwise';
import { SPATIAL_CASES } from './cases/spatial';
import { STRUCTURAL_CASES } from './cases/structural';

const registered = GRADIENT_MODULES.map((m) => m.gradient.opType);
const checked = new Set([...CORE_CASES, ...ELEMENTWISE_CASES, ...SPATIAL_CASES, ...STRUCTURAL_CASES].map((c) => c.check.op));

/** The op types the README lists after "N op types:" (and N itself). */
function readmeOps(): { count: number; ops: string[] } {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const m = /(\d+)\s+op types:\s+([^.]+)\./.exec(readme);
  assert.ok(m, 'README.md has no "N op types: A, B, …." list');
  return { count: Number(m[1]), ops: m[2].split(',').map((s) => s.trim()) };
}

/** Elements of `a` missing from `b`. */
const missing = (a: Iterable<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));

const fake = (opType: string): OpGradient => ({ opType, gradient: () => [] });

test('buildRegistry indexes the entries by op type', () => {
  const list: RegisteredGradient[] = [
    { module: 'a', gradient: fake('A') },
    { module: 'b', gradient: fake('B') },
  ];
  const byOp = buildRegistry(list);
  assert.deepEqual([...byOp.keys()], ['A', 'B']);
  assert.equal(byOp.get('B'), list[1]);
});

test('buildRegistry throws on an op type defined twice, naming both modules', () => {
  const list: RegisteredGradient[] = [
    { module: 'relu', gradient: fake('Relu') },
    { module: 'add', gradient: fake('Add') },
    { module: 'relu6', gradient: fake('Relu') },
  ];
  assert.throws(() => buildRegistry(list), /op type "Relu" is defined twice, by ops\/relu and ops\/relu6/);
});

test('the registry list is in code-unit order of op type, one entry per op type', () => {
  for (let i = 1; i < registered.length; i++) {
    assert.ok(registered[i - 1] < registered[i], `"${registered[i - 1]}" must come before "${registered[i]}" (and only once)`);
  }
  assert.equal(buildRegistry(GRADIENT_MODULES).size, GRADIENT_MODULES.length);
});

test('each entry names the module under ops/ that exports its gradient', async () => {
  for (const { module, gradient } of GRADIENT_MODULES) {
    const exports = (await import(`../../../src/engine/grad/ops/${module}`)) as Record<string, unknown>;
    assert.ok(Object.values(exports).includes(gradient), `ops/${module} does not export the ${gradient.opType} gradient`);
  }
});

test('every registered op has a check case, and every check case is of a registered op', () => {
  assert.deepEqual(missing(registered, checked), [], 'registered ops without a case in test/engine/grad/cases/');
  assert.deepEqual(missing(checked, new Set(registered)), [], 'check cases of ops the registry does not have');
});

test('the README lists exactly the registered ops, in the same order, with their count', () => {
  const { count, ops } = readmeOps();
  assert.deepEqual(missing(registered, new Set(ops)), [], 'registered ops missing from the README');
  assert.deepEqual(missing(ops, new Set(registered)), [], 'ops in the README that are not registered');
  assert.deepEqual(ops, registered);
  assert.equal(count, registered.length, "the README's op count");
});

test('gradientFor finds default-domain ops only', () => {
  const relu = GRADIENT_MODULES.find((m) => m.gradient.opType === 'Relu')!.gradient;
  assert.equal(gradientFor(new NodeView(makeNode('Relu', ['x'], ['y']), 0)), relu);
  assert.equal(gradientFor(new NodeView(makeNode('Relu', ['x'], ['y'], {}, '', 'ai.onnx'), 0)), relu);
  assert.equal(gradientFor(new NodeView(makeNode('Relu', ['x'], ['y'], {}, '', 'com.microsoft'), 0)), undefined);
  assert.equal(gradientFor(new NodeView(makeNode('NoSuchOp', ['x'], ['y']), 0)), undefined);
});
