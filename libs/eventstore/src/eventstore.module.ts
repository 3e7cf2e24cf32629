import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { upcast } from '@recert/domain';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EVENT_STORE, EventStore } from './event-store.port';
import { isPostgresUrl, PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { upcastingEventStore } from './upcasting-event-store';

/**
 * By EVENTSTORE_CONNECTION_STRING: PostgreSQL (postgres://), EventStoreDB (esdb://), else the embedded store under
 * DATA_DIR; every one read through the domain's upcasters, so every reader gets events at their newest payload version.
 */
export function createEventStore(config: AppConfig): EventStore {
  const store = isPostgresUrl(config.eventStoreConnectionString)
    ? new PostgresEventStore({
        connectionString: config.eventStoreConnectionString as string,
        log: (message) => new Logger('EventStore').warn(message),
      })
    : config.eventStoreConnectionString
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
