import { Injectable } from '@nestjs/common';
import { MergeCompleter, OverrideProcess } from '@recert/renewals';

/** The processes a crash may leave half-done, finished (#16.3, R26), and override requests left undecided, expired (R24). */
@Injectable()
export class ProcessCompletions {
  constructor(
    private readonly merges: MergeCompleter,
    private readonly overrides: OverrideProcess,
  ) {}

  async runOnce(): Promise<{ mergesCompleted: number; overridesCompleted: number; overridesExpired: number }> {
    // First: a holding still half-way through a torn merge is renewable nowhere until it completes.
    const mergesCompleted = await this.merges.completeStarted();
    // An approved override finishes before deadlines are judged: its extension may move an expiry that is due now.
    const overridesCompleted = await this.overrides.completeApproved();
    const overridesExpired = await this.overrides.expireDue();
    return { mergesCompleted, overridesCompleted, overridesExpired };
  }
}
