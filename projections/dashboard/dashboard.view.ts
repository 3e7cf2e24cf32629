// Types only, importing nothing but the error codes: the dashboard page compiles against this very file.
import type { ErrorCode } from '../../libs/domain/src/errors';

/** The holder's dashboard as `GET /certification-profiles/{id}/dashboard` answers it (API.md). */
export interface DashboardCertification {
  code: string;
  name: string;
  /** The name in other languages, where the catalog gives them (BCP 47 tag -> name). */
  names: Record<string, string>;
  /** The renewal assessment's URL template from the catalog (`{code}`, `{language}`), or null. */
  renewalAssessmentUrl: string | null;
  /** #29: the exam that earns it again (an expired or revoked holding), a URL template like the assessment's, or null. */
  examUrl: string | null;
  /** #29: free preparation modules per language (BCP 47 tag -> modules), from the catalog; empty when none. */
  preparation: Record<string, { title: string; url: string; minutes: number }[]>;
  level: string;
  status: 'active' | 'renewal-open' | 'expired' | 'never-expires' | 'revoked' | 'suspended';
  /** R16: when a suspension ends by itself; null when none or open-ended. */
  suspendedUntil: string | null;
  /** R19: the public verification link (absolute, from PUBLIC_BASE_URL); null for cycles earned before it existed. */
  verificationUrl: string | null;
  /** R19: true when the holder made it private (the link then answers 404). */
  verificationPrivate: boolean;
  /**
   * #13.4: what the holder may share; null when nothing can be checked publicly (no verification id, private,
   * revoked or expired).
   */
  share: Share | null;
  earnedAt: string;
  expiresAt: string | null;
  renewalWindowOpensAt: string | null;
  daysUntilExpiry: number | null;
  cycle: number;
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAllowedAt: string | null;
  canAttemptNow: boolean;
  blockedBy: ErrorCode[];
  /** #14.3 (R39): the legacy system and its source id when this cycle was migrated by a bulk import; null when earned here. */
  importedFrom: { system: string; sourceId: string } | null;
  /** R26: the last override applied to this holding under four eyes, or null. */
  override: DashboardOverride | null;
}

/** R26: an approved override as the dashboard shows it: what, by whom (both admins), why, and the expiry it moved. */
export interface DashboardOverride {
  overrideId: string;
  kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts' | 'revoke';
  requestedBy: string;
  approvedBy: string;
  reason: string;
  at: string;
  from: string | null;
  to: string | null;
}

/** #13.4: a holding's share links (built by projections/credentials/share.ts). */
export interface Share {
  /** The public verification page, absolute (PUBLIC_BASE_URL). */
  verificationUrl: string;
  /** The signed credential as a download: an API path (`…/credential?download=1`), fetched with the holder's token. */
  credentialUrl: string;
  /** The PDF certificate: an API path (`…/certificate.pdf`), fetched with the holder's token. */
  certificateUrl: string;
  /** LinkedIn's add-to-profile link, prefilled (absolute). */
  linkedInUrl: string;
}

export interface Dashboard {
  profile: {
    profileId: string;
    displayName: string | null;
    linkedLearnProfileId: string | null;
    status: 'active' | 'merged';
    mergedInto: string | null;
  };
  certifications: DashboardCertification[];
  asOf: string;
  position: number;
}
