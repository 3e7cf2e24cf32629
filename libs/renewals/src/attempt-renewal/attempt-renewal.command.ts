import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingHandler } from '../command-handling/holding-handler';
import type { RecordedEvent } from '@recert/eventstore';
import { evolveHolding, HoldingEvent, initialHoldingState } from '@recert/domain';
import { ProfileReader } from '../profile/profile.reader';
import { CommandResult } from '../renewals.tokens';

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
    private readonly holdings: HoldingHandler,
    private readonly profiles: ProfileReader,
  ) {}

  async execute({ data, meta }: AttemptRenewalCommand): Promise<AttemptRenewalResult> {
    // R7: the profile's link decides the attempt, so it is read here, and the preamble need not read it again.
    const profile = await this.profiles.active(data.profileId);
    const certification = await this.holdings.prepare(data, { activeProfile: false });
    const outcome = await this.holdings.write(
      data.profileId,
      certification,
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
    );
    if (outcome.events.length === 0) {
      const stored = await this.storedAttempt(data.profileId, data.certificationCode, data.attemptId);
      if (stored) return stored;
    }
    const attempted = outcome.events.find((event) => event.type === 'AssessmentAttempted');
    const state = outcome.state;
    return {
      attempt: attempted ? Number(attempted.data['attempt']) : state.status === 'held' && state.window ? state.window.attempts : 0,
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
    const { recorded } = await this.holdings.load(profileId, code);
    const index = recorded.findIndex((event) => event.type === 'AssessmentAttempted' && event.data['attemptId'] === attemptId);
    const attempted = recorded[index];
    if (!attempted) return undefined;
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
    const renewal = events.find((event) => event.type === 'CertificationRenewed');
    const before = recorded
      .slice(0, index)
      .reduce((state, event) => evolveHolding(state, event as unknown as HoldingEvent), initialHoldingState);
    return {
      attempt: Number(attempted.data['attempt']),
      renewed: renewal !== undefined,
      expiresAt: renewal ? (renewal.data['expiresAt'] as string) : before.status === 'held' ? before.expiresAt : null,
      events,
      position: events[events.length - 1]?.position ?? attempted.position,
    };
  }
}
