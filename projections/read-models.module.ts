import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@recert/kernel';
import { RenewalsModule } from '@recert/renewals';
import { AuditController } from './audit/audit.controller';
import { CalendarController } from './dashboard/calendar.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardQueries, dashboardSettings } from './dashboard/dashboard.queries';
import { DeadlineQueries } from './deadlines/deadlines.queries';
import { HistoryController } from './history/history.controller';
import { HistoryQueries } from './history/history.queries';
import { OverrideTargetQueries } from './holdings/override-targets.queries';
import { HoldingsModel } from './holdings/holdings.model';
import { HolderMessagesProjection } from './outbox/holder-messages.projection';
import { OutboxProjection } from './outbox/outbox.projection';
import { OutboxQueries } from './outbox/outbox.queries';
import { RenewalOutcomesProjection } from './renewal-outcomes/renewal-outcomes.projection';
import { ReportsController } from './reports/reports.controller';
import { ReportsQueries } from './reports/reports.queries';
import { RosterController } from './roster/roster.controller';
import { RosterQueries } from './roster/roster.queries';
import { PersonSearchIndex } from './roster/person-search';
import { ReadConsistency, SERVING_PROJECTION, ServingProjection } from './runtime/consistency';
import { ProjectionRunner } from './runtime/projection-runner';
import { openReadDb, READ_DB } from './runtime/read-db';
import { READ_STORE, SqliteReadStore } from './runtime/read-store';
import { VerificationPublicController } from './verification/verification.controller';
import { CredentialsController, IssuerController } from './credentials/credentials.controller';
import { CredentialsService } from './credentials/credentials.service';
import { StatusLists } from './credentials/status-lists';
import { CertificateService } from './credentials/certificate.service';
import { ISSUER_KEYS, IssuerKeys } from './credentials/issuer-keys';
import { issuerSettings } from './credentials/issuer';
import { VerificationQueries } from './verification/verification.queries';
import { HolderPreferences } from './i18n/holder-preferences';

/** The read side: projections fed from the log through checkpointed subscriptions, and the queries on them. */
@Module({
  imports: [RenewalsModule],
  controllers: [
    DashboardController,
    CalendarController,
    HistoryController,
    ReportsController,
    RosterController,
    AuditController,
    VerificationPublicController,
    CredentialsController,
    IssuerController,
  ],
  providers: [
    { provide: READ_DB, inject: [APP_CONFIG], useFactory: (config: AppConfig) => openReadDb(config.dataDir) },
    { provide: READ_STORE, inject: [READ_DB], useFactory: (db: Database.Database) => new SqliteReadStore(db) },
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, READ_DB, APP_CONFIG],
      useFactory: (store: EventStore, db: Database.Database, config: AppConfig) => {
        const logger = new Logger('Projections');
        // The holdings generation is added by HoldingsModel, which knows the policy book.
        return new ProjectionRunner(store, db, [new OutboxProjection(), new HolderMessagesProjection(), new RenewalOutcomesProjection()], {
          rebuildCacheRows: config.rebuildCacheRows,
          leaseMs: config.projectorLeaseMs,
          rewoundLog: config.rewoundLog,
          log: (message) => logger.warn(message),
        });
      },
    },
    ReadConsistency,
    HoldingsModel,
    {
      // `holdings` stands for whichever generation of the holdings model serves reads now.
      provide: SERVING_PROJECTION,
      inject: [HoldingsModel],
      useFactory:
        (holdings: HoldingsModel): ServingProjection =>
        (name) =>
          name === 'holdings' ? holdings.tables().projection : name,
    },
    DashboardQueries,
    dashboardSettings,
    OverrideTargetQueries,
    HistoryQueries,
    ReportsQueries,
    RosterQueries,
    PersonSearchIndex,
    DeadlineQueries,
    OutboxQueries,
    VerificationQueries,
    issuerSettings,
    HolderPreferences,
    {
      provide: ISSUER_KEYS,
      inject: [APP_CONFIG, CLOCK],
      useFactory: (config: AppConfig, clock: Clock) => IssuerKeys.load(config.credentials, clock.now()),
    },
    StatusLists,
    CredentialsService,
    CertificateService,
  ],
  exports: [
    OverrideTargetQueries,
    READ_DB,
    READ_STORE,
    ProjectionRunner,
    ReadConsistency,
    DeadlineQueries,
    DashboardQueries,
    HoldingsModel,
    OutboxQueries,
  ],
})
export class ReadModelsModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly holdings: HoldingsModel,
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * After RenewalsModule's init, so adopted policies are in the book the holdings generation is built with.
   * PROJECTIONS=follow: another process runs the projections on the shared read database; this one serves it.
   */
  onModuleInit(): void {
    const follow = this.config.projections === 'follow';
    this.holdings.initialise({ follow });
    if (!follow) this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    this.db.close();
  }
}
