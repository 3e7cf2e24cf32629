import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { HOLDING_EVENT_TYPES, HoldingEvent, PolicyBook, PROFILE_EVENT_TYPES, ProfileEvent, windowIdOf } from '@recert/renewals';
import type { Projection } from '../runtime/projection';
import { Statements } from '../runtime/statements';

/**
 * Profiles and holdings as rows: the holder's dashboard, the program's reports and the scheduler's deadlines
 * (windows to open, holdings to expire) all read these. Every write is an upsert or a set to a value carried
 * by the event, so applying an event twice leaves the same rows (replay-safe).
 */
export class HoldingsProjection implements Projection {
  readonly name: string;
  readonly version = 2;
  /** Table names of this generation: a blue/green rebuild writes a new generation beside the live one. */
  readonly profiles: string;
  readonly holdings: string;

  /**
   * @param book the policy the window column is derived with (R3, R14); without it, the value stored at earning.
   * @param generation suffix of this generation's tables and checkpoint ('' for the plain names).
   */
  constructor(
    private readonly book?: PolicyBook,
    readonly generation = '',
  ) {
    this.name = generation ? `holdings@${generation}` : 'holdings';
    this.profiles = generation ? `rm_profiles_${generation}` : 'rm_profiles';
    this.holdings = generation ? `rm_holdings_${generation}` : 'rm_holdings';
  }

  /** When the window of an expiry opens, under the policy in force when it opens. */
  private windowOf(expiresAt: string | null, stored: string | null): string | null {
    if (expiresAt === null) return null;
    return this.book ? this.book.windowOpensAt(new Date(expiresAt)).opensAt.toISOString() : stored;
  }
  private readonly sql = new Statements();
  readonly eventTypes: readonly string[] = [...PROFILE_EVENT_TYPES, ...HOLDING_EVENT_TYPES];

  setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${this.profiles} (
        profile_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, account_type TEXT NOT NULL, personal_data TEXT NOT NULL,
        status TEXT NOT NULL, merged_into TEXT, linked_learn_profile_id TEXT, created_at TEXT NOT NULL, last_position INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ${this.holdings} (
        holding_id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, code TEXT NOT NULL, level TEXT NOT NULL, cycle INTEGER NOT NULL,
        earned_at TEXT NOT NULL, expires_at TEXT, window_opens_at TEXT, window_id TEXT,
        window_opened INTEGER NOT NULL DEFAULT 0, notified INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT, expired INTEGER NOT NULL DEFAULT 0, merged_out INTEGER NOT NULL DEFAULT 0, last_position INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ${this.holdings}_by_profile ON ${this.holdings} (profile_id);
      CREATE INDEX IF NOT EXISTS ${this.holdings}_by_expiry ON ${this.holdings} (expires_at) WHERE merged_out = 0;
      CREATE INDEX IF NOT EXISTS ${this.holdings}_by_window ON ${this.holdings} (window_opens_at) WHERE merged_out = 0 AND window_opened = 0 AND expired = 0;
    `);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec(`DROP TABLE IF EXISTS ${this.profiles}; DROP TABLE IF EXISTS ${this.holdings};`);
  }

  apply(db: Database.Database, recorded: RecordedEvent): void {
    const event = recorded as unknown as (ProfileEvent | HoldingEvent) & { position: number };
    const at = recorded.position;
    switch (event.type) {
      case 'CertificationProfileCreated': {
        const d = event.data;
        this.sql
          .get(
            db,
            `INSERT INTO ${this.profiles} (profile_id, account_id, account_type, personal_data, status, created_at, last_position)
           VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT(profile_id) DO NOTHING`,
          )
          .run(d.profileId, d.accountId, d.accountType, JSON.stringify(d.personalData), d.createdAt, at);
        return;
      }
      case 'ProfilesLinked':
        this.sql
          .get(db, `UPDATE ${this.profiles} SET linked_learn_profile_id = ?, last_position = ? WHERE profile_id = ?`)
          .run(event.data.learnProfileId, at, event.data.profileId);
        return;
      case 'CertificationProfileClosed':
        this.sql
          .get(db, `UPDATE ${this.profiles} SET status = 'merged', merged_into = ?, last_position = ? WHERE profile_id = ?`)
          .run(event.data.mergedInto, at, event.data.profileId);
        return;
      case 'CertificationProfilesMerged':
      case 'PersonalDataErased':
        // The sealed data stays in the row; the vault no longer opens it, so the dashboard shows no name.
        return;
      case 'CertificationEarned': {
        const d = event.data;
        this.sql
          .get(
            db,
            `INSERT INTO ${this.holdings} (holding_id, profile_id, code, level, cycle, earned_at, expires_at, window_opens_at, window_id,
             window_opened, notified, attempts, last_attempt_at, expired, merged_out, last_position)
           VALUES (@holdingId, @profileId, @code, @level, @cycle, @earnedAt, @expiresAt, @opensAt, @windowId, 0, 0, 0, NULL, 0, 0, @at)
           ON CONFLICT(holding_id) DO UPDATE SET cycle = excluded.cycle, earned_at = excluded.earned_at, expires_at = excluded.expires_at,
             window_opens_at = excluded.window_opens_at, window_id = excluded.window_id, window_opened = 0, notified = 0, attempts = 0,
             last_attempt_at = NULL, expired = 0, merged_out = 0, last_position = excluded.last_position`,
          )
          .run({
            holdingId: d.holdingId,
            profileId: d.profileId,
            code: d.certificationCode,
            level: d.level,
            cycle: d.cycle,
            earnedAt: d.earnedAt,
            expiresAt: d.expiresAt,
            opensAt: this.windowOf(d.expiresAt, d.renewalWindowOpensAt),
            windowId: d.expiresAt ? windowIdOf(d.holdingId, d.expiresAt) : null,
            at,
          });
        return;
      }
      case 'RenewalWindowOpened':
        this.sql
          .get(db, `UPDATE ${this.holdings} SET window_opened = 1, last_position = ? WHERE holding_id = ? AND window_id = ?`)
          .run(at, event.data.holdingId, event.data.windowId);
        return;
      case 'RenewalEligibilityNotified':
        this.sql
          .get(db, `UPDATE ${this.holdings} SET notified = 1, last_position = ? WHERE holding_id = ? AND window_id = ?`)
          .run(at, event.data.holdingId, event.data.windowId);
        return;
      case 'AssessmentAttempted':
        this.sql
          .get(
            db,
            `UPDATE ${this.holdings} SET window_opened = 1, attempts = ?, last_attempt_at = ?, last_position = ? WHERE holding_id = ? AND window_id = ?`,
          )
          .run(event.data.attempt, event.data.attemptedAt, at, event.data.holdingId, event.data.windowId);
        return;
      case 'CertificationRenewed': {
        const d = event.data;
        this.sql
          .get(
            db,
            `UPDATE ${this.holdings} SET expires_at = ?, window_opens_at = ?, window_id = ?, window_opened = 0, notified = 0, attempts = 0,
             last_attempt_at = NULL, last_position = ? WHERE holding_id = ?`,
          )
          .run(d.expiresAt, this.windowOf(d.expiresAt, d.renewalWindowOpensAt), windowIdOf(d.holdingId, d.expiresAt), at, d.holdingId);
        return;
      }
      case 'CertificationExpired':
        this.sql.get(db, `UPDATE ${this.holdings} SET expired = 1, last_position = ? WHERE holding_id = ?`).run(at, event.data.holdingId);
        return;
      case 'HoldingMergedOut':
        this.sql
          .get(db, `UPDATE ${this.holdings} SET merged_out = 1, last_position = ? WHERE holding_id = ?`)
          .run(at, event.data.holdingId);
        return;
      case 'HoldingMergedIn': {
        const d = event.data;
        if (!d.adopted) return;
        const s = d.snapshot;
        const w = s.window;
        this.sql
          .get(
            db,
            `INSERT INTO ${this.holdings} (holding_id, profile_id, code, level, cycle, earned_at, expires_at, window_opens_at, window_id,
             window_opened, notified, attempts, last_attempt_at, expired, merged_out, last_position)
           VALUES (@holdingId, @profileId, @code, @level, @cycle, @earnedAt, @expiresAt, @opensAt, @windowId, @opened, @notified, @attempts, @lastAttemptAt, @expired, 0, @at)
           ON CONFLICT(holding_id) DO UPDATE SET level = excluded.level, cycle = excluded.cycle, earned_at = excluded.earned_at,
             expires_at = excluded.expires_at, window_opens_at = excluded.window_opens_at, window_id = excluded.window_id,
             window_opened = excluded.window_opened, notified = excluded.notified, attempts = excluded.attempts,
             last_attempt_at = excluded.last_attempt_at, expired = excluded.expired, merged_out = 0, last_position = excluded.last_position`,
          )
          .run({
            holdingId: d.holdingId,
            profileId: d.profileId,
            code: d.certificationCode,
            level: s.level,
            cycle: s.cycle,
            earnedAt: s.earnedAt,
            expiresAt: s.expiresAt,
            opensAt: this.windowOf(s.expiresAt, w?.opensAt ?? null),
            windowId: s.expiresAt ? windowIdOf(d.holdingId, s.expiresAt) : null,
            opened: w?.opened ? 1 : 0,
            notified: w?.notified ? 1 : 0,
            attempts: w?.attempts ?? 0,
            lastAttemptAt: w?.lastAttemptAt ?? null,
            expired: s.expired ? 1 : 0,
            at,
          });
        return;
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  }
}

export interface HoldingRow {
  holding_id: string;
  profile_id: string;
  code: string;
  level: string;
  cycle: number;
  earned_at: string;
  expires_at: string | null;
  window_opens_at: string | null;
  window_id: string | null;
  window_opened: number;
  notified: number;
  attempts: number;
  last_attempt_at: string | null;
  expired: number;
  merged_out: number;
  last_position: number;
}

export interface ProfileRow {
  profile_id: string;
  account_id: string;
  account_type: string;
  personal_data: string;
  status: 'active' | 'merged';
  merged_into: string | null;
  linked_learn_profile_id: string | null;
  created_at: string;
  last_position: number;
}
