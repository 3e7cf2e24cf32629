import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Catalog, DomainError, holdingDecider } from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDeps } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { eventsOfType, RecordedEvent } from '@recert/eventstore';
import { evolveHolding, holdingStream, initialHoldingState } from '@recert/domain';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, CommandResult, PolicyRegistry } from '../renewals.tokens';

/** Its result type rides on the command, so the bus's answer is typed. */
export class AttemptRenewalCommand extends Command<AttemptRenewalResult> {
  constructor(
    readonly data: {
      profileId: string;
      certificationCode: string;
      attemptId: string;
      passed: boolean;
      score: number | null;
      language: string;
    },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

export interface AttemptRenewalResult extends CommandResult {
  attempt: number;
  renewed: boolean;
  expiresAt: string | null;
}

@CommandHandler(AttemptRenewalCommand)
export class AttemptRenewalHandler implements ICommandHandler<AttemptRenewalCommand, AttemptRenewalResult> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async execute({ data, meta }: AttemptRenewalCommand): Promise<AttemptRenewalResult> {
    const profile = await this.profiles.active(data.profileId);
    const certification = this.catalog.get(data.certificationCode);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${data.certificationCode} in the catalog`);
    const outcome = await this.commands.handle(
      holdingDecider,
      { profileId: data.profileId, certificationCode: certification.code },
      {
        type: 'AttemptRenewal',
        data: {
          attemptId: data.attemptId,
          passed: data.passed,
          score: data.score,
          language: data.language,
          profileLinked: profile.linkedLearnProfileId !== null,
        },
      },
      meta,
      holdingDeps(certification, this.policies),
    );
    if (outcome.events.length === 0) {
      const stored = await this.storedAttempt(data.profileId, data.certificationCode, data.attemptId);
      if (stored) return stored;
    }
    const [attempted] = eventsOfType(outcome.events, 'AssessmentAttempted');
    const state = outcome.state;
    return {
      attempt: attempted ? attempted.data.attempt : state.status === 'held' && state.window ? state.window.attempts : 0,
      renewed: outcome.events.some((event) => event.type === 'CertificationRenewed'),
      expiresAt: state.status === 'held' ? state.expiresAt : null,
      events: outcome.events,
      position: outcome.position,
    };
  }

  /**
   * R8 (#16.18): a repeated attempt id answers the attempt stored first, passed or not, with or without an
   * Idempotency-Key: its events and what it decided.
   */
  private async storedAttempt(profileId: string, code: string, attemptId: string): Promise<AttemptRenewalResult | undefined> {
    const { recorded } = await this.commands.load(holdingStream(profileId, code), holdingDecider);
    const index = recorded.findIndex((event) => event.type === 'AssessmentAttempted' && event.data.attemptId === attemptId);
    const attempted = recorded[index];
    if (attempted?.type !== 'AssessmentAttempted') return undefined;
    // The events of the same append: same command (correlation), same instant, consecutive positions.
    const sameAppend = (a: RecordedEvent | undefined, b: RecordedEvent | undefined): boolean =>
      a !== undefined &&
      b !== undefined &&
      a.metadata.correlationId === b.metadata.correlationId &&
      a.metadata.occurredAt === b.metadata.occurredAt &&
      Math.abs(a.position - b.position) === 1;
    let from = index;
    while (sameAppend(recorded[from - 1], recorded[from])) from -= 1;
    let to = index;
    while (sameAppend(recorded[to], recorded[to + 1])) to += 1;
    const events = recorded.slice(from, to + 1);
    const [renewal] = eventsOfType(events, 'CertificationRenewed');
    const before = recorded.slice(0, index).reduce(evolveHolding, initialHoldingState);
    return {
      attempt: attempted.data.attempt,
      renewed: renewal !== undefined,
      expiresAt: renewal ? renewal.data.expiresAt : before.status === 'held' ? before.expiresAt : null,
      events,
      position: events[events.length - 1]?.position ?? attempted.position,
    };
  }
}
