import { Injectable } from '@nestjs/common';
import { ProfileReader } from '@recert/renewals';
import type { Language } from './holder-i18n';

/** What the holder chose (#15.3); absent until chosen, when a document goes by what the request says, then English/UTC. */
export interface HolderChoice {
  language?: Language;
  timeZone?: string;
}

/**
 * The holder's language and time zone, read from the profile stream (as the reminders do), so a calendar or PDF
 * asked for right after a change already follows it; a merged profile answers with its last active state.
 */
@Injectable()
export class HolderPreferences {
  constructor(private readonly profiles: ProfileReader) {}

  async of(profileId: string): Promise<HolderChoice> {
    const state = await this.profiles.state(profileId);
    const active = state.status === 'active' ? state : state.status === 'closed' ? state.last : null;
    const chosen = active?.preferences;
    return chosen ? { language: chosen.language, timeZone: chosen.timeZone } : {};
  }
}
