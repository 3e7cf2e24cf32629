import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { AttemptRenewalHandler } from './attempt-renewal/attempt-renewal.command';
import { AttemptRenewalController } from './attempt-renewal/attempt-renewal.controller';
import { StreamCommands } from './command-handling/stream-commands';
import { CreateProfileHandler } from './create-profile/create-profile.command';
import { CreateProfileController } from './create-profile/create-profile.controller';
import { EarnCertificationHandler } from './earn-certification/earn-certification.command';
import { EarnCertificationController } from './earn-certification/earn-certification.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IDEMPOTENCY_STORE, IdempotencyStore } from './idempotency/idempotency.store';
import { LinkLearnProfileHandler } from './link-learn-profile/link-learn-profile.command';
import { LinkLearnProfileController } from './link-learn-profile/link-learn-profile.controller';
import { MergeCompleter, MergeProfilesHandler } from './merge-profiles/merge-profiles.command';
import { MergeProfilesController } from './merge-profiles/merge-profiles.controller';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from './personal-data/personal-data.vault';
import { ProfileReader } from './profile/profile.reader';
import { AdoptPolicyController } from './adopt-policy/adopt-policy.controller';
import { ErasePersonalDataController } from './erase-personal-data/erase-personal-data.controller';
import { PreferencesController } from './preferences/preferences.controller';
import { PolicyAdoptions } from './adopt-policy/policy-adoptions.service';
import { PolicyReplayJobs, PolicyReplaysController } from './policy-replay/policy-replays.controller';
import { CATALOG, POLICIES_READY, PolicyRegistry } from './renewals.tokens';
import { loadCatalog, loadPolicyBook } from './config-files';

const commandHandlers = [
  CreateProfileHandler,
  LinkLearnProfileHandler,
  MergeProfilesHandler,
  EarnCertificationHandler,
  AttemptRenewalHandler,
];
const controllers = [
  CreateProfileController,
  LinkLearnProfileController,
  MergeProfilesController,
  EarnCertificationController,
  AttemptRenewalController,
  PolicyReplaysController,
  AdoptPolicyController,
  ErasePersonalDataController,
  PreferencesController,
];

/** The renewal domain's commands: deciders behind thin handlers, controllers at the HTTP edge. */
@Module({
  imports: [CqrsModule],
  controllers,
  providers: [
    ...commandHandlers,
    StreamCommands,
    ProfileReader,
    { provide: CATALOG, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadCatalog(config.catalogFile) },
    {
      provide: PolicyRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new PolicyRegistry(loadPolicyBook(config.policyFile)),
    },
    { provide: PERSONAL_DATA_VAULT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new PersonalDataVault(config.dataDir) },
    { provide: IDEMPOTENCY_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new IdempotencyStore(config.dataDir) },
    IdempotencyInterceptor,
    PolicyReplayJobs,
    PolicyAdoptions,
    MergeCompleter,
    { provide: POLICIES_READY, useExisting: PolicyAdoptions },
  ],
  exports: [CATALOG, PolicyRegistry, PERSONAL_DATA_VAULT, StreamCommands, ProfileReader, PolicyReplayJobs, PolicyAdoptions, MergeCompleter],
})
export class RenewalsModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    private readonly merges: MergeCompleter,
  ) {}

  /** Merges a crash left half-done are finished at start (#16.3), without holding start-up back. */
  onApplicationBootstrap(): void {
    this.merges.completeStarted().catch((error: unknown) => new Logger('RenewalsModule').error(`completing merges: ${String(error)}`));
  }

  /** Idempotency answers are kept a week (IdempotencyStore's retention), purged at start and hourly. */
  onModuleInit(): void {
    this.idempotency.purge(Date.now());
    this.purgeTimer = setInterval(() => this.idempotency.purge(Date.now()), 3600_000);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.vault.close();
    this.idempotency.close();
  }
}
