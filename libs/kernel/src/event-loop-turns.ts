import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Gives the event loop a turn during long in-memory work (#22.5): an import or bulk override dry run decides tens of
 * thousands of rows on reads that resolve at once (the embedded store answers synchronously), so without a turn
 * no probe, request or timer is served until it ends. `turn()` yields when a slice of `sliceMs` has passed since
 * the last turn, so a short run pays nothing and a long one stays answerable.
 */
export class EventLoopTurns {
  private last = performance.now();

  constructor(private readonly sliceMs = 10) {}

  async turn(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return;
    await nextTurn();
    this.last = performance.now();
  }
}
