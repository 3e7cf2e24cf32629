import { Inject, Injectable, Logger } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, LEASE_STORE, LeaseStore, redactEmailAddresses } from '@recert/kernel';
import { HolderMessageRow, READ_DB, StatusMessageFacts } from '@recert/projections';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, StreamCommands } from '@recert/renewals';
import {
  Catalog,
  evolveHolderMessages,
  holderMessageDecider,
  HolderMessageCommand,
  HolderMessageEvent,
  HolderMessageState,
  holderMessagesStream,
  initialHolderMessageState,
  isStaleMessage,
  profileStream,
} from '@recert/domain';
import { retryDelayMs } from '../notifications/notification-dispatcher';
import { REMINDER_PREFERENCES, ReminderPreferences } from '../reminders/reminder-preferences';
import { HOLDER_MESSAGES, HolderMessages } from './holder-messages';
import { HOLDER_MESSAGE_SENDER, MessageSender } from './mail-transport';

// As the notices': a process killed while holding a lease delays its messages by this much, never loses them.
const LEASE_MS = 10_000;
const leaseName = (messageId: string): string => `message:${messageId}`;

/**
 * Delivers the status messages' outbox (#29, R83) the way the notification dispatcher delivers R4's: claims pending
 * rows with a lease in the shared state, reads `messages-<holdingId>` again under it (another process may have sent
 * it), sends through the one transport, then records HolderMessageSent (which marks the row done). A failure backs
 * off (NOTIFICATION_RETRY_MS, doubling, at most an hour); a message whose fact is more than 7 days old is dropped
 * (R83: a rebuilt read model or a long outage must not send old news); a holder without an address gets none.
 */
@Injectable()
export class HolderMessageDispatcher {
  private readonly logger = new Logger('HolderMessages');
  private readonly owner = randomUUID();
  private stopping = false;

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(HOLDER_MESSAGE_SENDER) private readonly sender: MessageSender,
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(REMINDER_PREFERENCES) private readonly preferences: ReminderPreferences,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly commands: StreamCommands,
  ) {}

  /** Delivers what is pending; returns how many messages this call recorded as sent. */
  async dispatchOnce(limit = 500): Promise<number> {
    if (this.stopping) return 0;
    await this.forgetErased();
    const nowMs = Date.now();
    const pending = this.db
      .prepare<
        [number, number],
        HolderMessageRow
      >("SELECT * FROM rm_holder_messages WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY occurred_at LIMIT ?")
      .all(nowMs, limit);
    const leased = new Set(
      await this.leases.acquire(
        pending.map((row) => leaseName(row.id)),
        this.owner,
        nowMs + LEASE_MS,
        nowMs,
      ),
    );
    let sent = 0;
    for (const row of pending.filter((r) => leased.has(leaseName(r.id)))) {
      if (this.stopping) break;
      try {
        sent += await this.deliver(row);
      } catch (error) {
        const message = redactEmailAddresses(error instanceof Error ? error.message : String(error));
        const delay = retryDelayMs(row.deliveries + 1, this.config.notificationRetryMs);
        this.logger.error(`message ${row.id} failed (attempt ${row.deliveries + 1}, next in ${delay / 1000} s): ${message}`);
        this.db
          .prepare('UPDATE rm_holder_messages SET deliveries = deliveries + 1, last_error = ?, claimed_until = ? WHERE id = ?')
          .run(message, Date.now() + delay, row.id);
        // Every worker backs off, under an owner of its own so a shutdown's releaseOwner leaves the back-off in place.
        await this.leases.release(leaseName(row.id), this.owner);
        await this.leases.acquire([leaseName(row.id)], `${this.owner}:backoff`, Date.now() + delay, Date.now());
      }
    }
    return sent;
  }

  /** #16.5: deletes the sender's artefacts of messages whose holder's personal data was erased since. */
  async forgetErased(): Promise<number> {
    const rows = this.db
      .prepare<[], { id: string }>('SELECT id FROM rm_holder_messages WHERE personal_data_erased = 1 AND forgotten = 0')
      .all();
    for (const row of rows) {
      await this.sender.forget(row.id);
      this.db.prepare('UPDATE rm_holder_messages SET forgotten = 1 WHERE id = ?').run(row.id);
    }
    return rows.length;
  }

  stop(): void {
    this.stopping = true;
  }

  releaseLeases(): Promise<number> {
    return this.leases.releaseOwner(this.owner);
  }

  private async deliver(row: HolderMessageRow): Promise<number> {
    const certification = this.catalog.get(row.code);
    if (!certification) return 0;
    // The messages stream is the authority: another process (with its own read model) may have recorded it.
    const recorded = await this.commands.load<HolderMessageState, HolderMessageEvent>(
      holderMessagesStream(row.holding_id),
      evolveHolderMessages,
      initialHolderMessageState,
    );
    if (recorded.state.recorded[row.id]) return 0;
    const now = this.clock.now();
    const key: HolderMessageCommand['data']['message'] = {
      holdingId: row.holding_id,
      profileId: row.profile_id,
      certificationCode: row.code,
      messageId: row.id,
      kind: row.kind,
      causeEventId: row.cause_event_id,
    };
    if (isStaleMessage(row.occurred_at, now)) return this.record(key, { kind: 'dropped', reason: 'stale' });
    const facts = JSON.parse(row.facts) as StatusMessageFacts;
    const personal = await this.personalData(row.profile_id);
    const message = await this.messages.compose(
      { kind: row.kind, messageId: row.id, certification, ...facts },
      {
        profileId: row.profile_id,
        to: personal?.email ?? null,
        displayName: personal?.displayName ?? null,
        ...(await this.preferences.forProfile(row.profile_id)),
      },
      now,
    );
    const delivery = await this.sender.send(row.id, message);
    if (personal && (await this.vault.isErased(row.profile_id))) await this.sender.forget(row.id);
    if (delivery === 'no-address') return this.record(key, { kind: 'dropped', reason: 'no-address' });
    this.db.prepare('UPDATE rm_holder_messages SET deliveries = deliveries + 1, last_error = NULL WHERE id = ?').run(row.id);
    return this.record(key, { kind: 'sent', language: message.language });
  }

  private async record(
    message: HolderMessageCommand['data']['message'],
    outcome: HolderMessageCommand['data']['outcome'],
  ): Promise<number> {
    const result = await this.commands.handle(
      holderMessageDecider,
      message.holdingId,
      { type: 'RecordHolderMessage', data: { message, outcome } },
      { commandId: message.messageId, correlationId: message.causeEventId, causationId: message.causeEventId, actor: 'message-dispatcher' },
    );
    return outcome.kind === 'sent' ? result.events.length : 0;
  }

  private async personalData(profileId: string): Promise<{ email: string; displayName: string } | null> {
    const created = (await this.store.readStream(profileStream(profileId), { maxCount: 1 }))[0];
    const sealed = created?.type === 'CertificationProfileCreated' ? (created.data['personalData'] as unknown) : undefined;
    return sealed ? this.vault.open(sealed as Parameters<PersonalDataVault['open']>[0]) : null;
  }
}
