import { eventList } from '@recert/kernel/pure';
import type { Level } from '../catalog';

/** Which holding an event is about: every holding event's data starts with these three. */
export type HoldingKey = { holdingId: string; profileId: string; certificationCode: string };

/**
 * A holding: one certification held by one profile, its whole life in one stream `holding-<profileId>.<code>`:
 * earned, windows opened, attempts, renewals, expiry, earned again (a new cycle), merges.
 * Decision events carry `policyVersion` in their data; the handler copies it into metadata (R14).
 */
export type CertificationEarned = {
  type: 'CertificationEarned';
  data: HoldingKey & {
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
  data: HoldingKey & {
    windowId: string;
    opensAt: string;
    expiresAt: string;
    policyVersion: string;
  };
};

export type RenewalEligibilityNotified = {
  type: 'RenewalEligibilityNotified';
  data: HoldingKey & { windowId: string; notificationId: string; notifiedAt: string };
};

export type AssessmentAttempted = {
  type: 'AssessmentAttempted';
  data: HoldingKey & {
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
  data: HoldingKey & {
    renewedAt: string;
    previousExpiresAt: string;
    expiresAt: string;
    renewalWindowOpensAt: string;
    policyVersion: string;
  };
};

export type CertificationExpired = {
  type: 'CertificationExpired';
  data: HoldingKey & { expiredAt: string; policyVersion: string };
};

/** Who decided an override under four eyes (R22, R26): on every holding event an override causes. */
export type OverrideActors = { overrideId: string; requestedBy: string; approvedBy: string };

/** R15: an admin revoked this cycle; final, the holder must earn the certification again. */
export type CertificationRevoked = {
  type: 'CertificationRevoked';
  data: HoldingKey & {
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
  data: HoldingKey & {
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
  data: HoldingKey & {
    cycle: number;
    reason: string;
    suspendedAt: string;
    until: string | null;
  };
};

/** R17: an admin lifted a suspension. */
export type CertificationReinstated = {
  type: 'CertificationReinstated';
  data: HoldingKey & { cycle: number; reason: string; reinstatedAt: string };
};

/** R19: the holder (or support) drew a new public verification id; the previous one answers 404 from now on. */
export type VerificationIdRotated = {
  type: 'VerificationIdRotated';
  data: HoldingKey & {
    verificationId: string;
    previousVerificationId: string | null;
    rotatedAt: string;
  };
};

/** R19: the holder (or support) made this holding's verification private (404 like an unknown id) or public again. */
export type VerificationVisibilityChanged = {
  type: 'VerificationVisibilityChanged';
  data: HoldingKey & { visibility: 'public' | 'private'; changedAt: string };
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
  data: HoldingKey & {
    mergeId: string;
    toProfileId: string;
    toHoldingId: string;
    mergedAt: string;
  };
};

export type HoldingMergedIn = {
  type: 'HoldingMergedIn';
  data: HoldingKey & {
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

/**
 * Every holding event type, once: the record is checked against the union both ways (a type missing or unknown
 * fails to compile), and the list subscriptions, type guards and specs use is derived from it.
 */
const HOLDING_EVENT_TYPE_SET = {
  CertificationEarned: true,
  RenewalWindowOpened: true,
  RenewalEligibilityNotified: true,
  AssessmentAttempted: true,
  CertificationRenewed: true,
  CertificationExpired: true,
  HoldingMergedOut: true,
  HoldingMergedIn: true,
  CertificationRevoked: true,
  CertificationSuspended: true,
  CertificationReinstated: true,
  VerificationIdRotated: true,
  VerificationVisibilityChanged: true,
  CertificationImported: true,
  HoldingExpiryExtended: true,
  RenewalWindowReopened: true,
  RenewalAttemptsGranted: true,
} as const satisfies Record<HoldingEvent['type'], true>;

/** The list with its guard: `HOLDING_EVENTS.is(event)` narrows a stored event to `Recorded<HoldingEvent>`. */
export const HOLDING_EVENTS = eventList<HoldingEvent>(HOLDING_EVENT_TYPE_SET);
export const HOLDING_EVENT_TYPES = HOLDING_EVENTS.types;

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
