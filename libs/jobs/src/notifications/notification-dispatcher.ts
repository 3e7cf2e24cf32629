import { Inject, Injectable, Logger } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { Lease, LEASE_STORE, LeaseStore, redactEmailAddresses } from '@recert/kernel';
import { NotificationRow, READ_DB } from '@recert/projections';
import { CATALOG, holdingDeps, PERSONAL_DATA_VAULT, PersonalDataVault, PolicyRegistry, StreamCommands } from '@recert/renewals';
import {
  Catalog,
  evolveHolding,
  holdingDecider,
  HoldingEvent,
  HoldingState,
  holdingStream,
  initialHoldingState,
  profileStream,
} from '@recert/domain';
import { RunLeaseOwners } from '../run-lease-owners';
import { NOTIFICATION_SENDER, NotificationSender } from './notification-sender';

// Per send (#24.4): a process killed while holding a lease delays that notification by this much, never loses it;
// long enough for one send (SMTP included), since a batch no longer shares one lease.
const LEASE_MS = 60_000;

function leaseName(notificationId: string): string {
  return `outbox:${notificationId}`;
}

/** Back-off after a notification's n-th failed delivery (#16.11): 30 s, doubling, at most an hour. */
export function retryDelayMs(failures: number): number {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, Math.min(failures, 20) - 1));
}

/**
 * Delivers the outbox (R4): claims pending rows with a lease in the shared state (so two processes never hold the same one),
 * sends through the pluggable sender (idempotent by notification id), then records RenewalEligibilityNotified,
 * which marks the row sent. A crash anywhere leaves the row pending and it is retried; nothing is lost.
 */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger('Notifications');
  private stopping = false;
  /** Each run leases as an owner of its own (#24.4): a manual run beside the timer's cannot re-take the timer's leases. */
  private readonly owners: RunLeaseOwners;

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: StreamCommands,
    private readonly policies: PolicyRegistry,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
  ) {
    this.owners = new RunLeaseOwners(leases);
  }

  /**
   * The pending rows of this process's outbox, not backing off. Every worker (each with its own read model) sees the
   * same rows; the lease in the shared state, taken per row just before its send, lets exactly one deliver each.
   */
  private pending(limit: number): NotificationRow[] {
    return this.db
      .prepare<
        [number, number],
        NotificationRow
      >("SELECT * FROM rm_notifications WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) LIMIT ?")
      .all(Date.now(), limit);
  }

  /** Delivers what is pending; returns how many notifications this call recorded as sent. */
  async dispatchOnce(limit = 500): Promise<number> {
    if (this.stopping) return 0;
    await this.forgetErased();
    return this.owners.during(async (owner) => {
      let notified = 0;
      for (const row of this.pending(limit)) {
        // Shutting down: leave the rest for another process or the next start.
        if (this.stopping) break;
        // One lease per send, on the store's clock (#24.4): a long batch never outlives the leases of its tail.
        const [lease] = await this.leases.acquire([leaseName(row.id)], owner, LEASE_MS);
        if (!lease) continue;
        try {
          // The lease is left to run out: the holding's stream, read first by deliver, stops any later claimant.
          notified += await this.deliver(row, lease, owner);
        } catch (error) {
          // A refusal may quote the address: keep and log it without (it outlives an erasure otherwise).
          const message = redactEmailAddresses(error instanceof Error ? error.message : String(error));
          // Pending rows count failures in `deliveries` (a success makes the row sent); the lease is dropped and
          // claimed_until becomes the back-off's end, so a failing notification is not retried every interval.
          const delay = retryDelayMs(row.deliveries + 1);
          this.logger.error(`notification ${row.id} failed (attempt ${row.deliveries + 1}, next in ${delay / 1000} s): ${message}`);
          this.db
            .prepare('UPDATE rm_notifications SET deliveries = deliveries + 1, last_error = ?, claimed_until = ? WHERE id = ?')
            .run(message, Date.now() + delay, row.id);
          // Every worker backs off, not only this one: the lease is held (not renewed by others) as long.
          // Under an owner of its own, so a shutdown's release leaves the back-off in place.
          await this.leases.release(leaseName(row.id), owner);
          await this.leases.acquire([leaseName(row.id)], `${owner}:backoff`, delay);
        }
      }
      return notified;
    });
  }

  /** #16.5: deletes the sender's artefacts of notifications whose holder's personal data was erased since. */
  async forgetErased(): Promise<number> {
    const { sender } = this;
    if (!sender.forget) return 0;
    const rows = this.db
      .prepare<[], { id: string }>('SELECT id FROM rm_notifications WHERE personal_data_erased = 1 AND forgotten = 0')
      .all();
    for (const row of rows) {
      await sender.forget(row.id);
      this.db.prepare('UPDATE rm_notifications SET forgotten = 1 WHERE id = ?').run(row.id);
    }
    return rows.length;
  }

  /** On shutdown: claim nothing more; a batch under way stops after the notification it is delivering. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * On shutdown: hand back the leases of runs cut short so no notification waits for them. The LeaseStore knows
   * them by owner (R43); back-off leases have an owner of their own and stay.
   */
  releaseLeases(): Promise<number> {
    return this.owners.releaseAll();
  }

  private async deliver(row: NotificationRow, lease: Lease, owner: string): Promise<number> {
    const certification = this.catalog.get(row.code);
    if (!certification) return 0;
    // The holding's stream is the authority: another process (with its own outbox) may have notified already.
    const holding = await this.commands.load<HoldingState, HoldingEvent>(
      holdingStream(row.profile_id, row.code),
      evolveHolding,
      initialHoldingState,
    );
    const window = holding.state.status === 'held' ? holding.state.window : null;
    // Notified by another process, or the window ended first (the projection marks those obsolete from the log).
    if (!window || window.id !== row.window_id || window.notified) return 0;
    const created = (await this.store.readStream(profileStream(row.profile_id), { maxCount: 1 }))[0];
    const sealed = created?.type === 'CertificationProfileCreated' ? (created.data['personalData'] as unknown) : undefined;
    const personal = sealed ? await this.vault.open(sealed as Parameters<PersonalDataVault['open']>[0]) : null;
    // The fence (R56), checked at the last moment before the mail leaves: when reading took so long that the lease ran
    // out and another sender took it, that one sends, not this one. (After sending, the record is made whatever: it is
    // idempotent, and it is what stops a later holder from sending again.)
    if (!(await this.leases.holds(lease, owner))) {
      this.logger.warn(`notification ${row.id}: the lease passed to another sender before the send; left to it`);
      return 0;
    }
    await this.sender.send({
      notificationId: row.id,
      profileId: row.profile_id,
      to: personal?.email ?? null,
      displayName: personal?.displayName ?? null,
      certificationCode: row.code,
      certificationName: certification.name,
      windowOpensAt: row.opens_at,
      expiresAt: row.expires_at,
    });
    // Erased while this was being sent (after the key was opened): the artefact must not outlive the key.
    if (personal && this.sender.forget && (await this.vault.isErased(row.profile_id))) await this.sender.forget(row.id);
    const outcome = await this.commands.handle(
      holdingDecider,
      { profileId: row.profile_id, certificationCode: certification.code },
      { type: 'RecordEligibilityNotified', data: { windowId: row.window_id, notificationId: row.id } },
      { commandId: row.id, correlationId: row.window_id, causationId: row.id, actor: 'notification-dispatcher' },
      holdingDeps(certification, this.policies),
    );
    // The projection marks the row sent from the event; count the delivery meanwhile.
    this.db.prepare('UPDATE rm_notifications SET deliveries = deliveries + 1, last_error = NULL WHERE id = ?').run(row.id);
    return outcome.events.length > 0 ? 1 : 0;
  }
}
