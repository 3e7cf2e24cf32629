import { Inject, Injectable, Logger } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
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
import { NOTIFICATION_SENDER, NotificationSender } from './notification-sender';

// Short: a process killed while holding a lease delays its notifications by this much, never loses them.
const LEASE_MS = 10_000;

/**
 * Delivers the outbox (R4): claims pending rows with a lease (so two processes never hold the same one),
 * sends through the pluggable sender (idempotent by notification id), then records RenewalEligibilityNotified,
 * which marks the row sent. A crash anywhere leaves the row pending and it is retried; nothing is lost.
 */
@Injectable()
export class NotificationDispatcher {
  private readonly logger = new Logger('Notifications');
  private readonly owner = randomUUID();

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: StreamCommands,
    private readonly policies: PolicyRegistry,
  ) {}

  private claim(limit: number): NotificationRow[] {
    const nowMs = Date.now();
    return this.db
      .transaction(() => {
        this.db
          .prepare(
            `UPDATE rm_notifications SET claimed_by = ?, claimed_until = ? WHERE id IN (
               SELECT id FROM rm_notifications WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) LIMIT ?)`,
          )
          .run(this.owner, nowMs + LEASE_MS, nowMs, limit);
        return this.db
          .prepare<
            [string, number],
            NotificationRow
          >("SELECT * FROM rm_notifications WHERE state = 'pending' AND claimed_by = ? AND claimed_until >= ?")
          .all(this.owner, nowMs);
      })
      .immediate();
  }

  /** Delivers what is pending; returns how many notifications this call recorded as sent. */
  async dispatchOnce(limit = 500): Promise<number> {
    let notified = 0;
    for (const row of this.claim(limit)) {
      try {
        notified += await this.deliver(row);
      } catch (error) {
        this.logger.error(`notification ${row.id} failed: ${error instanceof Error ? error.message : String(error)}`);
        this.db
          .prepare('UPDATE rm_notifications SET deliveries = deliveries + 1, last_error = ?, claimed_until = ? WHERE id = ?')
          .run(String(error), Date.now() + 30_000, row.id);
      }
    }
    return notified;
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
    const personal = sealed ? this.vault.open(sealed as Parameters<PersonalDataVault['open']>[0]) : null;
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
    const outcome = await this.commands.handle(
      holdingDecider,
      { profileId: row.profile_id, certificationCode: certification.code },
      { type: 'RecordEligibilityNotified', data: { windowId: row.window_id, notificationId: row.id } },
      { commandId: row.id, correlationId: row.window_id, causationId: row.id, actor: 'notification-dispatcher' },
      holdingDeps(certification, this.policies),
    );
    // The projection marks the row sent from the event; count the delivery meanwhile.
    this.db.prepare('UPDATE rm_notifications SET deliveries = deliveries + 1 WHERE id = ?').run(row.id);
    return outcome.events.length > 0 ? 1 : 0;
  }
}
