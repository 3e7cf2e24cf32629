import { CommandBus } from '@nestjs/cqrs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, LEASE_STORE, LeaseStore } from '@recert/kernel';
import { NotificationRow, READ_STORE, ReadStore } from '@recert/projections';
import { CATALOG, HoldingWrite, PERSONAL_DATA_VAULT, PersonalDataVault, StreamReader } from '@recert/renewals';
import { Catalog, evolveHolding, HoldingEvent, HoldingState, holdingStream, initialHoldingState } from '@recert/domain';
import { HOLDER_MESSAGES, HolderMessages } from '../messages/holder-messages';
import { MessageSender, NOTIFICATION_SENDER } from '../messages/mail-transport';
import { REMINDER_PREFERENCES, ReminderPreferences } from '../reminders/reminder-preferences';
import { OutboxDispatcher, recipientOf } from '../outbox-table';

export { retryDelayMs } from '../outbox-table';

/**
 * Delivers the outbox (R4): claims pending rows with a lease in the shared state (so two processes never hold the same one),
 * sends through the pluggable sender (idempotent by notification id), then records RenewalEligibilityNotified,
 * which marks the row sent. A crash anywhere leaves the row pending and it is retried; nothing is lost.
 */
@Injectable()
export class NotificationDispatcher extends OutboxDispatcher<NotificationRow> {
  private readonly logger = new Logger('Notifications');

  constructor(
    @Inject(READ_STORE) readStore: ReadStore,
    @Inject(NOTIFICATION_SENDER) private readonly sender: MessageSender,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
    @Inject(LEASE_STORE) leases: LeaseStore,
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(REMINDER_PREFERENCES) private readonly preferences: ReminderPreferences,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'notificationRetryMs'>,
  ) {
    super(readStore, leases, sender, {
      table: 'rm_notifications',
      leasePrefix: 'outbox',
      firstRetryMs: config.notificationRetryMs,
      logger: new Logger('Notifications'),
      what: 'notification',
    });
  }

  protected async deliver(row: NotificationRow, stillHeld: () => Promise<boolean>): Promise<number> {
    const certification = this.catalog.get(row.code);
    if (!certification) return 0;
    // The holding's stream is the authority: another process (with its own outbox) may have notified already.
    const holding = await this.reader.load<HoldingState, HoldingEvent>(
      holdingStream(row.profile_id, row.code),
      evolveHolding,
      initialHoldingState,
    );
    const window = holding.state.status === 'held' ? holding.state.window : null;
    // Notified by another process, or the window ended first (the projection marks those obsolete from the log).
    if (!window || window.id !== row.window_id || window.notified) return 0;
    const { recipient, personal } = await recipientOf(
      { store: this.store, vault: this.vault, preferences: this.preferences },
      row.profile_id,
    );
    // #29: in the holder's language and zone, with the assessment, the modules and the dashboard. No address left
    // (erased): nothing can be sent, and the window is recorded notified all the same, so it is not retried forever.
    const message = await this.messages.compose(
      { kind: 'window-open', messageId: row.id, certification, expiresAt: row.expires_at, windowOpensAt: row.opens_at },
      recipient,
      this.clock.now(),
    );
    // The fence (R56), checked at the last moment before the mail leaves: when reading took so long that the lease ran
    // out and another sender took it, that one sends, not this one. (After sending, the record is made whatever: it is
    // idempotent, and it is what stops a later holder from sending again.)
    if (!(await stillHeld())) {
      this.logger.warn(`notification ${row.id}: the lease passed to another sender before the send; left to it`);
      return 0;
    }
    await this.sender.send(row.id, message);
    // Erased while this was being sent (after the key was opened): the artefact must not outlive the key.
    if (personal && (await this.vault.isErased(row.profile_id))) await this.sender.forget(row.id);
    const outcome = await this.bus.execute(
      new HoldingWrite(
        { profileId: row.profile_id, certificationCode: certification.code },
        { type: 'RecordEligibilityNotified', data: { windowId: row.window_id, notificationId: row.id } },
        { commandId: row.id, correlationId: row.window_id, causationId: row.id, actor: 'notification-dispatcher' },
        { activeProfile: false },
      ),
    );
    // The projection marks the row sent from the event; count the delivery meanwhile.
    await this.outbox.delivered(row.id);
    return outcome.events.length > 0 ? 1 : 0;
  }
}
