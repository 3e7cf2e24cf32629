import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { RenewalsModule } from '@recert/renewals';
import { AuditController } from './audit/audit.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardQueries } from './dashboard/dashboard.queries';
import { DeadlineQueries } from './deadlines/deadlines.queries';
import { HistoryController } from './history/history.controller';
import { HistoryQueries } from './history/history.queries';
import { HoldingsProjection } from './holdings/holdings.projection';
import { OutboxProjection } from './outbox/outbox.projection';
import { ReportsController } from './reports/reports.controller';
import { ReportsQueries } from './reports/reports.queries';
import { ReadConsistency } from './runtime/consistency';
import { ProjectionRunner } from './runtime/projection-runner';
import { openReadDb, READ_DB } from './runtime/read-db';

export function createProjections(): [HoldingsProjection, OutboxProjection] {
  return [new HoldingsProjection(), new OutboxProjection()];
}

/** The read side: projections fed from the log through checkpointed subscriptions, and the queries on them. */
@Module({
  imports: [RenewalsModule],
  controllers: [DashboardController, HistoryController, ReportsController, AuditController],
  providers: [
    { provide: READ_DB, inject: [APP_CONFIG], useFactory: (config: AppConfig) => openReadDb(config.dataDir) },
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, READ_DB],
      useFactory: (store: EventStore, db: Database.Database) => {
        const logger = new Logger('Projections');
        return new ProjectionRunner(store, db, createProjections(), { log: (message) => logger.warn(message) });
      },
    },
    ReadConsistency,
    DashboardQueries,
    HistoryQueries,
    ReportsQueries,
    DeadlineQueries,
  ],
  exports: [READ_DB, ProjectionRunner, ReadConsistency, DeadlineQueries, DashboardQueries],
})
export class ReadModelsModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(READ_DB) private readonly db: Database.Database,
  ) {}

  onModuleInit(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    this.db.close();
  }
}
