import type { Level } from '../catalog';

/**
 * A holding: one certification held by one profile, its whole life in one stream `holding-<profileId>.<code>`:
 * earned, windows opened, attempts, renewals, expiry, earned again (a new cycle), merges.
 * Decision events carry `policyVersion` in their data; the handler copies it into metadata (R14).
 */
export type CertificationEarned = {
  type: 'CertificationEarned';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    level: Level;
    earnedAt: string;
    /** null: never expires (fundamentals, R1). */
    expiresAt: string | null;
    renewalWindowOpensAt: string | null;
    cycle: number;
    policyVersion: string;
    /** The public verification id of this cycle (128 random bits, base64url), drawn outside the decider (R19). */
    verificationId?: string;
  };
};

export type RenewalWindowOpened = {
  type: 'RenewalWindowOpened';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    windowId: string;
    opensAt: string;
    expiresAt: string;
    policyVersion: string;
  };
};

export type RenewalEligibilityNotified = {
  type: 'RenewalEligibilityNotified';
  data: { holdingId: string; profileId: string; certificationCode: string; windowId: string; notificationId: string; notifiedAt: string };
};

export type AssessmentAttempted = {
  type: 'AssessmentAttempted';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    attemptId: string;
    windowId: string;
    /** 1-based number of this attempt within its window (R8). */
    attempt: number;
    passed: boolean;
    score: number | null;
    language: string;
    attemptedAt: string;
    policyVersion: string;
  };
};

export type CertificationRenewed = {
  type: 'CertificationRenewed';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    renewedAt: string;
    previousExpiresAt: string;
    expiresAt: string;
    renewalWindowOpensAt: string;
    policyVersion: string;
  };
};

export type CertificationExpired = {
  type: 'CertificationExpired';
  data: { holdingId: string; profileId: string; certificationCode: string; expiredAt: string; policyVersion: string };
};

/** Who decided an override under four eyes (R22, R26): on every holding event an override causes. */
export type OverrideActors = { overrideId: string; requestedBy: string; approvedBy: string };

/** R15: an admin revoked this cycle; final, the holder must earn the certification again. */
export type CertificationRevoked = {
  type: 'CertificationRevoked';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    cycle: number;
    reason: string;
    revokedAt: string;
    /** R27: present when the revocation is an approved override's effect. */
    override?: OverrideActors;
  };
};

/** R27: what moving a cycle's expiry records: by how much, from and to, the window of the new expiry, both admins, why. */
type ExpiryMoved = {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  cycle: number;
  by: string;
  from: string;
  to: string;
  renewalWindowOpensAt: string;
  reason: string;
  policyVersion: string;
} & OverrideActors;

/** R27: an approved override moved this cycle's expiry later by `by`; the renewal window follows the new expiry (R3). */
export type HoldingExpiryExtended = { type: 'HoldingExpiryExtended'; data: ExpiryMoved & { extendedAt: string } };

/** R27: an approved override gave an expired (not revoked) cycle a new expiry `by` after now, so its window is open again. */
export type RenewalWindowReopened = { type: 'RenewalWindowReopened'; data: ExpiryMoved & { reopenedAt: string } };

/** R27: an approved override let the next `attempts` attempts of the open window skip the retake cooldown (R8). */
export type RenewalAttemptsGranted = {
  type: 'RenewalAttemptsGranted';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    cycle: number;
    windowId: string;
    attempts: number;
    /** Attempts of the window up to this number wait no cooldown. */
    cooldownFreeUntil: number;
    reason: string;
    grantedAt: string;
  } & OverrideActors;
};

/** The last override that changed a holding, as the dashboard shows it (R26). */
export type LastOverride = OverrideActors & {
  kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts' | 'revoke';
  reason: string;
  at: string;
  from: string | null;
  to: string | null;
};

/** R16: an admin suspended this cycle, until reinstated or (when given) until `until`. */
export type CertificationSuspended = {
  type: 'CertificationSuspended';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    cycle: number;
    reason: string;
    suspendedAt: string;
    until: string | null;
  };
};

/** R17: an admin lifted a suspension. */
export type CertificationReinstated = {
  type: 'CertificationReinstated';
  data: { holdingId: string; profileId: string; certificationCode: string; cycle: number; reason: string; reinstatedAt: string };
};

/** R19: the holder (or support) drew a new public verification id; the previous one answers 404 from now on. */
export type VerificationIdRotated = {
  type: 'VerificationIdRotated';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    verificationId: string;
    previousVerificationId: string | null;
    rotatedAt: string;
  };
};

/** R19: the holder (or support) made this holding's verification private (404 like an unknown id) or public again. */
export type VerificationVisibilityChanged = {
  type: 'VerificationVisibilityChanged';
  data: { holdingId: string; profileId: string; certificationCode: string; visibility: 'public' | 'private'; changedAt: string };
};

/** Where an imported fact came from (#14.3, R39): the legacy system, its id for the row, the file line and the run. */
export type ImportSource = { system: string; sourceId: string; line: number; run: string };

/**
 * R40/R42: a holding migrated from a legacy system, with its history (earned, renewals, expiry) decided under the
 * policy book at import (`decideImport`); one event so the history reads as imported, not as exams passed today.
 */
export type CertificationImported = {
  type: 'CertificationImported';
  /** An earning's fields for the current cycle, the legacy renewals in order (R5 applied to each), and the source. */
  data: CertificationEarned['data'] & { renewals: string[]; importedFrom: ImportSource };
};

/** What a suspension holds: it ends by reinstatement or by itself at `until` (R17). */
export type Suspension = { since: string; until: string | null };

/** What a holding carries across a merge (R12). */
export type HoldingSnapshot = {
  level: Level;
  cycle: number;
  earnedAt: string;
  expiresAt: string | null;
  expired: boolean;
  window: WindowState | null;
  /** R15; absent in snapshots stored before revocation existed. */
  revoked?: boolean;
  /** R16; null or absent: not suspended. */
  suspension?: Suspension | null;
  /** R19: the public verification id; absent for cycles earned before verification existed. */
  verificationId?: string | null;
  verificationPrivate?: boolean;
  /** R26: the last override applied to this holding; absent: none. */
  lastOverride?: LastOverride | null;
  /** R26: overrides already applied (across cycles and merges), so a resumed or repeated approval applies none twice. */
  overrideIds?: string[];
};

export type HoldingMergedOut = {
  type: 'HoldingMergedOut';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    mergeId: string;
    toProfileId: string;
    toHoldingId: string;
    mergedAt: string;
  };
};

export type HoldingMergedIn = {
  type: 'HoldingMergedIn';
  data: {
    holdingId: string;
    profileId: string;
    certificationCode: string;
    mergeId: string;
    fromProfileId: string;
    fromHoldingId: string;
    mergedAt: string;
    /** True when the merged-in holding replaced (or became) this one: it was the better of the two. */
    adopted: boolean;
    snapshot: HoldingSnapshot;
  };
};

export type HoldingEvent =
  | CertificationEarned
  | RenewalWindowOpened
  | RenewalEligibilityNotified
  | AssessmentAttempted
  | CertificationRenewed
  | CertificationExpired
  | HoldingMergedOut
  | HoldingMergedIn
  | CertificationRevoked
  | CertificationSuspended
  | CertificationReinstated
  | VerificationIdRotated
  | VerificationVisibilityChanged
  | CertificationImported
  | HoldingExpiryExtended
  | RenewalWindowReopened
  | RenewalAttemptsGranted;

export const HOLDING_EVENT_TYPES: readonly HoldingEvent['type'][] = [
  'CertificationEarned',
  'RenewalWindowOpened',
  'RenewalEligibilityNotified',
  'AssessmentAttempted',
  'CertificationRenewed',
  'CertificationExpired',
  'HoldingMergedOut',
  'HoldingMergedIn',
  'CertificationRevoked',
  'CertificationSuspended',
  'CertificationReinstated',
  'VerificationIdRotated',
  'VerificationVisibilityChanged',
  'CertificationImported',
  'HoldingExpiryExtended',
  'RenewalWindowReopened',
  'RenewalAttemptsGranted',
];

/** The renewal window of one expiry: attempts count per window and restart with the next (R8). */
export type WindowState = {
  id: string;
  opensAt: string;
  expiresAt: string;
  opened: boolean;
  notified: boolean;
  attempts: number;
  lastAttemptAt: string | null;
  /** Attempt ids seen in this window, so a repeated attempt is recognised and not counted twice. */
  attemptIds: string[];
  /** R27: attempts up to this number wait no cooldown (granted by an override); absent: none granted. */
  cooldownFreeUntil?: number;
};

export type HeldState = {
  status: 'held';
  holdingId: string;
  profileId: string;
  certificationCode: string;
  /** Merges already applied to this holding, so a resumed merge applies none twice. */
  mergeIds: string[];
  /**
   * Earlier windows that opened and ended (renewed, earned again) before their notification was recorded: a
   * notification already on its way when the window ended can still be recorded, once (R4).
   */
  unnotifiedWindowIds?: string[];
  /** Ids of attempts of earlier windows (a pass ends its window): a repeat of any is recognised (R8, #16.18). */
  earlierAttemptIds?: string[];
  /** R39: the import source of this cycle, so a re-run of the same row imports nothing. */
  importedFrom?: ImportSource;
} & HoldingSnapshot;

export type HoldingState =
  | { status: 'none' }
  | HeldState
  | { status: 'merged-out'; toProfileId: string; toHoldingId: string; last: HeldState };

export const initialHoldingState: HoldingState = { status: 'none' };

export function holdingIdOf(profileId: string, certificationCode: string): string {
  return `${profileId}.${certificationCode}`;
}

export function windowIdOf(holdingId: string, expiresAt: string): string {
  return `${holdingId}@${expiresAt}`;
}

function newWindow(holdingId: string, expiresAt: string | null, opensAt: string | null): WindowState | null {
  if (expiresAt === null || opensAt === null) return null;
  return {
    id: windowIdOf(holdingId, expiresAt),
    opensAt,
    expiresAt,
    opened: false,
    notified: false,
    attempts: 0,
    lastAttemptAt: null,
    attemptIds: [],
  };
}

/** Ids of ended windows still waiting for a record, after `state`'s window is replaced. */
function unnotifiedAfterReplacing(state: HoldingState): string[] {
  if (state.status !== 'held') return [];
  const earlier = state.unnotifiedWindowIds ?? [];
  const ending = state.window;
  return ending && ending.opened && !ending.notified ? [...earlier, ending.id] : earlier;
}

function withWindow(state: HoldingState, change: (window: WindowState) => WindowState): HoldingState {
  if (state.status !== 'held' || state.window === null) return state;
  return { ...state, window: change(state.window) };
}

/** R26: records an override as applied (once) and as the holding's last. */
function withOverride(state: HeldState, last: LastOverride): HeldState {
  const applied = state.overrideIds ?? [];
  return { ...state, overrideIds: applied.includes(last.overrideId) ? applied : [...applied, last.overrideId], lastOverride: last };
}

export function evolveHolding(state: HoldingState, event: HoldingEvent): HoldingState {
  switch (event.type) {
    case 'CertificationEarned': {
      const d = event.data;
      return {
        status: 'held',
        holdingId: d.holdingId,
        profileId: d.profileId,
        certificationCode: d.certificationCode,
        level: d.level,
        cycle: d.cycle,
        earnedAt: d.earnedAt,
        expiresAt: d.expiresAt,
        expired: false,
        window: newWindow(d.holdingId, d.expiresAt, d.renewalWindowOpensAt),
        revoked: false,
        suspension: null,
        verificationId: d.verificationId ?? null,
        // Privacy is the holder's choice for the holding, kept across cycles.
        verificationPrivate: state.status === 'held' ? (state.verificationPrivate ?? false) : false,
        mergeIds: state.status === 'held' ? state.mergeIds : [],
        // An override applied to an earlier cycle stays applied (R26); the new cycle has none of its own yet.
        ...(state.status === 'held' && state.overrideIds ? { overrideIds: state.overrideIds } : {}),
        unnotifiedWindowIds: unnotifiedAfterReplacing(state),
        earlierAttemptIds: state.status === 'held' ? [...(state.earlierAttemptIds ?? []), ...(state.window?.attemptIds ?? [])] : [],
      };
    }
    case 'RenewalWindowOpened':
      return withWindow(state, (window) => (window.id === event.data.windowId ? { ...window, opened: true } : window));
    case 'RenewalEligibilityNotified': {
      const windowId = event.data.windowId;
      if (state.status === 'held' && state.window?.id !== windowId && state.unnotifiedWindowIds?.includes(windowId)) {
        return { ...state, unnotifiedWindowIds: state.unnotifiedWindowIds.filter((id) => id !== windowId) };
      }
      return withWindow(state, (window) => (window.id === windowId ? { ...window, notified: true } : window));
    }
    case 'AssessmentAttempted':
      return withWindow(state, (window) =>
        window.id === event.data.windowId
          ? {
              ...window,
              opened: true,
              attempts: event.data.attempt,
              lastAttemptAt: event.data.attemptedAt,
              attemptIds: [...window.attemptIds, event.data.attemptId],
            }
          : window,
      );
    case 'CertificationRenewed':
      if (state.status !== 'held') return state;
      return {
        ...state,
        expiresAt: event.data.expiresAt,
        window: newWindow(state.holdingId, event.data.expiresAt, event.data.renewalWindowOpensAt),
        unnotifiedWindowIds: unnotifiedAfterReplacing(state),
        earlierAttemptIds: [...(state.earlierAttemptIds ?? []), ...(state.window?.attemptIds ?? [])],
      };
    case 'CertificationExpired':
      return state.status === 'held' ? { ...state, expired: true } : state;
    case 'CertificationRevoked': {
      // R15: the window ends with the revocation; expiry keeps its instant (history), the status says revoked.
      if (state.status !== 'held') return state;
      const revoked: HeldState = { ...state, revoked: true, suspension: null, window: null };
      const o = event.data.override;
      return o
        ? withOverride(revoked, { ...o, kind: 'revoke', reason: event.data.reason, at: event.data.revokedAt, from: null, to: null })
        : revoked;
    }
    case 'HoldingExpiryExtended':
    case 'RenewalWindowReopened': {
      // R27: a new expiry, and with it a new window under R3 (its attempts start over, like a renewal's).
      if (state.status !== 'held') return state;
      const d = event.data;
      const extended = event.type === 'HoldingExpiryExtended';
      return withOverride(
        {
          ...state,
          expiresAt: d.to,
          expired: false,
          window: newWindow(state.holdingId, d.to, d.renewalWindowOpensAt),
          unnotifiedWindowIds: unnotifiedAfterReplacing(state),
          earlierAttemptIds: [...(state.earlierAttemptIds ?? []), ...(state.window?.attemptIds ?? [])],
        },
        {
          overrideId: d.overrideId,
          requestedBy: d.requestedBy,
          approvedBy: d.approvedBy,
          kind: extended ? 'extend-expiry' : 'reopen-window',
          reason: d.reason,
          at: extended ? event.data.extendedAt : event.data.reopenedAt,
          from: d.from,
          to: d.to,
        },
      );
    }
    case 'RenewalAttemptsGranted': {
      if (state.status !== 'held') return state;
      const d = event.data;
      const granted = withWindow(state, (window) =>
        window.id === d.windowId ? { ...window, cooldownFreeUntil: d.cooldownFreeUntil } : window,
      );
      return withOverride(granted as HeldState, {
        overrideId: d.overrideId,
        requestedBy: d.requestedBy,
        approvedBy: d.approvedBy,
        kind: 'grant-attempts',
        reason: d.reason,
        at: d.grantedAt,
        from: null,
        to: null,
      });
    }
    case 'CertificationSuspended':
      return state.status === 'held' ? { ...state, suspension: { since: event.data.suspendedAt, until: event.data.until } } : state;
    case 'CertificationReinstated':
      return state.status === 'held' ? { ...state, suspension: null } : state;
    case 'VerificationIdRotated':
      return state.status === 'held' ? { ...state, verificationId: event.data.verificationId } : state;
    case 'VerificationVisibilityChanged':
      return state.status === 'held' ? { ...state, verificationPrivate: event.data.visibility === 'private' } : state;
    case 'CertificationImported': {
      // R39/R40: the current cycle as an earning would start it, with its imported expiry and its source; only ever
      // the first event of a stream (the decider refuses an import onto a holding).
      const { renewals: _renewals, importedFrom, ...earned } = event.data;
      const held = evolveHolding(initialHoldingState, { type: 'CertificationEarned', data: earned });
      return held.status === 'held' ? { ...held, importedFrom } : held;
    }
    case 'HoldingMergedOut':
      return state.status === 'held'
        ? { status: 'merged-out', toProfileId: event.data.toProfileId, toHoldingId: event.data.toHoldingId, last: state }
        : state;
    case 'HoldingMergedIn': {
      const d = event.data;
      if (!d.adopted) return state.status === 'held' ? { ...state, mergeIds: [...state.mergeIds, d.mergeId] } : state;
      const window =
        d.snapshot.window && d.snapshot.expiresAt ? { ...d.snapshot.window, id: windowIdOf(d.holdingId, d.snapshot.expiresAt) } : null;
      const s = d.snapshot;
      return {
        status: 'held',
        holdingId: d.holdingId,
        profileId: d.profileId,
        certificationCode: d.certificationCode,
        level: s.level,
        cycle: s.cycle,
        earnedAt: s.earnedAt,
        expiresAt: s.expiresAt,
        expired: s.expired,
        window,
        revoked: s.revoked ?? false,
        suspension: s.suspension ?? null,
        verificationId: s.verificationId ?? null,
        verificationPrivate: s.verificationPrivate ?? false,
        lastOverride: s.lastOverride ?? null,
        overrideIds: [...(state.status === 'held' ? (state.overrideIds ?? []) : []), ...(s.overrideIds ?? [])],
        mergeIds: [...(state.status === 'held' ? state.mergeIds : []), d.mergeId],
      };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export function foldHolding(events: readonly HoldingEvent[]): HoldingState {
  return events.reduce(evolveHolding, initialHoldingState);
}

export type HoldingStatus = 'active' | 'renewal-open' | 'expired' | 'never-expires' | 'revoked' | 'suspended';

/** R16/R17: suspended at `at`: a suspension ends by itself at its `until`, derived from the clock, no event needed. */
export function isSuspendedAt(state: Pick<HoldingSnapshot, 'suspension'>, at: Date): boolean {
  const suspension = state.suspension;
  if (!suspension) return false;
  return suspension.until === null || at.getTime() < Date.parse(suspension.until);
}

/**
 * Status at an instant, from time alone: a holding expires at its expiry instant even before it is recorded (R9).
 * R20: revoked before expired before suspended (a suspended holding's expiry clock keeps running, R16).
 */
export function holdingStatusAt(state: HeldState, at: Date): HoldingStatus {
  if (state.revoked) return 'revoked';
  const t = at.getTime();
  if (state.expiresAt !== null && (state.expired || t >= Date.parse(state.expiresAt))) return 'expired';
  if (isSuspendedAt(state, at)) return 'suspended';
  if (state.expiresAt === null) return 'never-expires';
  if (state.window && t >= Date.parse(state.window.opensAt)) return 'renewal-open';
  return 'active';
}

/** Held, neither expired, revoked nor suspended at `at`, and earned by then (prerequisites, R10, R15, R16). */
export function isActiveAt(state: HoldingState, at: Date): boolean {
  if (state.status !== 'held') return false;
  if (Date.parse(state.earnedAt) > at.getTime()) return false;
  const status = holdingStatusAt(state, at);
  return status !== 'expired' && status !== 'revoked' && status !== 'suspended';
}

export function snapshotOf(state: HeldState): HoldingSnapshot {
  return {
    level: state.level,
    cycle: state.cycle,
    earnedAt: state.earnedAt,
    expiresAt: state.expiresAt,
    expired: state.expired,
    window: state.window,
    revoked: state.revoked ?? false,
    suspension: state.suspension ?? null,
    verificationId: state.verificationId ?? null,
    verificationPrivate: state.verificationPrivate ?? false,
    lastOverride: state.lastOverride ?? null,
    overrideIds: state.overrideIds ?? [],
  };
}
