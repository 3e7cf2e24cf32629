import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { AttemptRenewalHandler } from './attempt-renewal/attempt-renewal.command';
import { AttemptRenewalController } from './attempt-renewal/attempt-renewal.controller';
import { Catalog } from './catalog';
import { StreamCommands } from './command-handling/stream-commands';
import { CreateProfileHandler } from './create-profile/create-profile.command';
import { CreateProfileController } from './create-profile/create-profile.controller';
import { EarnCertificationHandler } from './earn-certification/earn-certification.command';
import { EarnCertificationController } from './earn-certification/earn-certification.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { LinkLearnProfileHandler } from './link-learn-profile/link-learn-profile.command';
import { LinkLearnProfileController } from './link-learn-profile/link-learn-profile.controller';
import { MergeProfilesHandler } from './merge-profiles/merge-profiles.command';
import { MergeProfilesController } from './merge-profiles/merge-profiles.controller';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from './personal-data/personal-data.vault';
import { PolicyBook } from './policy';
import { ProfileReader } from './profile/profile.reader';
import { AdoptPolicyController } from './adopt-policy/adopt-policy.controller';
import { ErasePersonalDataController } from './erase-personal-data/erase-personal-data.controller';
import { PolicyAdoptions } from './adopt-policy/policy-adoptions.service';
import { PolicyReplayJobs, PolicyReplaysController } from './policy-replay/policy-replays.controller';
import { CATALOG, PolicyRegistry } from './renewals.tokens';

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
];

/** The renewal domain's commands: deciders behind thin handlers, controllers at the HTTP edge. */
@Module({
  imports: [CqrsModule],
  controllers,
  providers: [
    ...commandHandlers,
    StreamCommands,
    ProfileReader,
    { provide: CATALOG, inject: [APP_CONFIG], useFactory: (config: AppConfig) => Catalog.fromFile(config.catalogFile) },
    {
      provide: PolicyRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new PolicyRegistry(PolicyBook.fromFile(config.policyFile)),
    },
    // The keys and the idempotency answers live in the shared state (KernelModule, ADR 0008).
    { provide: PERSONAL_DATA_VAULT, useClass: PersonalDataVault },
    IdempotencyInterceptor,
    PolicyReplayJobs,
    PolicyAdoptions,
  ],
  exports: [CATALOG, PolicyRegistry, PERSONAL_DATA_VAULT, StreamCommands, ProfileReader, PolicyReplayJobs, PolicyAdoptions],
})
export class RenewalsModule {}
