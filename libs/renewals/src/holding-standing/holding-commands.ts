import { Inject, Injectable } from '@nestjs/common';
import { Catalog } from '../catalog';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDecision } from '../command-handling/decisions';
import { StreamCommands, StreamOutcome } from '../command-handling/stream-commands';
import { DomainError } from '../errors';
import { HoldingEvent, HoldingState } from '../holding/holding';
import { HoldingCommand } from '../holding/holding.decide';
import { ProfileReader } from '../profile/profile.reader';
import { CATALOG, PolicyRegistry } from '../renewals.tokens';

/** One holding command on an active profile's holding of a catalog certification: the loop the #13 handlers share. */
@Injectable()
export class HoldingCommands {
  constructor(
    private readonly commands: StreamCommands,
    private readonly profiles: ProfileReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  async run(
    profileId: string,
    certificationCode: string,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<StreamOutcome<HoldingState>> {
    await this.profiles.active(profileId);
    const certification = this.catalog.get(certificationCode);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${certificationCode} in the catalog`);
    return this.commands.run<HoldingState, HoldingEvent>(holdingDecision(profileId, certification, command, this.policies, meta));
  }
}
