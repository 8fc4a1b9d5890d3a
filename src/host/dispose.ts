/**
 * Ownership of things that must be released: event subscriptions, webviews, file watchers, status items,
 * timers. An owner registers each one it creates and disposes them all, newest first, when it is disposed
 * itself — so nothing outlives the panel, view or extension that made it. No `vscode` import: VS Code's
 * own Disposables satisfy `IDisposable` structurally, and this module is unit-tested without VS Code.
 */

export interface IDisposable {
  dispose(): void;
}

export function toDisposable(release: () => void): IDisposable {
  let done = false;
  return {
    dispose: () => {
      if (!done) {
        done = true;
        release();
      }
    },
  };
}

/**
 * Disposes every item, newest first (an owner's later parts may depend on its earlier ones). An item that
 * throws does not keep the others alive: all are disposed, then the error is thrown again (several as one
 * AggregateError).
 */
export function disposeAll(items: readonly IDisposable[]): void {
  const errors: unknown[] = [];
  for (let k = items.length - 1; k >= 0; k--) {
    try {
      items[k].dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} disposables threw while being disposed`);
}

/** A set of disposables released together; one added after the store was disposed is disposed at once. */
export class DisposableStore implements IDisposable {
  private readonly items = new Set<IDisposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  get size(): number {
    return this.items.size;
  }

  add<T extends IDisposable>(d: T): T {
    if (this.disposed) {
      // Its owner is gone: keeping it would leak it.
      d.dispose();
      return d;
    }
    this.items.add(d);
    return d;
  }

  /** Forgets `d` without disposing it (its owner released it some other way). */
  delete(d: IDisposable): void {
    this.items.delete(d);
  }

  /** Disposes what the store holds; the store stays usable. */
  clear(): void {
    const items = [...this.items];
    this.items.clear();
    disposeAll(items);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}

/** Holds at most one disposable: setting a new one disposes the one before (e.g. a watcher switched on and off). */
export class MutableDisposable<T extends IDisposable> implements IDisposable {
  private current: T | undefined;
  private disposed = false;

  get value(): T | undefined {
    return this.current;
  }

  set value(next: T | undefined) {
    if (this.disposed) {
      next?.dispose();
      return;
    }
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    previous?.dispose();
  }

  clear(): void {
    this.value = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.clear();
    this.disposed = true;
  }
}

/**
 * Base of everything that owns disposables: `_register` what you create, override `dispose` to do more
 * (call `super.dispose()`), and check `isDisposed` before acting on a callback that may arrive late.
 */
export abstract class Disposable implements IDisposable {
  private readonly store = new DisposableStore();

  get isDisposed(): boolean {
    return this.store.isDisposed;
  }

  /** Idempotent: the children are disposed once, newest first, even when one of them throws. */
  dispose(): void {
    this.store.dispose();
  }

  /** Makes `d` a child of this object; returns it. Registered after `dispose`, it is disposed at once. */
  protected _register<T extends IDisposable>(d: T): T {
    if ((d as unknown) === this) throw new Error('a disposable cannot register itself');
    return this.store.add(d);
  }

  /** Releases a child early (e.g. a finished subscription) without waiting for the owner's dispose. */
  protected _unregister(d: IDisposable): void {
    this.store.delete(d);
  }
}
