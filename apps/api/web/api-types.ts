/**
 * What the pages read from the API. The dashboard's types are the server's own (a types-only file); the others are
 * the pages' view, held to the server's types at compile time by `test/contract/web-types.check.ts`. No DOM here.
 */
import type {
  Dashboard as ServerDashboard,
  DashboardCertification as ServerCertification,
} from '../../../projections/dashboard/dashboard.view';

/** Where a holding can be shared from (#13.4): present once the sharing slice answers it, else absent or null. */
export interface ShareLinks {
  verificationUrl: string;
  credentialUrl: string;
  certificateUrl: string;
  linkedInUrl: string;
}
/** The server's certification, with `share` read when the server sends it (optional, so older servers still fit). */
export type DashboardCertification = ServerCertification & { share?: ShareLinks | null };
export type Dashboard = Omit<ServerDashboard, 'certifications'> & { certifications: DashboardCertification[] };

export interface HistoryEvent {
  id: string;
  type: string;
  stream: string;
  position: number;
  data: Record<string, unknown>;
  metadata: { actor: string; occurredAt: string; policyVersion?: string };
  recordedAt: string;
}

export interface Summary {
  asOf: string;
  total: number;
  byStatus: Record<string, number>;
  byCertification: { code: string; name: string; names?: Record<string, string>; total: number; byStatus: Record<string, number> }[];
}

export interface Expiring {
  total: number;
  page: number;
  pageSize: number;
  items: {
    profileId: string;
    code: string;
    name: string;
    expiresAt: string;
    daysUntilExpiry: number;
    status: string;
    blockedBy: string[];
  }[];
}

export interface ExpiringByWeek {
  asOf: string;
  weeks: { weekStart: string; count: number }[];
}

export interface RenewalRate {
  asOf: string;
  certification: string | null;
  months: { month: string; closed: number; renewed: number; rate: number | null }[];
}

export interface ReplayJob {
  id: string;
  finishedAt: string | null;
  report: {
    asOf: string;
    candidatePolicyVersions: string[];
    holdingsCompared: number;
    holdingsDiffering: number;
    totals: {
      byKind: Record<string, number>;
      byCertification: Record<string, { holdings: number; differing: number; byKind: Record<string, number> }>;
    };
  } | null;
}

export interface Preferences {
  profileId: string;
  language: string | null;
  timeZone: string | null;
  reminders: 'all' | 'last-only' | 'none';
  position: number;
}

/** #27.2 the roster: every holding with its holder's name (admins). */
export interface Roster {
  asOf: string;
  total: number;
  page: number;
  pageSize: number;
  items: {
    profileId: string;
    holdingId: string;
    code: string;
    displayName: string | null;
    email: string | null;
    status: string;
    earnedAt: string;
    expiresAt: string | null;
    suspendedUntil: string | null;
  }[];
}

export interface OverrideRequest {
  id: string;
  kind: string;
  target: {
    profileId?: string;
    certificationCode?: string;
    filter?: { certificationCode: string; expiresFrom: string; expiresTo: string };
  };
  params: { by?: string; attempts?: number };
  reason: string;
  status: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  status: string;
  registeredAt: string;
  failingSince: string | null;
  disabledReason: string | null;
}

export interface WebhookDelivery {
  id: string;
  type: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  counts: Record<string, number>;
  byCode: Record<string, number>;
  samples: Record<string, { line: number; code?: string; detail?: string; sourceId?: string }[]>;
}

export interface ReplayDifference {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  changes: string[];
}

export type PagedReplayJob = ReplayJob & {
  report: (NonNullable<ReplayJob['report']> & { holdings: ReplayDifference[] }) | null;
  differences: { total: number; page: number; pageSize: number } | null;
};
/** GET /me/profiles: a holder's own certification profiles, by its account (R68); several must be merged (R12). */
export interface MyProfiles {
  accountId: string | null;
  profiles: { profileId: string }[];
  mustMerge: boolean;
}
