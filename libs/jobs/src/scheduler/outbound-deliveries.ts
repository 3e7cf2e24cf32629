import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { PROJECTOR, type Projector } from '@recert/projections';
import { HolderMessageDispatcher } from '../messages/holder-message-dispatcher';
import { NotificationDispatcher } from '../notifications/notification-dispatcher';
import { ReminderDispatcher } from '../reminders/reminder-dispatcher';
import { WebhookDeliveries } from '../webhooks/webhook-deliveries';

/** What a scheduler run sends out: window notices (R4), status messages (#29), reminders (#14.4), webhooks (#14.5). */
@Injectable()
export class OutboundDeliveries {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly dispatcher: NotificationDispatcher,
    private readonly messages: HolderMessageDispatcher,
    private readonly reminders: ReminderDispatcher,
    private readonly webhooks: WebhookDeliveries,
  ) {}

  async runOnce(): Promise<{ notified: number; messaged: number; reminded: number; webhooksDelivered: number }> {
    // The outbox is fed by the projection: let it take the windows just opened before dispatching.
    await this.runner.waitFor(await this.store.headPosition(), 5000, ['outbox', 'holder-messages']);
    const notified = await this.dispatcher.dispatchOnce();
    const messaged = await this.messages.dispatchOnce();
    const reminded = await this.reminders.runOnce();
    const webhooksDelivered = await this.webhooks.runOnce();
    return { notified, messaged, reminded, webhooksDelivered };
  }
}
