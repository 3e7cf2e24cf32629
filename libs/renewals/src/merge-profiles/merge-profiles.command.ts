import { Inject } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { deterministicId } from '@recert/kernel';
import {
  AccountEvent,
  AccountState,
  accountStream,
  assertActive,
  Catalog,
  Certification,
  DomainError,
  evolveAccount,
  evolveHolding,
  HoldingCommand,
  HoldingEvent,
  holdingIdOf,
  HoldingState,
  holdingStream,
  initialAccountState,
  initialHoldingState,
  ProfileCommand,
  snapshotOf,
} from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDecision, learnProfileDecision, profileDecision } from '../command-handling/decisions';
import { StreamCommands, StreamOutcome } from '../command-handling/stream-commands';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, combine, CommandResult, PolicyRegistry } from '../renewals.tokens';

/** Its result type rides on the command, so the bus's answer is typed. */
export class MergeProfilesCommand extends Command<CommandResult> {
  constructor(
    readonly data: { targetProfileId: string; sourceProfileId: string },
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

/**
 * R12: moves every holding of the source to the target and closes the source. Several streams change, so each
 * step is idempotent under one merge id derived from the pair: a merge interrupted by a crash completes when
 * asked again, and a completed one answers with nothing new.
 */
@CommandHandler(MergeProfilesCommand)
export class MergeProfilesHandler implements ICommandHandler<MergeProfilesCommand, CommandResult> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  private onProfile(profileId: string, command: ProfileCommand, meta: CommandMeta, step?: string): Promise<StreamOutcome<unknown>> {
    return this.commands.run(profileDecision(profileId, command, meta, step));
  }

  private onHolding(
    profileId: string,
    certification: Certification,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<StreamOutcome<unknown>> {
    return this.commands.run(holdingDecision(profileId, certification, command, this.policies, meta));
  }

  async execute({ data, meta }: MergeProfilesCommand): Promise<CommandResult> {
    const { targetProfileId: targetId, sourceProfileId: sourceId } = data;
    if (targetId === sourceId) throw new DomainError('VALIDATION_FAILED', 'A profile cannot be merged into itself');
    const mergeId = deterministicId('merge', sourceId, targetId);
    const stepMeta: CommandMeta = { ...meta, commandId: mergeId };

    const target = await this.profiles.active(targetId);
    const sourceState = await this.profiles.state(sourceId);
    const resuming = sourceState.status === 'closed' && sourceState.mergeId === mergeId;
    const source = resuming ? sourceState.last : assertActive(sourceState, sourceId);

    const outcomes: StreamOutcome<unknown>[] = [];
    outcomes.push(await this.onProfile(sourceId, { type: 'CloseForMerge', data: { mergeId, targetProfileId: targetId } }, stepMeta));
    outcomes.push(
      await this.commands.run<AccountState, AccountEvent>({
        stream: accountStream(source.accountId),
        evolve: evolveAccount,
        initialState: initialAccountState,
        meta: stepMeta,
        decide: (state) =>
          state.profiles.includes(sourceId)
            ? [{ type: 'AccountProfileClosed', data: { accountId: source.accountId, profileId: sourceId, mergedInto: targetId } }]
            : [],
      }),
    );

    const moved: string[] = [];
    for (const certification of this.catalog.entries) {
      const fromStream = holdingStream(sourceId, certification.code);
      const from = await this.commands.load<HoldingState, HoldingEvent>(fromStream, evolveHolding, initialHoldingState);
      const held =
        from.state.status === 'held'
          ? from.state
          : from.state.status === 'merged-out' && from.state.toProfileId === targetId
            ? from.state.last
            : null;
      if (!held) continue;
      moved.push(certification.code);
      // Out first: once the source is closed for this holding, resuming re-reads the snapshot from its state.
      outcomes.push(
        await this.onHolding(
          sourceId,
          certification,
          { type: 'MergeHoldingOut', data: { mergeId, toProfileId: targetId, toHoldingId: holdingIdOf(targetId, certification.code) } },
          stepMeta,
        ),
      );
      outcomes.push(
        await this.onHolding(
          targetId,
          certification,
          {
            type: 'MergeHoldingIn',
            data: {
              mergeId,
              holdingId: holdingIdOf(targetId, certification.code),
              profileId: targetId,
              fromProfileId: sourceId,
              fromHoldingId: held.holdingId,
              snapshot: snapshotOf(held),
            },
          },
          stepMeta,
        ),
      );
    }

    // The source's learn profile link follows it when the target has none; otherwise it is released.
    if (source.linkedLearnProfileId) {
      const learnProfileId = source.linkedLearnProfileId;
      const transfer = target.linkedLearnProfileId === null || target.linkedLearnProfileId === learnProfileId;
      outcomes.push(
        await this.commands.run(
          learnProfileDecision(
            learnProfileId,
            transfer
              ? { type: 'TransferLink', data: { learnProfileId, fromProfileId: sourceId, profileId: targetId, mergeId } }
              : {
                  type: 'ReleaseLink',
                  data: { learnProfileId, profileId: sourceId, reason: `merged into ${targetId}, which has its own link` },
                },
            stepMeta,
          ),
        ),
      );
      if (transfer) {
        outcomes.push(
          await this.onProfile(
            targetId,
            {
              type: 'LinkLearnProfile',
              data: {
                learnProfileId,
                accountId: target.accountId,
                accountType: target.accountType,
                learnProfileLinkedTo: targetId,
                activeProfilesOfAccount: 1,
                reason: 'merge',
              },
            },
            stepMeta,
            'link',
          ),
        );
      }
    }

    outcomes.push(
      await this.onProfile(
        targetId,
        { type: 'RecordMerge', data: { mergeId, sourceProfileId: sourceId, holdings: moved } },
        stepMeta,
        'merged',
      ),
    );
    return combine(...outcomes);
  }
}
