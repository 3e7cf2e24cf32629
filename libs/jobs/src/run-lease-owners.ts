import { randomUUID } from 'node:crypto';
import type { LeaseStore } from '@recert/kernel';

/**
 * Lease owners per run of a dispatcher: each run leases as an owner of its own, so two runs of one process (the
 * timer's, an admin's) exclude each other as two processes do; on shutdown the owners of runs cut short hand back
 * what they still hold.
 */
export class RunLeaseOwners {
  private readonly process = randomUUID();
  private runs = 0;
  private readonly running = new Set<string>();

  constructor(private readonly leases: LeaseStore) {}

  /** Runs `work` as a fresh owner, forgotten once it ends. */
  async during<T>(work: (owner: string) => Promise<T>): Promise<T> {
    const owner = `${this.process}:${++this.runs}`;
    this.running.add(owner);
    try {
      return await work(owner);
    } finally {
      this.running.delete(owner);
    }
  }

  /** Releases every lease the runs under way hold; how many. */
  async releaseAll(): Promise<number> {
    let released = 0;
    for (const owner of this.running) released += await this.leases.releaseOwner(owner);
    return released;
  }
}
