import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { APP_CONFIG, PROFILE_OWNERSHIP } from '@recert/kernel';
import { AttemptRenewalHandler } from './attempt-renewal/attempt-renewal.command';
import { AttemptRenewalController } from './attempt-renewal/attempt-renewal.controller';
import { StreamCommands } from './command-handling/stream-commands';
import { StreamReader } from './command-handling/stream-reader';
import { streamWriteHandlers } from './command-handling/aggregate-writes';
import { HoldingHandler } from './command-handling/holding-handler';
import { CreateProfileHandler } from './create-profile/create-profile.command';
import { CreateProfileController } from './create-profile/create-profile.controller';
import { EarnCertificationHandler } from './earn-certification/earn-certification.command';
import { EarnCertificationController } from './earn-certification/earn-certification.controller';
import { IDEMPOTENCY_SETTINGS, IdempotencyInterceptor, idempotencySettings } from './idempotency/idempotency.interceptor';
import { LinkLearnProfileHandler } from './link-learn-profile/link-learn-profile.command';
import { LinkLearnProfileController } from './link-learn-profile/link-learn-profile.controller';
import { MergeCompleter, MergeProfilesHandler } from './merge-profiles/merge-profiles.command';
import { MergeProfilesController } from './merge-profiles/merge-profiles.controller';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from './personal-data/personal-data.vault';
import { ProfileReader } from './profile/profile.reader';
import { AdoptPolicyController } from './adopt-policy/adopt-policy.controller';
import { ErasePersonalDataController } from './erase-personal-data/erase-personal-data.controller';
import { UnsubscribeController, unsubscribePageSettings } from './preferences/unsubscribe.controller';
import { unsubscribeLinkSettings, UnsubscribeLinks } from './preferences/unsubscribe-links';
import { PreferencesController } from './preferences/preferences.controller';
import { PolicyAdoptions } from './adopt-policy/policy-adoptions.service';
import { PolicyReplayJobs, PolicyReplaysController } from './policy-replay/policy-replays.controller';
import { CATALOG, POLICIES_READY, PolicyRegistry } from './renewals.tokens';
import { loadCatalog, loadPolicyBook } from './config-files';
import { ChangeStandingHandler } from './holding-standing/holding-standing.command';
import { HoldingStandingController } from './holding-standing/holding-standing.controller';
import { ChangeVerificationHandler } from './verification/verification.command';
import { VerificationController } from './verification/verification.controller';
import { Importer } from './import/importer';
import { ImportsController } from './import/imports.controller';
import { MyProfilesController, ProfileOwners } from './my-profiles/my-profiles.controller';

const commandHandlers = [
  CreateProfileHandler,
  LinkLearnProfileHandler,
  MergeProfilesHandler,
  EarnCertificationHandler,
  AttemptRenewalHandler,
  ChangeStandingHandler,
  ChangeVerificationHandler,
  // Every write of an aggregate (#28.1): the holding's with its preamble, the others' the one command loop.
  HoldingHandler,
  ...streamWriteHandlers,
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
  HoldingStandingController,
  VerificationController,
  PreferencesController,
  UnsubscribeController,
  ImportsController,
  MyProfilesController,
];

/** The renewal domain's commands: deciders behind thin handlers, controllers at the HTTP edge. */
@Module({
  imports: [CqrsModule],
  controllers,
  providers: [
    ...commandHandlers,
    StreamCommands,
    StreamReader,
    ProfileReader,
    UnsubscribeLinks,
    { provide: CATALOG, inject: [APP_CONFIG], useFactory: (config: { catalogFile: string }) => loadCatalog(config.catalogFile) },
    {
      provide: PolicyRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: { policyFile: string }) => new PolicyRegistry(loadPolicyBook(config.policyFile)),
    },
    // The keys and the idempotency answers live in the shared state (KernelModule, ADR 0008).
    { provide: PERSONAL_DATA_VAULT, useClass: PersonalDataVault },
    IdempotencyInterceptor,
    idempotencySettings,
    unsubscribeLinkSettings,
    unsubscribePageSettings,
    PolicyReplayJobs,
    PolicyAdoptions,
    MergeCompleter,
    Importer,
    { provide: POLICIES_READY, useExisting: PolicyAdoptions },
    ProfileOwners,
    // The guard asks it whether a holder's account owns the profile a route names (R68).
    { provide: PROFILE_OWNERSHIP, useExisting: ProfileOwners },
  ],
  exports: [
    // The CommandBus: the jobs and the apps send their writes on it (#28.1).
    CqrsModule,
    HoldingHandler,
    CATALOG,
    UnsubscribeLinks,
    PolicyRegistry,
    PERSONAL_DATA_VAULT,
    StreamCommands,
    StreamReader,
    ProfileReader,
    PolicyReplayJobs,
    PolicyAdoptions,
    MergeCompleter,
    Importer,
    PROFILE_OWNERSHIP,
    // Controllers of other modules (overrides, webhooks) put the interceptor on their routes: it needs its settings there.
    IDEMPOTENCY_SETTINGS,
  ],
})
export class RenewalsModule implements OnApplicationBootstrap {
  constructor(private readonly merges: MergeCompleter) {}

  /** Merges a crash left half-done are finished at start (#16.3), without holding start-up back. */
  onApplicationBootstrap(): void {
    this.merges.completeStarted().catch((error: unknown) => new Logger('RenewalsModule').error(`completing merges: ${String(error)}`));
  }
}
