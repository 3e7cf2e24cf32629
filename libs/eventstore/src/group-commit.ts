/**
 * Group commit, one queue for the stores that commit appends themselves (SQLite, PostgreSQL): what is queued while a
 * group commits, or in the same turn of the event loop, goes as the next group, so one transaction (one fsync, one WAL
 * flush) acknowledges them all. One group at a time; `commit` answers each item of its group itself.
 */
export class GroupCommitQueue<Item> {
  private pending: Item[] = [];
  private scheduled = false;
  /** The group being committed, if any: the next one gathers meanwhile. */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly commit: (group: Item[]) => Promise<void>,
    /** Largest group one commit carries; the rest waits for the next. */
    private readonly maxGroup = Infinity,
  ) {}

  /** Items waiting for a commit (not the group in flight). */
  get size(): number {
    return this.pending.length;
  }

  /** The item waiting longest, if any. */
  get oldest(): Item | undefined {
    return this.pending[0];
  }

  push(item: Item): void {
    this.pending.push(item);
    this.schedule();
  }

  /** Resolves once nothing is queued nor being committed. */
  async drain(): Promise<void> {
    while (this.inFlight || this.scheduled || this.pending.length > 0) {
      await (this.inFlight ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const group = this.pending.splice(0, this.maxGroup);
      this.inFlight = this.commit(group).finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    });
  }
}
