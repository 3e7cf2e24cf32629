import type { RecordedEvent } from '@recert/kernel/pure';
import type { Catalog } from '../catalog';
import { DomainError } from '../errors';
import {
  AssessmentAttempted,
  CertificationEarned,
  evolveHolding,
  HOLDING_EVENT_TYPES,
  HOLDING_EVENTS,
  HoldingEvent,
  HoldingMergedIn,
  HoldingMergedOut,
  HoldingSnapshot,
  HoldingState,
  holdingStatusAt,
  initialHoldingState,
  snapshotOf,
} from '../holding';
import { decideHolding, HoldingCommand, prerequisiteMet, withPolicyWindow } from '../holding';
import type { PolicyBook } from '../policy';
import { CHANGE_KINDS, ChangeKind, HoldingDifference, HoldingSide, WhatIfReport } from './report';
import { reminderChanges } from '../reminders/reminders';
import { PROFILE_EVENTS } from '../profile/events';

export * from './report';

/**
 * What-if replay (R14): the recorded facts (earnings, attempts, links, merges, and the passage of time) replayed
 * in global order through the same deciders under a candidate policy, into a shadow model held in memory. It
 * reads the log and writes nothing. Facts derived by the service (windows opened, expiries, renewals,
 * notifications) are not inputs: the shadow derives its own. A command the live service refused left no fact,
 * so a candidate can only be shown refusing what was accepted, never accepting what was refused.
 */

interface Track {
  profileId: string;
  code: string;
  live: HoldingState;
  shadow: HoldingState;
  liveRenewals: number;
  shadowRenewals: number;
  liveAttempts: number;
  shadowAttempts: number;
  refused: HoldingDifference['refused'];
}

// Links and closures from profiles; every holding event, so the live side folds exactly what was recorded.
const INPUT_TYPES = new Set<string>(['ProfilesLinked', 'LearnProfileUnlinked', 'CertificationProfileClosed', ...HOLDING_EVENT_TYPES]);

export class WhatIfReplay {
  private readonly holdings = new Map<string, Track>();
  private readonly linked = new Set<string>();
  /** Shadow snapshots of holdings moved out, waiting for their HoldingMergedIn. */
  private readonly movedOut = new Map<string, HoldingSnapshot | null>();
  private replayed = 0;

  constructor(
    private readonly live: PolicyBook,
    private readonly candidate: PolicyBook,
    private readonly catalog: Catalog,
  ) {}

  /** Event types the replay reads; a caller may filter the log with them. */
  static readonly inputTypes: readonly string[] = [...INPUT_TYPES];

  private track(holdingId: string, profileId: string, code: string): Track {
    let track = this.holdings.get(holdingId);
    if (!track) {
      track = {
        profileId,
        code,
        live: initialHoldingState,
        shadow: initialHoldingState,
        liveRenewals: 0,
        shadowRenewals: 0,
        liveAttempts: 0,
        shadowAttempts: 0,
        refused: [],
      };
      this.holdings.set(holdingId, track);
    }
    return track;
  }

  private shadowDecide(track: Track, command: HoldingCommand, at: Date): HoldingEvent[] | DomainError {
    const certification = this.catalog.get(track.code);
    if (!certification) return [];
    try {
      const events = decideHolding(command, track.shadow, { now: at, policies: this.candidate, certification });
      for (const event of events) {
        track.shadow = evolveHolding(track.shadow, event);
        if (event.type === 'CertificationRenewed') track.shadowRenewals += 1;
        if (event.type === 'AssessmentAttempted') track.shadowAttempts += 1;
      }
      return events;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  }

  apply(event: RecordedEvent): void {
    if (!INPUT_TYPES.has(event.type)) return;
    this.replayed += 1;
    if (PROFILE_EVENTS.is(event)) {
      if (event.type === 'ProfilesLinked') this.linked.add(event.data.profileId);
      else if (event.type === 'LearnProfileUnlinked' || event.type === 'CertificationProfileClosed')
        this.linked.delete(event.data.profileId);
      return;
    }
    if (!HOLDING_EVENTS.is(event) || !event.stream.startsWith('holding-')) return;
    const holding: HoldingEvent = event;
    const track = this.track(holding.data.holdingId, holding.data.profileId, holding.data.certificationCode);
    track.live = evolveHolding(track.live, holding);
    switch (holding.type) {
      case 'CertificationEarned':
        return this.replayEarning(track, holding);
      case 'AssessmentAttempted':
        return this.replayAttempt(track, holding);
      case 'CertificationRenewed':
        track.liveRenewals += 1;
        return;
      case 'HoldingMergedOut':
        return this.replayMergeOut(track, holding);
      case 'HoldingMergedIn':
        return this.replayMergeIn(track, holding);
      case 'CertificationRevoked':
        // R27: a revoke override is the same revocation, replayed as one (its override id kept with it).
        if (holding.data.override) return this.replayOverride(track, holding);
        return this.replayStanding(track, holding);
      case 'CertificationSuspended':
      case 'CertificationReinstated':
        return this.replayStanding(track, holding);
      case 'CertificationImported':
        // R40: migrated history was decided at import under the book then; the candidate judges what follows it.
        track.shadow = track.live;
        track.liveRenewals += holding.data.renewals.length;
        track.shadowRenewals += holding.data.renewals.length;
        return;
      case 'HoldingExpiryExtended':
      case 'RenewalWindowReopened':
      case 'RenewalAttemptsGranted':
        return this.replayOverride(track, holding);
      default:
        // Windows, notifications, expiries: derived by the shadow from time itself.
        return;
    }
  }

  private replayEarning(track: Track, event: CertificationEarned): void {
    const earnedAt = new Date(event.data.earnedAt);
    const certification = this.catalog.get(track.code);
    const prerequisiteActive =
      !certification ||
      prerequisiteMet(certification, earnedAt, (code) => this.holdings.get(`${track.profileId}.${code}`)?.shadow ?? initialHoldingState);
    const outcome = this.shadowDecide(
      track,
      {
        type: 'EarnCertification',
        data: { holdingId: event.data.holdingId, profileId: event.data.profileId, earnedAt, prerequisiteActive },
      },
      earnedAt,
    );
    if (outcome instanceof DomainError) track.refused.push({ kind: 'earning', at: event.data.earnedAt, code: outcome.code });
  }

  private replayAttempt(track: Track, event: AssessmentAttempted): void {
    track.liveAttempts += 1;
    const at = new Date(event.data.attemptedAt);
    const outcome = this.shadowDecide(
      track,
      {
        type: 'AttemptRenewal',
        data: {
          attemptId: event.data.attemptId,
          passed: event.data.passed,
          score: event.data.score,
          language: event.data.language,
          profileLinked: this.linked.has(track.profileId),
        },
      },
      at,
    );
    if (outcome instanceof DomainError)
      track.refused.push({ kind: 'attempt', at: event.data.attemptedAt, code: outcome.code, attemptId: event.data.attemptId });
  }

  /**
   * R15-R17: the program's decisions are facts to replay, through the same decider. Where the shadow holding is
   * in another state (say, already expired there) the decider refuses and the shadow keeps its own state.
   */
  private replayStanding(
    track: Track,
    event: Extract<HoldingEvent, { type: 'CertificationRevoked' | 'CertificationSuspended' | 'CertificationReinstated' }>,
  ): void {
    const command: HoldingCommand =
      event.type === 'CertificationRevoked'
        ? { type: 'RevokeCertification', data: { reason: event.data.reason } }
        : event.type === 'CertificationSuspended'
          ? {
              type: 'SuspendCertification',
              data: { reason: event.data.reason, until: event.data.until ? new Date(event.data.until) : null },
            }
          : { type: 'ReinstateCertification', data: { reason: event.data.reason } };
    const at =
      event.type === 'CertificationRevoked'
        ? event.data.revokedAt
        : event.type === 'CertificationSuspended'
          ? event.data.suspendedAt
          : event.data.reinstatedAt;
    this.shadowDecide(track, command, new Date(at));
  }

  /** R26/R27: an approved override is a fact to replay through the same decider, as the program decided it then. */
  private replayOverride(
    track: Track,
    event: Extract<
      HoldingEvent,
      { type: 'HoldingExpiryExtended' | 'RenewalWindowReopened' | 'RenewalAttemptsGranted' | 'CertificationRevoked' }
    >,
  ): void {
    const d = event.data;
    const actors =
      event.type === 'CertificationRevoked'
        ? event.data.override
        : { overrideId: event.data.overrideId, requestedBy: event.data.requestedBy, approvedBy: event.data.approvedBy };
    if (!actors) return;
    const [kind, at, extra] =
      event.type === 'HoldingExpiryExtended'
        ? (['extend-expiry', event.data.extendedAt, { by: event.data.by }] as const)
        : event.type === 'RenewalWindowReopened'
          ? (['reopen-window', event.data.reopenedAt, { by: event.data.by }] as const)
          : event.type === 'RenewalAttemptsGranted'
            ? (['grant-attempts', event.data.grantedAt, { attempts: event.data.attempts }] as const)
            : (['revoke', event.data.revokedAt, {}] as const);
    this.shadowDecide(track, { type: 'ApplyOverride', data: { ...actors, kind, reason: d.reason, ...extra } }, new Date(at));
  }

  private replayMergeOut(track: Track, event: HoldingMergedOut): void {
    const shadow = track.shadow;
    this.movedOut.set(`${event.data.mergeId}:${track.code}`, shadow.status === 'held' ? snapshotOf(shadow) : null);
    this.shadowDecide(
      track,
      {
        type: 'MergeHoldingOut',
        data: { mergeId: event.data.mergeId, toProfileId: event.data.toProfileId, toHoldingId: event.data.toHoldingId },
      },
      new Date(event.data.mergedAt),
    );
  }

  private replayMergeIn(track: Track, event: HoldingMergedIn): void {
    const snapshot = this.movedOut.get(`${event.data.mergeId}:${track.code}`);
    if (!snapshot) return;
    this.shadowDecide(
      track,
      {
        type: 'MergeHoldingIn',
        data: {
          mergeId: event.data.mergeId,
          holdingId: event.data.holdingId,
          profileId: event.data.profileId,
          fromProfileId: event.data.fromProfileId,
          fromHoldingId: event.data.fromHoldingId,
          snapshot,
        },
      },
      new Date(event.data.mergedAt),
    );
  }

  private side(state: HoldingState, book: PolicyBook, asOf: Date, renewals: number, attempts: number): HoldingSide {
    if (state.status !== 'held') return { status: state.status, expiresAt: null, renewalWindowOpensAt: null, renewals, attempts };
    const current = withPolicyWindow(state, book);
    return {
      status: holdingStatusAt(current, asOf),
      expiresAt: current.expiresAt,
      renewalWindowOpensAt: current.window?.opensAt ?? null,
      renewals,
      attempts,
    };
  }

  report(asOf: Date): WhatIfReport {
    const zero = (): Record<ChangeKind, number> => Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, 0])) as Record<ChangeKind, number>;
    const byKind = zero();
    const byCertification: WhatIfReport['totals']['byCertification'] = {};
    const differences: HoldingDifference[] = [];
    const reminders = { holdingsChanged: 0, added: 0, removed: 0 };
    for (const [holdingId, track] of this.holdings) {
      const live = this.side(track.live, this.live, asOf, track.liveRenewals, track.liveAttempts);
      const candidate = this.side(track.shadow, this.candidate, asOf, track.shadowRenewals, track.shadowAttempts);
      const reminderChange = reminderChanges(
        { expiresAt: live.status === 'expired' ? null : live.expiresAt, book: this.live },
        { expiresAt: candidate.status === 'expired' ? null : candidate.expiresAt, book: this.candidate },
        asOf,
      );
      if (reminderChange.added + reminderChange.removed > 0) reminders.holdingsChanged += 1;
      reminders.added += reminderChange.added;
      reminders.removed += reminderChange.removed;
      const changes: ChangeKind[] = [];
      if (live.status !== candidate.status) changes.push('status');
      if (live.expiresAt !== candidate.expiresAt) changes.push('expiry');
      if (live.renewalWindowOpensAt !== candidate.renewalWindowOpensAt) changes.push('window');
      if (track.refused.some((r) => r.kind === 'attempt')) changes.push('attempt-refused');
      if (candidate.renewals < live.renewals) changes.push('renewal-lost');
      if (candidate.renewals > live.renewals) changes.push('renewal-gained');
      if (track.refused.some((r) => r.kind === 'earning')) changes.push('earning-refused');
      const cert = (byCertification[track.code] ??= { holdings: 0, differing: 0, byKind: zero() });
      cert.holdings += 1;
      if (changes.length === 0) continue;
      cert.differing += 1;
      for (const kind of changes) {
        byKind[kind] += 1;
        cert.byKind[kind] += 1;
      }
      differences.push({
        holdingId,
        profileId: track.profileId,
        certificationCode: track.code,
        changes,
        live,
        candidate,
        refused: track.refused,
      });
    }
    // Code-point order (not the locale's), so a page's cursor is the last id and the next page starts past it (#23.4).
    differences.sort((a, b) => (a.holdingId < b.holdingId ? -1 : a.holdingId > b.holdingId ? 1 : 0));
    return {
      asOf: asOf.toISOString(),
      candidatePolicyVersions: this.candidate.versions.map((policy) => policy.version),
      eventsReplayed: this.replayed,
      holdingsCompared: this.holdings.size,
      holdingsDiffering: differences.length,
      totals: { byKind, reminders, byCertification },
      holdings: differences,
    };
  }
}
