import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostProfiler, PROFILE_ENV } from '../../src/host/hostProfiler';
import { busyStretches } from '../../scripts/host-stalls';

test('the host profiler is off unless the environment names a folder; when on, it writes a CPU profile that host-stalls reads', async () => {
  assert.equal(await HostProfiler.startIfAsked({}), null);
  const dir = mkdtempSync(join(tmpdir(), 'rl-hostprof-'));
  try {
    const profiler = await HostProfiler.startIfAsked({ [PROFILE_ENV]: dir });
    assert.ok(profiler);
    const until = Date.now() + 30;
    let spin = 0;
    while (Date.now() < until) spin++; // a 30 ms busy stretch
    await new Promise((r) => setTimeout(r, 20));
    const file = await profiler.stop('run-1');
    assert.equal(file, join(dir, 'run-1.cpuprofile'));
    const stretches = busyStretches(JSON.parse(readFileSync(file, 'utf8')));
    assert.ok(spin > 0 && stretches.length > 0 && stretches[0].ms >= 20, `longest busy stretch ${stretches[0]?.ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('busy stretches end at idle samples, are timed by the sample that follows, and rank longest first', () => {
  const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('parse') },
      { id: 4, callFrame: frame('(garbage collector)') },
    ],
    startTime: 0,
    // idle, parse ×2, idle, gc, idle — deltas in µs: each sample lasts until the next one
    samples: [2, 3, 3, 2, 4, 2],
    timeDeltas: [0, 1000, 5000, 7000, 1000, 40000],
  };
  const s = busyStretches(profile);
  assert.deepEqual(
    s.map((x) => Math.round(x.ms)),
    [40, 12],
  );
  assert.deepEqual([...s[1].stacks.keys()], ['parse']);
  assert.equal(Math.round(s[0].startMs), 14);
});
