import { Injectable } from '@nestjs/common';
import { StreamReader } from '../command-handling/stream-reader';
import { ActiveProfile, assertActive, evolveProfile, initialProfileState, ProfileEvent, ProfileState, profileStream } from '@recert/domain';

/** Loads a profile's state for the checks other aggregates' commands need (R7, R12). */
@Injectable()
export class ProfileReader {
  constructor(private readonly reader: StreamReader) {}

  async state(profileId: string): Promise<ProfileState> {
    return (await this.reader.load<ProfileState, ProfileEvent>(profileStream(profileId), evolveProfile, initialProfileState)).state;
  }

  /** The active profile, else PROFILE_NOT_FOUND or PROFILE_MERGED. */
  async active(profileId: string): Promise<ActiveProfile> {
    return assertActive(await this.state(profileId), profileId);
  }
}
