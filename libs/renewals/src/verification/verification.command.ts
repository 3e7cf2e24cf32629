import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingHandler, HoldingWrite } from '../command-handling/holding-handler';
import { CommandResult } from '../renewals.tokens';
import { newVerificationId } from './verification-id';
/** R19: rotate a holding's verification id, or make its verification private or public. */
export class ChangeVerificationCommand {
  constructor(
    readonly data: { profileId: string; certificationCode: string; change: { rotate: true } | { visibility: 'public' | 'private' } },
    readonly meta: CommandMeta,
  ) {}
}

export interface ChangeVerificationResult extends CommandResult {
  verificationId: string | null;
  visibility: 'public' | 'private';
}

@CommandHandler(ChangeVerificationCommand)
export class ChangeVerificationHandler implements ICommandHandler<ChangeVerificationCommand, ChangeVerificationResult> {
  constructor(private readonly holdings: HoldingHandler) {}

  async execute({ data, meta }: ChangeVerificationCommand): Promise<ChangeVerificationResult> {
    const change = data.change;
    const outcome = await this.holdings.execute(
      new HoldingWrite(
        data,
        'rotate' in change
          ? { type: 'RotateVerificationId', data: { verificationId: newVerificationId() } }
          : { type: 'SetVerificationVisibility', data: { visibility: change.visibility } },
        meta,
      ),
    );
    const state = outcome.state;
    return {
      verificationId: state.status === 'held' ? (state.verificationId ?? null) : null,
      visibility: state.status === 'held' && state.verificationPrivate ? 'private' : 'public',
      events: outcome.events,
      position: outcome.position,
    };
  }
}
