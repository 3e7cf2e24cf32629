import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { upcast } from '@recert/domain';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EVENT_STORE, EventStore } from './event-store.port';
import { isPostgresUrl, PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { upcastingEventStore } from './upcasting-event-store';

/** By EVENTSTORE_CONNECTION_STRING: PostgreSQL (postgres://), EventStoreDB (esdb://), else the embedded store under DATA_DIR. */
export function eventStoreAdapter(config: AppConfig): EventStore {
  return isPostgresUrl(config.eventStoreConnectionString)
    ? new PostgresEventStore({
        connectionString: config.eventStoreConnectionString as string,
        deadlines: config.postgres,
        maxPendingAppends: config.postgres.maxPendingAppends,
        poolSize: config.postgres.poolSize,
        log: (message) => new Logger('EventStore').warn(message),
      })
    : config.eventStoreConnectionString
      ? new EsdbEventStore({ connectionString: config.eventStoreConnectionString, streamPrefix: config.streamPrefix })
      : new SqliteEventStore({
          file: join(config.dataDir, 'events.db'),
          synchronous: config.storeSynchronous,
          writerThread: config.storeWriterThread,
        });
}

/**
 * The store production reads and writes: the adapter the configuration names, read through the domain's upcasters, so
 * every reader gets events at their newest payload version. The contract suite passes its own adapter (R54).
 */
export function createEventStore(config: AppConfig, adapter: EventStore = eventStoreAdapter(config)): EventStore {
  return upcastingEventStore(adapter, upcast);
}

@Global()
@Module({
  providers: [{ provide: EVENT_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createEventStore(config) }],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
