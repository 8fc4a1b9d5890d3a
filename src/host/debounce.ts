/** One pending call per key: each new trigger for a key restarts its delay (e.g. a model file still being written). */
export class KeyedDebouncer<K> {
  private readonly timers = new Map<K, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly delayMs: number,
    private readonly fire: (key: K) => void,
  ) {}

  trigger(key: K): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.fire(key);
      }, this.delayMs),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
