import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore, RecordedEvent } from '@recert/eventstore';
import { CATALOG } from '@recert/renewals';
import { Catalog, holderMessagesStream, holdingIdOf, holdingStream, profileStream, remindersStream } from '@recert/domain';

/**
 * The audit history of a profile: every event of its stream and of its holdings' streams, in global order,
 * read from the log itself (always consistent with every write) (the store upcasts them to the newest payload versions).
 */
@Injectable()
export class HistoryQueries {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async history(profileId: string): Promise<RecordedEvent[] | undefined> {
    const profile = await this.store.readStream(profileStream(profileId));
    if (profile.length === 0) return undefined;
    const holdings = await Promise.all(this.catalog.entries.map((entry) => this.store.readStream(holdingStream(profileId, entry.code))));
    // Reminders of each holding (#14.4) live beside it and belong to the holder's history too.
    const reminders = await Promise.all(
      this.catalog.entries.map((entry) => this.store.readStream(remindersStream(holdingIdOf(profileId, entry.code)))),
    );
    // And the status messages sent or dropped (#29).
    const messages = await Promise.all(
      this.catalog.entries.map((entry) => this.store.readStream(holderMessagesStream(holdingIdOf(profileId, entry.code)))),
    );
    return [...profile, ...holdings.flat(), ...reminders.flat(), ...messages.flat()].sort((a, b) => a.position - b.position);
  }
}
