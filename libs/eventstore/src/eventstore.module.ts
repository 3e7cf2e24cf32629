import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { upcast } from '@recert/domain';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EVENT_STORE, EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { upcastingEventStore } from './upcasting-event-store';

/**
 * EventStoreDB when EVENTSTORE_CONNECTION_STRING is set, else the embedded store under DATA_DIR; either way read
 * through the domain's upcasters, so every reader gets events at their newest payload version.
 */
export function createEventStore(config: AppConfig): EventStore {
  const store = config.eventStoreConnectionString
    ? new EsdbEventStore({ connectionString: config.eventStoreConnectionString, streamPrefix: config.streamPrefix })
    : new SqliteEventStore({
        file: join(config.dataDir, 'events.db'),
        synchronous: config.storeSynchronous,
        writerThread: config.storeWriterThread,
      });
  return upcastingEventStore(store, upcast);
}

@Global()
@Module({
  providers: [{ provide: EVENT_STORE, inject: [APP_CONFIG], useFactory: createEventStore }],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
