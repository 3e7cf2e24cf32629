import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import type { RecordedEvent } from '@recert/kernel/pure';
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

/** Brings a stored event to its newest payload version; the domain's `upcast`, passed in by the composition root. */
export type Upcaster = (event: RecordedEvent) => RecordedEvent;

/**
 * The store production reads and writes: the adapter the configuration names, read through the domain's upcasters, so
 * every reader gets events at their newest payload version. The contract suite passes its own adapter (R54). The
 * upcaster is passed in, so the store knows no domain (ADR 0013).
 */
export function createEventStore(config: AppConfig, upcast: Upcaster, adapter: EventStore = eventStoreAdapter(config)): EventStore {
  return upcastingEventStore(adapter, upcast);
}

@Global()
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  /** The store, upcasting with `upcast` (the domain's, given by the app that composes the two). */
  static withUpcaster(upcast: Upcaster): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [{ provide: EVENT_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createEventStore(config, upcast) }],
      exports: [EVENT_STORE],
    };
  }

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
