import { CommandBus } from '@nestjs/cqrs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, LEASE_STORE, LeaseStore } from '@recert/kernel';
import { HolderMessageRow, READ_STORE, ReadStore, StatusMessageFacts } from '@recert/projections';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, HolderMessageWrite, StreamReader } from '@recert/renewals';
import { Catalog, HolderMessageCommand, holderMessageDecider, holderMessagesStream, isStaleMessage } from '@recert/domain';
import { OutboxDispatcher, recipientOf } from '../outbox-table';
import { REMINDER_PREFERENCES, ReminderPreferences } from '../reminders/reminder-preferences';
import { HOLDER_MESSAGES, HolderMessages } from './holder-messages';
import { HOLDER_MESSAGE_SENDER, MessageSender } from './mail-transport';

/**
 * Delivers the status messages' outbox (#29, R83) the way the notification dispatcher delivers R4's: claims pending
 * rows with a lease in the shared state, reads `messages-<holdingId>` again under it (another process may have sent
 * it), sends through the one transport, then records HolderMessageSent (which marks the row done). A failure backs
 * off (NOTIFICATION_RETRY_MS, doubling, at most an hour); a message whose fact is more than 7 days old is dropped
 * (R83: a rebuilt read model or a long outage must not send old news); a holder without an address gets none.
 */
@Injectable()
export class HolderMessageDispatcher extends OutboxDispatcher<HolderMessageRow> {
  constructor(
    @Inject(READ_STORE) readStore: ReadStore,
    @Inject(HOLDER_MESSAGE_SENDER) private readonly sender: MessageSender,
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(REMINDER_PREFERENCES) private readonly preferences: ReminderPreferences,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LEASE_STORE) leases: LeaseStore,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'notificationRetryMs'>,
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
  ) {
    super(readStore, leases, sender, {
      table: 'rm_holder_messages',
      leasePrefix: 'message',
      firstRetryMs: config.notificationRetryMs,
      logger: new Logger('HolderMessages'),
      what: 'message',
    });
  }

  protected async deliver(row: HolderMessageRow, stillHeld: () => Promise<boolean>): Promise<number> {
    const certification = this.catalog.get(row.code);
    if (!certification) return 0;
    // The messages stream is the authority: another process (with its own read model) may have recorded it.
    const recorded = await this.reader.load(holderMessagesStream(row.holding_id), holderMessageDecider);
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
    const { recipient, personal } = await recipientOf(
      { store: this.store, vault: this.vault, preferences: this.preferences },
      row.profile_id,
    );
    const message = await this.messages.compose({ kind: row.kind, messageId: row.id, certification, ...facts }, recipient, now);
    // The fence (R56), at the last moment before the message leaves: a sender whose lease passed on sends nothing.
    if (!(await stillHeld())) return 0;
    const delivery = await this.sender.send(row.id, message);
    if (personal && (await this.vault.isErased(row.profile_id))) await this.sender.forget(row.id);
    if (delivery === 'no-address') return this.record(key, { kind: 'dropped', reason: 'no-address' });
    await this.outbox.delivered(row.id);
    return this.record(key, { kind: 'sent', language: message.language });
  }

  private async record(
    message: HolderMessageCommand['data']['message'],
    outcome: HolderMessageCommand['data']['outcome'],
  ): Promise<number> {
    const result = await this.bus.execute(
      new HolderMessageWrite(
        message.holdingId,
        { type: 'RecordHolderMessage', data: { message, outcome } },
        {
          commandId: message.messageId,
          correlationId: message.causeEventId,
          causationId: message.causeEventId,
          actor: 'message-dispatcher',
        },
      ),
    );
    return outcome.kind === 'sent' ? result.events.length : 0;
  }
}
