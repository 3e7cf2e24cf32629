import { Inject, Injectable, Logger } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, LEASE_STORE, LeaseStore, redactEmailAddresses } from '@recert/kernel';
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
import { HOLDER_MESSAGES, HolderMessages } from '../messages/holder-messages';
import { MessageSender, NOTIFICATION_SENDER } from '../messages/mail-transport';
import { REMINDER_PREFERENCES, ReminderPreferences } from '../reminders/reminder-preferences';

// Short: a process killed while holding a lease delays its notifications by this much, never loses them.
const LEASE_MS = 10_000;

function leaseName(notificationId: string): string {
  return `outbox:${notificationId}`;
}

/** Back-off after a notification's n-th failed delivery (#16.11): 30 s (NOTIFICATION_RETRY_MS), doubling, at most an hour. */
export function retryDelayMs(failures: number, firstMs = 30_000): number {
  return Math.min(3_600_000, firstMs * 2 ** Math.max(0, Math.min(failures, 20) - 1));
}

/**
 * Delivers the outbox (R4): claims pending rows with a lease in the shared state (so two processes never hold the same one),
 * sends through the pluggable sender (idempotent by notification id), then records RenewalEligibilityNotified,
 * which marks the row sent. A crash anywhere leaves the row pending and it is retried; nothing is lost.
 */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger('Notifications');
  private readonly owner = randomUUID();
  private stopping = false;

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(NOTIFICATION_SENDER) private readonly sender: MessageSender,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: StreamCommands,
    private readonly policies: PolicyRegistry,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(REMINDER_PREFERENCES) private readonly preferences: ReminderPreferences,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'notificationRetryMs'>,
  ) {}

  /**
   * The pending rows of this process's outbox whose shared lease it took: every worker (each with its own read
   * model) sees the same rows, and the lease in the shared state lets exactly one of them deliver each.
   */
  private async claim(limit: number): Promise<NotificationRow[]> {
    const nowMs = Date.now();
    const pending = this.db
      .prepare<
        [number, number],
        NotificationRow
      >("SELECT * FROM rm_notifications WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) LIMIT ?")
      .all(nowMs, limit);
    const leased = new Set(
      await this.leases.acquire(
        pending.map((row) => leaseName(row.id)),
        this.owner,
        nowMs + LEASE_MS,
        nowMs,
      ),
    );
    return pending.filter((row) => leased.has(leaseName(row.id)));
  }

  /** Delivers what is pending; returns how many notifications this call recorded as sent. */
  async dispatchOnce(limit = 500): Promise<number> {
    if (this.stopping) return 0;
    await this.forgetErased();
    let notified = 0;
    for (const row of await this.claim(limit)) {
      // Shutting down: leave the rest of the batch to releaseLeases, for another process or the next start.
      if (this.stopping) break;
      try {
        // The lease is left to run out: the holding's stream, read first by deliver, stops any later claimant.
        notified += await this.deliver(row);
      } catch (error) {
        // A refusal may quote the address: keep and log it without (it outlives an erasure otherwise).
        const message = redactEmailAddresses(error instanceof Error ? error.message : String(error));
        // Pending rows count failures in `deliveries` (a success makes the row sent); the lease is dropped and
        // claimed_until becomes the back-off's end, so a failing notification is not retried every interval.
        const delay = retryDelayMs(row.deliveries + 1, this.config.notificationRetryMs);
        this.logger.error(`notification ${row.id} failed (attempt ${row.deliveries + 1}, next in ${delay / 1000} s): ${message}`);
        this.db
          .prepare('UPDATE rm_notifications SET deliveries = deliveries + 1, last_error = ?, claimed_until = ? WHERE id = ?')
          .run(message, Date.now() + delay, row.id);
        // Every worker backs off, not only this one: the lease is held (not renewed by others) as long.
        // Under an owner of its own, so a shutdown's releaseOwner leaves the back-off in place.
        await this.leases.release(leaseName(row.id), this.owner);
        await this.leases.acquire([leaseName(row.id)], `${this.owner}:backoff`, Date.now() + delay, Date.now());
      }
    }
    return notified;
  }

  /** #16.5: deletes the sender's artefacts of notifications whose holder's personal data was erased since. */
  async forgetErased(): Promise<number> {
    const { sender } = this;
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
   * On shutdown, once no delivery runs: hand back the leases still held so no notification waits for them. The
   * LeaseStore knows them by owner (R43), so nothing is tracked here; back-off leases have an owner of their own and stay.
   */
  releaseLeases(): Promise<number> {
    return this.leases.releaseOwner(this.owner);
  }

  private async deliver(row: NotificationRow): Promise<number> {
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
    // #29: in the holder's language and zone, with the assessment, the modules and the dashboard. No address left
    // (erased): nothing can be sent, and the window is recorded notified all the same, so it is not retried forever.
    const message = await this.messages.compose(
      { kind: 'window-open', messageId: row.id, certification, expiresAt: row.expires_at, windowOpensAt: row.opens_at },
      {
        profileId: row.profile_id,
        to: personal?.email ?? null,
        displayName: personal?.displayName ?? null,
        ...(await this.preferences.forProfile(row.profile_id)),
      },
      this.clock.now(),
    );
    await this.sender.send(row.id, message);
    // Erased while this was being sent (after the key was opened): the artefact must not outlive the key.
    if (personal && (await this.vault.isErased(row.profile_id))) await this.sender.forget(row.id);
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
