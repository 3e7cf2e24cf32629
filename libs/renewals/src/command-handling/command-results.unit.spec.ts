import type { Command } from '@nestjs/cqrs';
import type { AttemptRenewalCommand, AttemptRenewalResult } from '../attempt-renewal/attempt-renewal.command';
import type { CreateProfileCommand } from '../create-profile/create-profile.command';
import type { EarnCertificationCommand, EarnCertificationResult } from '../earn-certification/earn-certification.command';
import type { LinkLearnProfileCommand } from '../link-learn-profile/link-learn-profile.command';
import type { MergeProfilesCommand } from '../merge-profiles/merge-profiles.command';
import type { CommandResult } from '../renewals.tokens';

/**
 * #17.3: every command carries its result type (`Command<R>`), so `CommandBus.execute` answers R, not `any`. Checked
 * when this spec compiles: a command that stops extending `Command<R>` makes its line a type error.
 */
type ResultOf<C> = C extends Command<infer R> ? R : never;
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? (0 extends 1 & A ? false : true) : false) : false;

const typed: Record<string, true> = {
  AttemptRenewalCommand: true satisfies Exactly<ResultOf<AttemptRenewalCommand>, AttemptRenewalResult>,
  CreateProfileCommand: true satisfies Exactly<ResultOf<CreateProfileCommand>, CommandResult>,
  EarnCertificationCommand: true satisfies Exactly<ResultOf<EarnCertificationCommand>, EarnCertificationResult>,
  LinkLearnProfileCommand: true satisfies Exactly<ResultOf<LinkLearnProfileCommand>, CommandResult>,
  MergeProfilesCommand: true satisfies Exactly<ResultOf<MergeProfilesCommand>, CommandResult>,
};

describe('#17.3 typed command results', () => {
  it('#17.3: each command names its result type, so the bus returns it typed (checked at compile time)', () => {
    expect(Object.keys(typed)).toHaveLength(5);
  });
});
