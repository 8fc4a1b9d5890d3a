import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopDelayProbe } from '../../src/host/eventLoopDelay';
import { KeyedDebouncer } from '../../src/host/debounce';

describe('EventLoopDelayProbe', () => {
  // The probe subtracts its 10 ms sampling interval and a loaded machine adds delay of its own, so the bounds
  // are wide: the point is that a long block is seen, and that an idle loop is not reported as one.
  it('sees a 300 ms block of the event loop', async () => {
    const probe = new EventLoopDelayProbe();
    await new Promise((r) => setTimeout(r, 30));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      /* block */
    }
    await new Promise((r) => setTimeout(r, 30));
    const d = probe.stop();
    assert.ok(d.maxMs >= 200, `max ${d.maxMs} ms`);
    assert.ok(d.p99Ms <= d.maxMs);
  });
});

describe('KeyedDebouncer', () => {
  // Mocked timers: the order of events is the contract, and a loaded CI machine must not change it.
  it('fires once per key after the last trigger', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const fired: string[] = [];
    const d = new KeyedDebouncer<string>(40, (k) => fired.push(k));
    d.trigger('a');
    t.mock.timers.tick(20);
    d.trigger('a');
    d.trigger('b');
    t.mock.timers.tick(30);
    assert.deepEqual(fired, [], 'a was re-triggered 30 ms ago');
    t.mock.timers.tick(30);
    assert.deepEqual(fired.sort(), ['a', 'b']);
    d.trigger('c');
    d.dispose();
    t.mock.timers.tick(60);
    assert.deepEqual(fired.sort(), ['a', 'b']);
  });
});
