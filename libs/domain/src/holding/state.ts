import type { HoldingEvent, HoldingKey, HoldingSnapshot, ImportSource, LastOverride, WindowState } from './events';

/** A holding's state, folded from its stream by `evolveHolding`; the rules read it in `rules.ts`. */
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

/** The first fields of a held state, from an earned or an adopted (merged-in) cycle: one key order for both. */
function heldCycle(key: HoldingKey, cycle: Pick<HeldState, 'level' | 'cycle' | 'earnedAt' | 'expiresAt'>) {
  const { holdingId, profileId, certificationCode } = key;
  return {
    status: 'held' as const,
    holdingId,
    profileId,
    certificationCode,
    level: cycle.level,
    cycle: cycle.cycle,
    earnedAt: cycle.earnedAt,
    expiresAt: cycle.expiresAt,
  };
}

export function evolveHolding(state: HoldingState, event: HoldingEvent): HoldingState {
  switch (event.type) {
    case 'CertificationEarned': {
      const d = event.data;
      return {
        ...heldCycle(d, d),
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
        ...heldCycle(d, s),
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
