import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { RecordedEvent } from '@recert/eventstore';
import {
  Catalog,
  Certification,
  DomainError,
  evolveHolding,
  holdingDecider,
  HoldingCommand,
  HoldingEvent,
  HoldingState,
  holdingStream,
  initialHoldingState,
} from '@recert/domain';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, PolicyRegistry } from '../renewals.tokens';
import { CommandMeta } from './command-meta';
import { holdingDeps } from './decisions';
import { StreamCommands, StreamOutcome } from './stream-commands';

export interface HoldingRef {
  profileId: string;
  certificationCode: string;
}

export interface HoldingWriteOptions {
  /**
   * Whether the profile must be active (R7, R12: PROFILE_NOT_FOUND, PROFILE_MERGED). The default; false for the
   * jobs and processes that act on a holding whatever its profile (deadlines, merge steps, override effects, imports
   * that checked the profile themselves).
   */
  activeProfile?: boolean;
}

/** One holding command, sent on the `CommandBus` (#28.1); the bus answers the holding's outcome. */
export class HoldingWrite extends Command<StreamOutcome<HoldingState>> {
  constructor(
    readonly ref: HoldingRef,
    readonly command: HoldingCommand,
    readonly meta: CommandMeta,
    readonly options: HoldingWriteOptions = {},
  ) {
    super();
  }
}

/** The catalog entry of a code, else UNKNOWN_CERTIFICATION. */
export function certificationOf(catalog: Catalog, code: string): Certification {
  const certification = catalog.get(code);
  if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${code} in the catalog`);
  return certification;
}

/**
 * Every write of a holding (#28.1): the preamble written once (the active profile, the catalog entry, else
 * UNKNOWN_CERTIFICATION), then `handle(holdingDecider, …, holdingDeps)`, the one command loop. The bus sends it
 * `HoldingWrite`; the handlers of richer holding commands (earn, attempt) call `prepare` and `write` themselves when
 * they need the catalog entry between the two.
 */
@CommandHandler(HoldingWrite)
@Injectable()
export class HoldingHandler implements ICommandHandler<HoldingWrite, StreamOutcome<HoldingState>> {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async execute({ ref, command, meta, options }: HoldingWrite): Promise<StreamOutcome<HoldingState>> {
    return this.write(ref.profileId, await this.prepare(ref, options), command, meta);
  }

  /** The preamble: the active profile (unless told otherwise) and the certification's catalog entry. */
  async prepare(ref: HoldingRef, { activeProfile = true }: HoldingWriteOptions = {}): Promise<Certification> {
    if (activeProfile) await this.profiles.active(ref.profileId);
    return certificationOf(this.catalog, ref.certificationCode);
  }

  /** Decides and appends on the holding of a catalog entry `prepare` gave. */
  write(profileId: string, certification: Certification, command: HoldingCommand, meta: CommandMeta): Promise<StreamOutcome<HoldingState>> {
    return this.commands.handle(
      holdingDecider,
      { profileId, certificationCode: certification.code },
      command,
      meta,
      holdingDeps(certification, this.policies),
    );
  }

  /** A holding's state and its events as stored (upcast), for the checks made before a write. */
  load(profileId: string, certificationCode: string): Promise<{ state: HoldingState; recorded: RecordedEvent[] }> {
    return this.commands.load<HoldingState, HoldingEvent>(holdingStream(profileId, certificationCode), evolveHolding, initialHoldingState);
  }
}
