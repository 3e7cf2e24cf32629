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
  level: string;
  status: 'active' | 'renewal-open' | 'expired' | 'never-expires';
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
