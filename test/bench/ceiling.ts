/**
 * What every bench judges itself by: a figure over its own physical ceiling measured in the same run on the same
 * machine (#17.5). Absolute targets judged the machine (raw SQLite ran ~4x slower on another one of the same kind);
 * a ratio to the ceiling judges the code. Absolute figures are printed beside.
 */
import Database from 'better-sqlite3';

export interface Verdict {
  label: string;
  figure: number;
  ceiling: number;
  ceilingLabel: string;
  unit: string;
  /** Least ratio figure / ceiling that meets the target. */
  target: number;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** One line: figure, ceiling, ratio, target, MET/MISSED. */
export function verdictLine(verdict: Verdict): string {
  const ratio = verdict.figure / verdict.ceiling;
  return (
    `${verdict.label}: ${count(verdict.figure)} ${verdict.unit}  |  ceiling (${verdict.ceilingLabel}) ${count(verdict.ceiling)} ${verdict.unit}` +
    `  |  ratio ${(ratio * 100).toFixed(1)}%  target >= ${(verdict.target * 100).toFixed(0)}%  ${ratio >= verdict.target ? 'MET' : 'MISSED'}`
  );
}

export interface RawReadResult {
  events: number;
  seconds: number;
  perSecond: number;
}

/**
 * The ceiling of anything that folds the log: every event of `file` read in order of position by a bare statement,
 * data and metadata parsed, nothing else. A rebuild or a replay cannot go faster than this on the same machine.
 */
export function rawOrderedRead(file: string): RawReadResult {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events ORDER BY position')
      .raw(true) as Database.Statement<[], unknown[]>;
    const started = process.hrtime.bigint();
    let events = 0;
    let checksum = 0;
    for (const row of rows.iterate()) {
      const data = JSON.parse(row[5] as string) as object;
      const metadata = JSON.parse(row[6] as string) as object;
      // Touch the parsed values so the work cannot be optimised away.
      if (data !== metadata) checksum += 1;
      events += 1;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (checksum !== events) throw new Error('raw read: a row parsed to the same object twice');
    return { events, seconds, perSecond: events / seconds };
  } finally {
    db.close();
  }
}
