import { Logger } from '@nestjs/common';
import { EventStore, readStreamOf } from '@recert/eventstore';
import { LeaseStore, redactEmailAddresses } from '@recert/kernel';
import type { ReadStore } from '@recert/projections';
import type { PersonalData, PersonalDataVault } from '@recert/renewals';
import { PROFILE_EVENTS, profileStream } from '@recert/domain';
import type { MessageSender } from './messages/mail-transport';
import type { MessageRecipient } from './messages/holder-messages';
import type { ReminderPreferences } from './reminders/reminder-preferences';
import { RunLeaseOwners } from './run-lease-owners';

// Per send (#24.4, R84): one send (SMTP: at most 10 s to connect and be greeted, 15 s idle) and its record fit in
// it; a process killed while holding it delays that one message by this much, never loses it.
const LEASE_MS = 60_000;

/** Back-off after a message's n-th failed delivery (#16.11): 30 s (NOTIFICATION_RETRY_MS), doubling, at most an hour. */
export function retryDelayMs(failures: number, firstMs = 30_000): number {
  return Math.min(3_600_000, firstMs * 2 ** Math.max(0, Math.min(failures, 20) - 1));
}

export interface OutboxRow {
  id: string;
  deliveries: number;
  /** Epoch milliseconds: the end of a claim or of a back-off; null when never claimed or handed back. */
  claimed_until: number | null;
}

/**
 * What both outboxes do alike (R4's notices in `rm_notifications`, #29's status messages in `rm_holder_messages`):
 * claim pending rows in the read store, then take a lease in the shared state (with read.db every worker sees the same
 * rows in its own read model, the lease lets one of them deliver each; with the PostgreSQL read store all share one
 * table, and the claim alone already gives each row to one), back off a failed one for every worker, count deliveries,
 * and delete what the sender kept of rows whose holder was erased (#16.5). Each row is delivered by the dispatcher's
 * own `deliver`. The table is reached through the read-store port (#23.1), so the same SQL serves both adapters.
 */
export class OutboxTable<Row extends OutboxRow> {
  /** Each run leases as an owner of its own (#24.4): a manual run beside the timer's cannot re-take the timer's leases. */
  private readonly owners: RunLeaseOwners;

  constructor(
    private readonly readStore: ReadStore,
    private readonly leases: LeaseStore,
    private readonly sender: MessageSender,
    private readonly options: { table: string; leasePrefix: string; firstRetryMs: number; logger: Logger; what: string },
  ) {
    this.owners = new RunLeaseOwners(leases);
  }

  private leaseName(id: string): string {
    return `${this.options.leasePrefix}:${id}`;
  }

  /**
   * Forgets what erasures ask, then delivers the pending rows it leases until `stopping`; returns the sum of `deliver`.
   * `deliver` gets the fence (R56): it asks it at the last moment before the message leaves, and sends nothing when
   * the lease passed to another sender meanwhile.
   */
  async dispatch(
    limit: number,
    stopping: () => boolean,
    deliver: (row: Row, stillHeld: () => Promise<boolean>) => Promise<number>,
  ): Promise<number> {
    await this.forgetErased();
    return this.owners.during(async (owner) => {
      let done = 0;
      for (const row of await this.pending(limit)) {
        // Shutting down: leave the rest of the batch for another process or the next start.
        if (stopping()) break;
        const claim = await this.claim(row);
        if (claim === null) continue;
        // R84, #24.4: one lease per send on the store's clock, taken just before it, so a long batch (SMTP is slow)
        // never outlives its tail's leases.
        const [lease] = await this.leases.acquire([this.leaseName(row.id)], owner, LEASE_MS);
        if (!lease) {
          await this.unclaim(row.id, claim);
          continue;
        }
        try {
          // deliver reads its stream first, under the lease: a row another process finished meanwhile is not sent again.
          done += await deliver(row, () => this.leases.holds(lease, owner));
          await this.leases.release(lease.name, owner);
          await this.unclaim(row.id, claim);
        } catch (error) {
          await this.backOff(row, error, owner);
        }
      }
      return done;
    });
  }

  /** The pending rows no claim or back-off holds now (`<=`: a row handed back in this very millisecond is free). */
  private pending(limit: number): Promise<Row[]> {
    return this.readStore.query<Row>(
      `SELECT * FROM ${this.options.table} WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?) LIMIT ?`,
      [Date.now(), limit],
    );
  }

  /**
   * Claims a row for LEASE_MS, or null when another claimer got it first. Race-free with several workers on one
   * PostgreSQL read store: a compare-and-set, one conditional UPDATE checked by the rows it changed, that succeeds only
   * while `claimed_until` is still the value `pending` read (so of two claimers who read the same row, the second
   * changes nothing), and only while the row is pending and unclaimed. Row-level write locks make the two UPDATEs
   * run one after the other, and the second re-checks its WHERE against the first's committed value.
   */
  private async claim(row: Row): Promise<number | null> {
    const now = Date.now();
    const until = now + LEASE_MS;
    const changed = await this.readStore.run(
      `UPDATE ${this.options.table} SET claimed_until = ?
       WHERE id = ? AND state = 'pending' AND COALESCE(claimed_until, 0) = ? AND COALESCE(claimed_until, 0) <= ?`,
      [until, row.id, row.claimed_until ?? 0, now],
    );
    return changed === 1 ? until : null;
  }

  /**
   * Hands a claim back (unless a back-off or another claim replaced it), so the next run looks at the row again. To
   * now, not to what it was: a claimer still holding the value read before this claim must find it changed (no ABA).
   */
  private async unclaim(id: string, claim: number): Promise<void> {
    await this.readStore.run(`UPDATE ${this.options.table} SET claimed_until = ? WHERE id = ? AND claimed_until = ?`, [
      Date.now(),
      id,
      claim,
    ]);
  }

  private async backOff(row: Row, error: unknown, owner: string): Promise<void> {
    // A refusal may quote the address: keep and log it without (it outlives an erasure otherwise).
    const message = redactEmailAddresses(error instanceof Error ? error.message : String(error));
    // Pending rows count failures in `deliveries` (a success ends the row); the lease is dropped and claimed_until
    // becomes the back-off's end, so a failing message is not retried every interval.
    const delay = retryDelayMs(row.deliveries + 1, this.options.firstRetryMs);
    this.options.logger.error(
      `${this.options.what} ${row.id} failed (attempt ${row.deliveries + 1}, next in ${delay / 1000} s): ${message}`,
    );
    await this.readStore.run(
      `UPDATE ${this.options.table} SET deliveries = deliveries + 1, last_error = ?, claimed_until = ? WHERE id = ?`,
      [message, Date.now() + delay, row.id],
    );
    // Every worker backs off, not only this one: the lease is held (not renewed by others) as long. Under an owner
    // of its own, so a shutdown's releaseOwner leaves the back-off in place.
    await this.leases.release(this.leaseName(row.id), owner);
    await this.leases.acquire([this.leaseName(row.id)], `${owner}:backoff`, delay);
  }

  /** A delivery went through: counted, its last error cleared (the projection ends the row from the recorded event). */
  async delivered(id: string): Promise<void> {
    await this.readStore.run(`UPDATE ${this.options.table} SET deliveries = deliveries + 1, last_error = NULL WHERE id = ?`, [id]);
  }

  /** #16.5: deletes the sender's artefacts of rows whose holder's personal data was erased since. */
  async forgetErased(): Promise<number> {
    const rows = await this.readStore.query<{ id: string }>(
      `SELECT id FROM ${this.options.table} WHERE personal_data_erased = 1 AND forgotten = 0`,
    );
    for (const row of rows) {
      await this.sender.forget(row.id);
      await this.readStore.run(`UPDATE ${this.options.table} SET forgotten = 1 WHERE id = ?`, [row.id]);
    }
    return rows.length;
  }

  /**
   * On shutdown: hand back the leases of runs cut short so no row waits for them. The LeaseStore knows them by owner
   * (R43); back-off leases have an owner of their own and stay.
   */
  releaseLeases(): Promise<number> {
    return this.owners.releaseAll();
  }
}

/**
 * A dispatcher over one outbox table: `dispatchOnce` delivers the pending rows it leased through `deliver`, `stop`
 * claims nothing more (a batch under way stops after the row it is delivering), `releaseLeases` hands back what it holds.
 */
export abstract class OutboxDispatcher<Row extends OutboxRow> {
  private stopping = false;
  protected readonly outbox: OutboxTable<Row>;

  protected constructor(...table: ConstructorParameters<typeof OutboxTable<Row>>) {
    this.outbox = new OutboxTable<Row>(...table);
  }

  /** Delivers what is pending; returns how many this call recorded as sent. */
  dispatchOnce(limit = 500): Promise<number> {
    if (this.stopping) return Promise.resolve(0);
    return this.outbox.dispatch(
      limit,
      () => this.stopping,
      (row, stillHeld) => this.deliver(row, stillHeld),
    );
  }

  /** #16.5: deletes the sender's artefacts of rows whose holder's personal data was erased since. */
  forgetErased(): Promise<number> {
    return this.outbox.forgetErased();
  }

  stop(): void {
    this.stopping = true;
  }

  releaseLeases(): Promise<number> {
    return this.outbox.releaseLeases();
  }

  /** Delivers one leased row; `stillHeld` is the fence (R56), asked just before the message leaves. */
  protected abstract deliver(row: Row, stillHeld: () => Promise<boolean>): Promise<number>;
}

/** The holder's name and address, opened from the profile's creation event; null when erased or unknown. */
export async function openPersonalData(store: EventStore, vault: PersonalDataVault, profileId: string): Promise<PersonalData | null> {
  const [created] = await readStreamOf(store, profileStream(profileId), PROFILE_EVENTS, { maxCount: 1 });
  if (created?.type !== 'CertificationProfileCreated') return null;
  // Absent in no event of today's shape; kept falsy-safe as before for whatever an old log holds.
  return created.data.personalData ? vault.open(created.data.personalData) : null;
}

/** Whom a message goes to and how they want it (#29): their address and name, their language, zone and reminder choice. */
export async function recipientOf(
  sources: { store: EventStore; vault: PersonalDataVault; preferences: ReminderPreferences },
  profileId: string,
): Promise<{ recipient: MessageRecipient; personal: PersonalData | null }> {
  const personal = await openPersonalData(sources.store, sources.vault, profileId);
  const preferences = await sources.preferences.forProfile(profileId);
  return { recipient: { profileId, to: personal?.email ?? null, displayName: personal?.displayName ?? null, ...preferences }, personal };
}
