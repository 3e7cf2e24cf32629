import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore, logPages } from '@recert/eventstore';
import { Command, CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { deterministicId } from '@recert/kernel';
import { assertActive, Catalog, Certification, DomainError, HoldingCommand, holdingIdOf, ProfileCommand, snapshotOf } from '@recert/domain';
import { AccountWrite, LearnProfileWrite, ProfileWrite } from '../command-handling/aggregate-writes';
import { CommandMeta } from '../command-handling/command-meta';
import { HoldingHandler, HoldingWrite } from '../command-handling/holding-handler';
import type { StreamOutcome } from '../command-handling/stream-commands';
import { ActiveProfile, MergeLinkPlan, ProfileState } from '@recert/domain';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, combine, CommandResult } from '../renewals.tokens';

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
 * R12: moves every holding of the source to the target and closes the source. Several streams change, so the merge
 * is a process (#16.3): ProfileMergeStarted on the target records it (and its steps, and R11a's plan for the link)
 * before the first step; CertificationProfilesMerged completes it. Each step is idempotent under one merge id
 * derived from the pair (deterministic event ids), so a merge torn by a crash is finished by the MergeCompleter
 * (on start, on each scheduler run) or by asking again; a completed one answers with nothing new.
 */
@CommandHandler(MergeProfilesCommand)
export class MergeProfilesHandler implements ICommandHandler<MergeProfilesCommand, CommandResult> {
  constructor(
    private readonly bus: CommandBus,
    private readonly holdings: HoldingHandler,
    private readonly profiles: ProfileReader,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  private onProfile(profileId: string, command: ProfileCommand, meta: CommandMeta, step?: string): Promise<StreamOutcome<ProfileState>> {
    return this.bus.execute(new ProfileWrite(profileId, command, meta, { step: step }));
  }

  private onHolding(
    profileId: string,
    certification: Certification,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<StreamOutcome<unknown>> {
    // The source is closed once the merge starts: its holdings move whatever its profile's state.
    return this.bus.execute(
      new HoldingWrite({ profileId, certificationCode: certification.code }, command, meta, { activeProfile: false }),
    );
  }

  async execute({ data, meta }: MergeProfilesCommand): Promise<CommandResult> {
    const { targetProfileId: targetId, sourceProfileId: sourceId } = data;
    if (targetId === sourceId) throw new DomainError('VALIDATION_FAILED', 'A profile cannot be merged into itself');
    const mergeId = deterministicId('merge', sourceId, targetId);
    // The merge's own ids make each step idempotent already (#16.3): no replay of stored events by the request's key.
    const stepMeta: CommandMeta = { ...meta, commandId: mergeId, replayStored: false };

    const target = await this.profiles.active(targetId);
    if (target.mergeIds.includes(mergeId)) return { events: [], position: 0 };
    const sourceState = await this.profiles.state(sourceId);
    const resuming = sourceState.status === 'closed' && sourceState.mergeId === mergeId;
    const source = resuming ? sourceState.last : assertActive(sourceState, sourceId);

    // Recorded before any step, with the plan for the link as decided now: a completer follows the same plan.
    const started = await this.onProfile(targetId, { type: 'StartMerge', data: { mergeId, source } }, stepMeta, 'started');
    const state = started.state;
    const plan = state.status === 'active' ? (state.pendingMerges ?? []).find((pending) => pending.mergeId === mergeId) : undefined;
    return combine(started, ...(await this.steps(mergeId, source, target, plan?.link ?? null, stepMeta)));
  }

  private async steps(
    mergeId: string,
    source: ActiveProfile,
    target: ActiveProfile,
    link: MergeLinkPlan | null,
    stepMeta: CommandMeta,
  ): Promise<StreamOutcome<unknown>[]> {
    const sourceId = source.profileId;
    const targetId = target.profileId;
    const outcomes: StreamOutcome<unknown>[] = [];
    outcomes.push(await this.onProfile(sourceId, { type: 'CloseForMerge', data: { mergeId, targetProfileId: targetId } }, stepMeta));
    outcomes.push(
      await this.bus.execute(
        new AccountWrite(
          source.accountId,
          { type: 'CloseProfile', data: { accountId: source.accountId, profileId: sourceId, mergedInto: targetId } },
          stepMeta,
        ),
      ),
    );

    const moved: string[] = [];
    for (const certification of this.catalog.entries) {
      const from = await this.holdings.load(sourceId, certification.code);
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

    // R11a: the source's learn profile link follows it, or is released, as the started merge planned.
    if (link) {
      const { learnProfileId } = link;
      outcomes.push(
        await this.bus.execute(
          new LearnProfileWrite(
            learnProfileId,
            link.action === 'transfer'
              ? { type: 'TransferLink', data: { learnProfileId, fromProfileId: sourceId, profileId: targetId, mergeId } }
              : { type: 'ReleaseLink', data: { learnProfileId, profileId: sourceId, reason: link.reason } },
            stepMeta,
          ),
        ),
      );
      if (link.action === 'transfer') {
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
    return outcomes;
  }
}

/**
 * Finishes every merge started and not completed (#16.3): a crash between ProfileMergeStarted and
 * CertificationProfilesMerged leaves one. Runs on start and on each scheduler run; reads the log from where it
 * last looked, so a run costs the merges started since. Steps are idempotent, so two completers at once are safe.
 */
@Injectable()
export class MergeCompleter {
  private readonly logger = new Logger('MergeCompleter');
  private scannedTo = 0;
  private readonly started = new Map<string, { targetProfileId: string; sourceProfileId: string; mergeId: string }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly merges: MergeProfilesHandler,
    private readonly profiles: ProfileReader,
  ) {}

  /** Completes what is pending; answers how many merges it completed. */
  async completeStarted(): Promise<number> {
    // The merges started since the last look, to the end of the log (R160).
    for await (const page of logPages(this.store, {
      after: this.scannedTo,
      filter: { eventTypes: ['ProfileMergeStarted'] },
      until: 'end',
    })) {
      for (const event of page.events) {
        const { profileId, sourceProfileId, mergeId } = event.data as { profileId: string; sourceProfileId: string; mergeId: string };
        this.started.set(mergeId, { targetProfileId: profileId, sourceProfileId, mergeId });
      }
      this.scannedTo = page.scannedTo;
    }
    let completed = 0;
    for (const merge of [...this.started.values()]) {
      try {
        const target = await this.profiles.state(merge.targetProfileId);
        const last = target.status === 'closed' ? target.last : target.status === 'active' ? target : null;
        if (last?.mergeIds.includes(merge.mergeId)) {
          this.started.delete(merge.mergeId);
          continue;
        }
        if (target.status !== 'active') {
          // The target was itself merged away before this merge completed: nothing can finish it now.
          this.started.delete(merge.mergeId);
          this.logger.error(`merge ${merge.mergeId} cannot complete: its target ${merge.targetProfileId} is no longer active`);
          continue;
        }
        const meta: CommandMeta = {
          commandId: merge.mergeId,
          correlationId: merge.mergeId,
          causationId: merge.mergeId,
          actor: 'merge-completer',
        };
        await this.merges.execute(
          new MergeProfilesCommand({ targetProfileId: merge.targetProfileId, sourceProfileId: merge.sourceProfileId }, meta),
        );
        this.started.delete(merge.mergeId);
        completed += 1;
        this.logger.log(`completed merge ${merge.mergeId} of ${merge.sourceProfileId} into ${merge.targetProfileId}`);
      } catch (error) {
        // Left for the next run; one merge's failure must not stop the others.
        this.logger.error(`merge ${merge.mergeId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return completed;
  }
}
