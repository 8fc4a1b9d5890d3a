import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Disposable, DisposableStore, disposeAll, MutableDisposable, toDisposable, type IDisposable } from '../../src/host/dispose';
import { EngineClient } from '../../src/host/engineClient';

/** A disposable that records when it was disposed (into a shared log) and how often. */
function recorder(name: string, log: string[], fail?: Error): IDisposable & { count: number } {
  const d = {
    count: 0,
    dispose() {
      d.count++;
      log.push(name);
      if (fail) throw fail;
    },
  };
  return d;
}

class Owner extends Disposable {
  register<T extends IDisposable>(d: T): T {
    return this._register(d);
  }

  release(d: IDisposable): void {
    this._unregister(d);
  }
}

describe('Disposable', () => {
  it('disposes its children once, newest first, and says it is disposed', () => {
    const log: string[] = [];
    const owner = new Owner();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => owner.register(recorder(n, log)));
    assert.equal(owner.isDisposed, false);
    owner.dispose();
    owner.dispose();
    assert.deepEqual(log, ['c', 'b', 'a']);
    assert.deepEqual([a.count, b.count, c.count], [1, 1, 1]);
    assert.equal(owner.isDisposed, true);
  });

  it('_register returns its argument, and disposes at once what is registered after dispose (nothing leaks)', () => {
    const log: string[] = [];
    const owner = new Owner();
    const first = recorder('first', log);
    assert.equal(owner.register(first), first);
    owner.dispose();
    const late = owner.register(recorder('late', log));
    assert.equal(late.count, 1);
    assert.deepEqual(log, ['first', 'late']);
  });

  it('a child that throws does not keep the others alive; its error comes out after all are disposed', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.register(recorder('a', log));
    owner.register(recorder('b', log, new Error('b broke')));
    owner.register(recorder('c', log));
    assert.throws(() => owner.dispose(), /b broke/);
    assert.deepEqual(log, ['c', 'b', 'a']);
    assert.equal(owner.isDisposed, true);
    owner.dispose(); // the second call is quiet: nothing is disposed twice
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  it('several throwing children come out as one AggregateError holding each error', () => {
    const owner = new Owner();
    owner.register(recorder('a', [], new Error('a broke')));
    owner.register(recorder('b', [], new Error('b broke')));
    assert.throws(
      () => owner.dispose(),
      (e: unknown) => e instanceof AggregateError && e.errors.map((x: Error) => x.message).join() === 'b broke,a broke',
    );
  });

  it('an unregistered child is left to whoever released it', () => {
    const log: string[] = [];
    const owner = new Owner();
    const kept = owner.register(recorder('kept', log));
    const released = owner.register(recorder('released', log));
    owner.release(released);
    owner.dispose();
    assert.deepEqual(log, ['kept']);
    assert.equal(kept.count, 1);
  });

  it('refuses to register itself (that would recurse)', () => {
    const owner = new Owner();
    assert.throws(() => owner.register(owner), /cannot register itself/);
  });
});

describe('disposeAll, toDisposable', () => {
  it('disposeAll goes newest first and disposes everything even when one throws', () => {
    const log: string[] = [];
    assert.throws(() => disposeAll([recorder('a', log), recorder('b', log, new Error('x')), recorder('c', log)]), /x/);
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  it('toDisposable runs its function once', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    d.dispose();
    d.dispose();
    assert.equal(n, 1);
  });
});

describe('DisposableStore', () => {
  it('clear disposes the contents and keeps the store usable; dispose is final', () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add(recorder('a', log));
    store.add(recorder('b', log));
    assert.equal(store.size, 2);
    store.clear();
    assert.deepEqual(log, ['b', 'a']);
    assert.equal(store.size, 0);
    store.add(recorder('c', log));
    store.dispose();
    assert.deepEqual(log, ['b', 'a', 'c']);
    const late = store.add(recorder('late', log));
    assert.equal(late.count, 1, 'added after dispose: disposed at once');
  });
});

describe('MutableDisposable', () => {
  it('disposes the previous value when a new one is set, and the value on clear and dispose', () => {
    const log: string[] = [];
    const holder = new MutableDisposable<IDisposable>();
    const a = recorder('a', log);
    holder.value = a;
    holder.value = a; // the same value again: kept, not disposed
    assert.deepEqual(log, []);
    holder.value = recorder('b', log);
    assert.deepEqual(log, ['a']);
    holder.clear();
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(holder.value, undefined);
    holder.value = recorder('c', log);
    holder.dispose();
    assert.deepEqual(log, ['a', 'b', 'c']);
    const late = recorder('late', log);
    holder.value = late;
    assert.equal(late.count, 1, 'set after dispose: disposed at once');
    assert.equal(holder.value, undefined);
  });
});

describe('EngineClient disposal (no engine process needed)', () => {
  it('is idempotent (one stop, the same promise) and refuses runs afterwards', async () => {
    const client = new EngineClient({ enginePath: '/nonexistent/engineProcess.js', idleTimeoutMs: 0 });
    const first = client.dispose();
    assert.equal(client.dispose(), first);
    await first;
    assert.equal(client.isDisposed, true);
    assert.throws(() => client.start('eval', { modelPath: '/m.onnx' }, {}), /disposed/);
  });
});
