import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock, LEASE_STORE, LeaseStore } from '@recert/kernel';
import { READ_STORE, ReadStore } from '@recert/projections';
import { CommandBus } from '@nestjs/cqrs';
import { CATALOG, PERSONAL_DATA_VAULT, StreamReader } from '@recert/renewals';
import {
  HOLDER_MESSAGES,
  HolderMessages,
  MessageSender,
  NotificationDispatcher,
  REMINDER_PREFERENCES,
  ReminderPreferences,
} from '@recert/jobs';
import type { Harness } from './harness';

/** A notification dispatcher of the app's own parts, sending through `sender` (a spec's stand-in). */
export function notificationDispatcher(h: Pick<Harness, 'app'>, sender: MessageSender): NotificationDispatcher {
  return new NotificationDispatcher(
    h.app.get<ReadStore>(READ_STORE),
    sender,
    h.app.get(PERSONAL_DATA_VAULT),
    h.app.get(CATALOG),
    h.app.get<EventStore>(EVENT_STORE),
    h.app.get(CommandBus, { strict: false }),
    h.app.get(StreamReader, { strict: false }),
    h.app.get<LeaseStore>(LEASE_STORE),
    h.app.get<HolderMessages>(HOLDER_MESSAGES),
    h.app.get<ReminderPreferences>(REMINDER_PREFERENCES),
    h.app.get<Clock>(CLOCK),
    { notificationRetryMs: 30_000 },
  );
}
