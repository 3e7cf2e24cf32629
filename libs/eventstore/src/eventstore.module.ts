import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EVENT_STORE, EventStore } from './event-store.port';
import { isPostgresUrl, PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/** By EVENTSTORE_CONNECTION_STRING: PostgreSQL (postgres://), EventStoreDB (esdb://), else the embedded store under DATA_DIR. */
export function createEventStore(config: AppConfig): EventStore {
  if (isPostgresUrl(config.eventStoreConnectionString))
    return new PostgresEventStore({ connectionString: config.eventStoreConnectionString as string });
  if (config.eventStoreConnectionString)
    return new EsdbEventStore({ connectionString: config.eventStoreConnectionString, streamPrefix: config.streamPrefix });
  return new SqliteEventStore({
    file: join(config.dataDir, 'events.db'),
    synchronous: config.storeSynchronous,
    writerThread: config.storeWriterThread,
  });
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
