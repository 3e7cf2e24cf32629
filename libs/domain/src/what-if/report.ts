import type { ErrorCode } from '../errors';
import type { HoldingStatus } from '../holding';

/** What a what-if replay reports (R14): the holdings that would differ under a candidate policy, and by how much. */
export const CHANGE_KINDS = ['status', 'expiry', 'window', 'attempt-refused', 'renewal-lost', 'renewal-gained', 'earning-refused'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface HoldingSide {
  status: HoldingStatus | 'none' | 'merged-out';
  expiresAt: string | null;
  renewalWindowOpensAt: string | null;
  renewals: number;
  attempts: number;
}

export interface HoldingDifference {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  changes: ChangeKind[];
  live: HoldingSide;
  candidate: HoldingSide;
  refused: { kind: 'attempt' | 'earning'; at: string; code: ErrorCode; attemptId?: string }[];
}

export interface WhatIfReport {
  asOf: string;
  candidatePolicyVersions: string[];
  eventsReplayed: number;
  holdingsCompared: number;
  holdingsDiffering: number;
  totals: {
    byKind: Record<ChangeKind, number>;
    /** Reminders not yet due at asOf that the candidate would add or remove (#14.4, R31), and the holdings concerned. */
    reminders: { holdingsChanged: number; added: number; removed: number };
    byCertification: Record<string, { holdings: number; differing: number; byKind: Record<ChangeKind, number> }>;
  };
  holdings: HoldingDifference[];
}

/** A human summary of a report, for terminals and logs. */
export function summarizeWhatIf(report: WhatIfReport): string {
  const lines = [
    `What-if under policy ${report.candidatePolicyVersions.join(', ')} as of ${report.asOf}`,
    `${report.eventsReplayed.toLocaleString('en-US')} facts replayed, ${report.holdingsCompared.toLocaleString('en-US')} holdings compared, ${report.holdingsDiffering.toLocaleString('en-US')} would differ`,
  ];
  const reminders = report.totals.reminders;
  if (reminders.holdingsChanged > 0)
    lines.push(`  reminders        ${reminders.added} added, ${reminders.removed} removed in ${reminders.holdingsChanged} holdings`);
  for (const kind of CHANGE_KINDS)
    if (report.totals.byKind[kind] > 0) lines.push(`  ${kind.padEnd(16)} ${report.totals.byKind[kind].toLocaleString('en-US')}`);
  for (const [code, cert] of Object.entries(report.totals.byCertification)) {
    if (cert.differing > 0)
      lines.push(`  ${code}: ${cert.differing.toLocaleString('en-US')} of ${cert.holdings.toLocaleString('en-US')} holdings differ`);
  }
  return lines.join('\n');
}
