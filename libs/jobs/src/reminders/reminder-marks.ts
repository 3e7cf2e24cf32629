import { createTableStatements, ReadStore, StatementTableDefinition as TableDefinition } from '@recert/projections';

/**
 * Outcomes already recorded, by holding, expiry and offset: a cache beside the holdings model (losing it costs stream
 * reads, never a reminder). Declared once for both read-store dialects. `"offset"` is quoted: a reserved word on
 * PostgreSQL.
 */
export const REMINDER_MARKS = {
  name: 'reminder_marks',
  columns: {
    holding_id: { type: 'text', notNull: true },
    expires_at: { type: 'text', notNull: true },
    '"offset"': { type: 'text', notNull: true },
    retry_at: { type: 'text' },
  },
  primaryKey: ['holding_id', 'expires_at', '"offset"'],
} as const satisfies TableDefinition;

export interface ReminderCandidate {
  holdingId: string;
  profileId: string;
  code: string;
  expiresAt: string;
}

/** The reminder dispatcher's reads and writes on the read store (#23.1): the same SQL on read.db and PostgreSQL. */
export class ReminderMarks {
  private ready?: Promise<void>;

  constructor(private readonly readStore: ReadStore) {}

  /** Once per process: the table exists from then on (a statement each, as the port runs one at a time). */
  setup(): Promise<void> {
    this.ready ??= (async () => {
      for (const statement of createTableStatements(REMINDER_MARKS, this.readStore.kind)) await this.readStore.run(statement);
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Live holdings of `holdingsTable` expiring in (`from`, `to`], by holding id after `after`. */
  candidates(holdingsTable: string, from: string, to: string, after: string, limit: number): Promise<ReminderCandidate[]> {
    // Column aliases quoted: PostgreSQL folds unquoted ones to lower case.
    return this.readStore.query<ReminderCandidate>(
      `SELECT holding_id AS "holdingId", profile_id AS "profileId", code, expires_at AS "expiresAt" FROM ${holdingsTable}
       WHERE merged_out = 0 AND expired = 0 AND expires_at > ? AND expires_at <= ? AND holding_id > ? ORDER BY holding_id LIMIT ?`,
      [from, to, after, limit],
    );
  }

  /** The mark of one reminder: undefined when none, else when to look again (null: done). */
  async find(holdingId: string, expiresAt: string, offset: string): Promise<{ retry_at: string | null } | undefined> {
    const rows = await this.readStore.query<{ retry_at: string | null }>(
      'SELECT retry_at FROM reminder_marks WHERE holding_id = ? AND expires_at = ? AND "offset" = ?',
      [holdingId, expiresAt, offset],
    );
    return rows[0];
  }

  async mark(holdingId: string, expiresAt: string, offset: string, retryAt: string | null): Promise<void> {
    await this.readStore.run(
      `INSERT INTO reminder_marks (holding_id, expires_at, "offset", retry_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (holding_id, expires_at, "offset") DO UPDATE SET retry_at = excluded.retry_at`,
      [holdingId, expiresAt, offset, retryAt],
    );
  }
}
