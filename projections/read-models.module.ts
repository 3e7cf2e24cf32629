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
import { storeProjections } from './store-projections';
import { ReportsController } from './reports/reports.controller';
import { ReportsQueries } from './reports/reports.queries';
import { RosterController } from './roster/roster.controller';
import { RosterQueries } from './roster/roster.queries';
import { PersonSearchIndex } from './roster/person-search';
import { ReadConsistency, SERVING_PROJECTION, ServingProjection } from './runtime/consistency';
import { onlyWithReadDb, openReadStore } from './runtime/open-read-store';
import type { Projection } from './runtime/projection';
import { ProjectionRunner } from './runtime/projection-runner';
import { PROJECTOR, Projector } from './runtime/projector';
import { ProjectorFollower } from './runtime/projector-follower';
import { openReadDb, READ_DB } from './runtime/read-db';
import { READ_STORE, ReadStore } from './runtime/read-store';
import { StoreProjectionRunner } from './runtime/store-projection-runner';
import { VerificationPublicController } from './verification/verification.controller';
import { CredentialsController, IssuerController } from './credentials/credentials.controller';
import { CredentialsService } from './credentials/credentials.service';
import { StatusLists } from './credentials/status-lists';
import { CertificateService } from './credentials/certificate.service';
import { ISSUER_KEYS, IssuerKeys } from './credentials/issuer-keys';
import { issuerSettings } from './credentials/issuer';
import { VerificationQueries } from './verification/verification.queries';
import { HolderPreferences } from './i18n/holder-preferences';

/** The models `read.db`'s runner projects (default mode); the holdings generations come from HoldingsModel. */
function readDbProjections(): Projection[] {
  return [new OutboxProjection(), new HolderMessagesProjection(), new RenewalOutcomesProjection()];
}

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
    {
      // READ_STORE_URL set: no read.db is opened; whatever still asks for it fails naming the setting (R141).
      provide: READ_DB,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.readStoreUrl === undefined ? openReadDb(config.dataDir) : onlyWithReadDb<Database.Database>('read.db'),
    },
    {
      provide: READ_STORE,
      inject: [APP_CONFIG, READ_DB],
      useFactory: (config: AppConfig, db: Database.Database) => openReadStore(config, () => db),
    },
    {
      provide: PROJECTOR,
      inject: [EVENT_STORE, READ_DB, READ_STORE, APP_CONFIG, PersonSearchIndex],
      useFactory: (
        store: EventStore,
        db: Database.Database,
        readStore: ReadStore,
        config: AppConfig,
        personSearch: PersonSearchIndex,
      ): Projector => {
        const logger = new Logger('Projections');
        const log = (message: string): void => logger.warn(message);
        // The holdings generation is added by HoldingsModel, which knows the policy book.
        if (config.readStoreUrl !== undefined) {
          personSearch.projectsOnSearch = false;
          const models = storeProjections({ personSearch });
          // A follow replica projects nothing: it answers from the checkpoints the projecting processes keep (R141).
          if (config.projections === 'follow') return new ProjectorFollower(store, readStore, models);
          return new StoreProjectionRunner(store, readStore, models, {
            leaseMs: config.projectorLeaseMs,
            rewoundLog: config.rewoundLog,
            log,
          });
        }
        return new ProjectionRunner(store, db, readDbProjections(), {
          rebuildCacheRows: config.rebuildCacheRows,
          leaseMs: config.projectorLeaseMs,
          rewoundLog: config.rewoundLog,
          log,
        });
      },
    },
    {
      // The read.db runner itself, for what drives it directly (HoldingsModel adds its generations to it).
      provide: ProjectionRunner,
      inject: [PROJECTOR],
      useFactory: (projector: Projector) =>
        projector instanceof ProjectionRunner ? projector : onlyWithReadDb<ProjectionRunner>('The read.db projection runner'),
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
          name === 'holdings' ? holdings.servingProjection() : name,
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
    PROJECTOR,
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
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly holdings: HoldingsModel,
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * After RenewalsModule's init, so adopted policies are in the book the holdings generation is built with.
   * PROJECTIONS=follow: another process runs the projections on the shared read store; this one serves it (with
   * READ_STORE_URL it keeps nothing on disk and projects nothing, R141).
   */
  async onModuleInit(): Promise<void> {
    const follow = this.config.projections === 'follow';
    await this.holdings.initialise({ follow });
    if (!follow) this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.readStore.close();
    if (this.config.readStoreUrl === undefined) this.db.close();
  }
}
