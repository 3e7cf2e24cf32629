/** How one row ended (#14.2, #14.3): the same for a dry run and the real one. */
export const IMPORT_OUTCOMES = ['imported', 'already-imported', 'refused', 'invalid'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

export interface ReportRow {
  line: number;
  kind?: string;
  sourceId?: string;
  /** The profile the row names (holders and holdings). */
  profileId?: string;
  /** Refused and invalid rows: the error code (docs/ERRORS.md) and why. */
  code?: string;
  detail?: string;
}

/**
 * What an import did, or would do (dry run): counts by outcome, refusals by code, and the first rows of each outcome
 * with their line numbers. Nothing in it depends on timing or on the run, so a dry run answers what the real run will.
 */
export interface ImportReport {
  system: string;
  format: string;
  dryRun: boolean;
  /** Data rows read (blank lines and the CSV header are not rows). */
  rows: number;
  counts: Record<ImportOutcome, number>;
  /** Refused and invalid rows by code. */
  byCode: Record<string, number>;
  /** The first `sampleSize` rows of each outcome, in file order. */
  samples: Record<ImportOutcome, ReportRow[]>;
  sampleSize: number;
}

export function emptyReport(system: string, format: string, dryRun: boolean, sampleSize: number): ImportReport {
  return {
    system,
    format,
    dryRun,
    rows: 0,
    counts: { imported: 0, 'already-imported': 0, refused: 0, invalid: 0 },
    byCode: {},
    samples: { imported: [], 'already-imported': [], refused: [], invalid: [] },
    sampleSize,
  };
}

export function record(report: ImportReport, outcome: ImportOutcome, row: ReportRow): void {
  report.rows += 1;
  report.counts[outcome] += 1;
  if (row.code) report.byCode[row.code] = (report.byCode[row.code] ?? 0) + 1;
  const samples = report.samples[outcome];
  if (samples.length < report.sampleSize) samples.push(row);
}
