/**
 * Watches checked together at a fixed interval while there are any: one timer serves every running
 * sandbox and stops with the last watch. `check` gets a copy of the watches and may remove some.
 */
export class PollingSet<W> {
  private readonly watches = new Set<W>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly check: (watches: W[]) => void,
    /** False where the check cannot work (no /proc): watches are kept but never checked. */
    private readonly enabled = true,
  ) {}

  /** Adds a watch; the returned function removes it. */
  add(w: W): () => void {
    this.watches.add(w);
    if (!this.timer && this.enabled) {
      this.timer = setInterval(() => this.check([...this.watches]), this.intervalMs);
      this.timer.unref();
    }
    return () => this.delete(w);
  }

  /** Runs the check at once, outside the timer (tests; a caller that knows something changed). */
  checkNow(): void {
    if (this.watches.size > 0) this.check([...this.watches]);
  }

  delete(w: W): void {
    this.watches.delete(w);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
