import { Inject, Injectable } from '@nestjs/common';
import { Catalog, DomainError, holdingDecider, HoldingCommand, HoldingState } from '@recert/domain';
import { CommandMeta } from '../command-handling/command-meta';
import { holdingDeps } from '../command-handling/decisions';
import { StreamCommands, StreamOutcome } from '../command-handling/stream-commands';
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
    return this.commands.handle(holdingDecider, { profileId, certificationCode }, command, meta, holdingDeps(certification, this.policies));
  }
}
