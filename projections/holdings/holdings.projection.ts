import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import {
  evolveHolding,
  HeldState,
  HOLDING_EVENT_TYPES,
  HoldingEvent,
  HoldingState,
  ImportSource,
  initialHoldingState,
  LastOverride,
  PolicyBook,
  PROFILE_EVENT_TYPES,
  ProfileEvent,
  WindowState,
  windowIdOf,
} from '@recert/domain';
import {
  column,
  createTableSql,
  defineTable,
  named,
  Row,
  RowOf,
  RowProjection,
  RowTable,
  selectRowSql,
  upsertSql,
  writeRows,
} from '../runtime/rows';
import type { ReadTx } from '../runtime/read-store';
import { Statements } from '../runtime/statements';

/** The holdings table, declared once (#28.3): `HoldingRow`, its column list and its DDL in both dialects come from here. */
export const HOLDINGS_TABLE = defineTable({
  key: 'holding_id',
  columns: {
    holding_id: column.text(),
    profile_id: column.text(),
    code: column.text(),
    level: column.text(),
    cycle: column.integer(),
    earned_at: column.text(),
    expires_at: column.nullableText(),
    window_opens_at: column.nullableText(),
    window_id: column.nullableText(),
    window_opened: column.integer(0),
    notified: column.integer(0),
    attempts: column.integer(0),
    last_attempt_at: column.nullableText(),
    expired: column.integer(0),
    merged_out: column.integer(0),
    /** R15: 1 once this cycle is revoked. */
    revoked: column.integer(0),
    /** R16: the suspension in force (null when none); it ends by itself at suspended_until (R17). */
    suspended_since: column.nullableText(),
    suspended_until: column.nullableText(),
    /** R19: the current cycle's public verification id (null for cycles earned before it existed) and its privacy. */
    verification_id: column.nullableText(),
    verification_private: column.integer(0),
    /** R27: attempts of the window up to this number wait no cooldown (an override granted them); null: none granted. */
    cooldown_free_until: column.nullableInteger(),
    /** R26: the last override applied to this holding (JSON of LastOverride), null when none. */
    last_override: column.nullableText(),
    /** Global position of the event that started this cycle: its credentials' status list entry (#13.3). */
    cycle_position: column.position(0),
    last_position: column.position(),
    /** R39: `{ system, sourceId }` of the import that recorded this cycle (JSON), null when earned here. */
    imported_from: column.nullableText(),
  },
  // By profile (dashboard), by expiry and by window (scheduler, reports).
  indexes: [
    { suffix: 'by_profile', on: '(profile_id)' },
    { suffix: 'by_expiry', on: '(expires_at) WHERE merged_out = 0' },
    { suffix: 'by_window', on: '(window_opens_at) WHERE merged_out = 0 AND window_opened = 0 AND expired = 0' },
  ],
});
export type HoldingRow = RowOf<typeof HOLDINGS_TABLE>;

/**
 * R19: one public verification id: the cycle it names, as of its last event. A rotated id is retired (404); the id of
 * an earlier cycle keeps that cycle's final state (expired or revoked).
 */
export const VERIFICATIONS_TABLE = defineTable({
  key: 'verification_id',
  columns: {
    verification_id: column.text(),
    holding_id: column.text(),
    profile_id: column.text(),
    code: column.text(),
    cycle: column.integer(),
    earned_at: column.text(),
    expires_at: column.nullableText(),
    expired: column.integer(),
    revoked: column.integer(),
    suspended_since: column.nullableText(),
    suspended_until: column.nullableText(),
    private: column.integer(),
    retired: column.integer(),
    status_position: column.position(),
    last_position: column.position(),
  },
  // The status lists (#13.3) read the entries of one range of positions, then (#22.4) the rows changed since.
  indexes: [
    { suffix: 'by_status', on: '(status_position)' },
    { suffix: 'by_change', on: '(last_position)' },
  ],
});
export type VerificationRow = RowOf<typeof VERIFICATIONS_TABLE>;

export const PROFILES_TABLE = defineTable({
  key: 'profile_id',
  columns: {
    profile_id: column.text(),
    account_id: column.text(),
    account_type: column.text(),
    personal_data: column.text(),
    status: column.text<'active' | 'merged'>(),
    merged_into: column.nullableText(),
    linked_learn_profile_id: column.nullableText(),
    created_at: column.text(),
    last_position: column.position(),
  },
});
export type ProfileRow = RowOf<typeof PROFILES_TABLE>;

/** Which generation of a blue/green model serves reads, in the read store beside the models (#23.4). */
export const GENERATIONS_DDL = 'CREATE TABLE IF NOT EXISTS read_model_generations (name TEXT PRIMARY KEY, generation TEXT NOT NULL)';
export const SERVING_GENERATION_SQL = "SELECT generation FROM read_model_generations WHERE name = 'holdings'";
/** The names every replica reads on PostgreSQL: views over the serving generation's tables (#23.4). */
export const SERVING_VIEWS = { profiles: 'rm_profiles', holdings: 'rm_holdings', verifications: 'rm_verifications' } as const;

/** Points the serving views at `generation`'s tables, inside the caller's transaction: every reader sees the switch at its commit. */
export async function pointServingViews(tx: Pick<ReadTx, 'run'>, generation: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(generation)) throw new Error(`Bad holdings generation: ${generation}`);
  for (const view of Object.values(SERVING_VIEWS)) await tx.run(`CREATE OR REPLACE VIEW ${view} AS SELECT * FROM ${view}_${generation}`);
}

/** The checkpoint (and lease) name of a holdings generation. */
export function holdingsProjectionName(generation: string): string {
  return generation ? `holdings@${generation}` : 'holdings';
}

type WindowOf = (expiresAt: string | null, stored: string | null) => string | null;

/** The decider's state a row stands for: the row holds every field `evolveHolding` reads for what the row shows. */
function holdingStateOf(row: HoldingRow | undefined): HoldingState {
  if (!row) return initialHoldingState;
  const held = heldStateOf(row);
  return row.merged_out === 1 ? { status: 'merged-out', toProfileId: '', toHoldingId: '', last: held } : held;
}

/**
 * A row back into the decider's held state: the projection folds with it, and the dashboard and reports compute
 * with the very rules that decide.
 */
export function heldStateOf(row: HoldingRow): HeldState {
  const window: WindowState | null =
    row.window_id !== null && row.window_opens_at !== null && row.expires_at !== null
      ? {
          id: row.window_id,
          opensAt: row.window_opens_at,
          expiresAt: row.expires_at,
          opened: row.window_opened === 1,
          notified: row.notified === 1,
          attempts: row.attempts,
          lastAttemptAt: row.last_attempt_at,
          attemptIds: [],
          ...(row.cooldown_free_until !== null ? { cooldownFreeUntil: row.cooldown_free_until } : {}),
        }
      : null;
  return {
    status: 'held',
    holdingId: row.holding_id,
    profileId: row.profile_id,
    certificationCode: row.code,
    level: row.level as HeldState['level'],
    cycle: row.cycle,
    earnedAt: row.earned_at,
    expiresAt: row.expires_at,
    expired: row.expired === 1,
    window,
    mergeIds: [],
    revoked: row.revoked === 1,
    suspension: row.suspended_since === null ? null : { since: row.suspended_since, until: row.suspended_until },
    verificationId: row.verification_id,
    verificationPrivate: row.verification_private === 1,
    ...(row.imported_from ? { importedFrom: { ...(JSON.parse(row.imported_from) as ImportSource), line: 0, run: '' } } : {}),
    lastOverride: row.last_override === null ? null : (JSON.parse(row.last_override) as LastOverride),
  };
}

/**
 * A holding row after one event: the decider's own `evolveHolding` applied to the state the row stands for, so
 * the live path, the replay and the projection fold a holding by one rule. Pure, so a page folds in memory.
 */
export function evolveHoldingRow(
  row: HoldingRow | undefined,
  event: HoldingEvent,
  position: number,
  windowOf: WindowOf,
): HoldingRow | undefined {
  const state = evolveHolding(holdingStateOf(row), event);
  if (state.status === 'none') return undefined;
  const held = state.status === 'held' ? state : state.last;
  const window = held.window;
  return {
    holding_id: held.holdingId,
    profile_id: held.profileId,
    code: held.certificationCode,
    level: held.level,
    cycle: held.cycle,
    earned_at: held.earnedAt,
    expires_at: held.expiresAt,
    window_opens_at: windowOf(held.expiresAt, window?.opensAt ?? null),
    window_id: held.expiresAt ? windowIdOf(held.holdingId, held.expiresAt) : null,
    window_opened: window?.opened ? 1 : 0,
    notified: window?.notified ? 1 : 0,
    attempts: window?.attempts ?? 0,
    last_attempt_at: window?.lastAttemptAt ?? null,
    expired: held.expired ? 1 : 0,
    merged_out: state.status === 'merged-out' ? 1 : 0,
    revoked: held.revoked ? 1 : 0,
    suspended_since: held.suspension?.since ?? null,
    suspended_until: held.suspension?.until ?? null,
    verification_id: held.verificationId ?? null,
    verification_private: held.verificationPrivate ? 1 : 0,
    cooldown_free_until: window?.cooldownFreeUntil ?? null,
    last_override: held.lastOverride ? JSON.stringify(held.lastOverride) : null,
    // Where this cycle began: a status list entry (R21) is as old as its cycle.
    cycle_position: startsCycle(event) || !row ? position : row.cycle_position,
    last_position: position,
    imported_from: held.importedFrom ? JSON.stringify({ system: held.importedFrom.system, sourceId: held.importedFrom.sourceId }) : null,
  };
}

function startsCycle(event: HoldingEvent): boolean {
  return (
    event.type === 'CertificationEarned' ||
    event.type === 'CertificationImported' ||
    (event.type === 'HoldingMergedIn' && event.data.adopted)
  );
}

/** The verification row of a holding row's current id; `retired` once the id is rotated away or the holding merged out. */
export function verificationRowOf(row: HoldingRow, retired = row.merged_out === 1): VerificationRow | undefined {
  if (row.verification_id === null) return undefined;
  return {
    verification_id: row.verification_id,
    holding_id: row.holding_id,
    profile_id: row.profile_id,
    code: row.code,
    cycle: row.cycle,
    earned_at: row.earned_at,
    expires_at: row.expires_at,
    expired: row.expired,
    revoked: row.revoked,
    suspended_since: row.suspended_since,
    suspended_until: row.suspended_until,
    private: row.verification_private,
    retired: retired ? 1 : 0,
    status_position: row.cycle_position,
    last_position: row.last_position,
  };
}

/** A profile row after one event (evolve-style). */
export function evolveProfileRow(row: ProfileRow | undefined, event: ProfileEvent, position: number): ProfileRow | undefined {
  switch (event.type) {
    case 'CertificationProfileCreated': {
      if (row) return row;
      const d = event.data;
      return {
        profile_id: d.profileId,
        account_id: d.accountId,
        account_type: d.accountType,
        personal_data: JSON.stringify(d.personalData),
        status: 'active',
        merged_into: null,
        linked_learn_profile_id: null,
        created_at: d.createdAt,
        last_position: position,
      };
    }
    case 'ProfilesLinked':
      return row ? { ...row, linked_learn_profile_id: event.data.learnProfileId, last_position: position } : row;
    case 'LearnProfileUnlinked':
      return row && row.linked_learn_profile_id === event.data.learnProfileId
        ? { ...row, linked_learn_profile_id: null, last_position: position }
        : row;
    case 'CertificationProfileClosed':
      return row ? { ...row, status: 'merged', merged_into: event.data.mergedInto, last_position: position } : row;
    case 'ProfileMergeStarted':
    case 'CertificationProfilesMerged':
    case 'PersonalDataErased':
    case 'ProfilePreferencesChanged':
      // No column changes (preferences are read from the profile stream). The sealed data stays in the row; once
      // erased the vault no longer opens it, so no name is shown.
      return row;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/**
 * Profiles and holdings as rows: the holder's dashboard, the program's reports and the scheduler's deadlines
 * (windows to open, holdings to expire) all read these. A page of events is folded in memory with the pure
 * evolvers above and each touched row written once; every row is a function of the events alone, so applying an
 * event twice leaves the same rows (replay-safe).
 */
export class HoldingsProjection implements RowProjection {
  readonly name: string;
  readonly version = 7;
  readonly eventTypes: readonly string[] = [...PROFILE_EVENT_TYPES, ...HOLDING_EVENT_TYPES];
  /** Table names of this generation: a blue/green rebuild writes a new generation beside the live one. */
  readonly profiles: string;
  readonly holdings: string;
  readonly verifications: string;
  readonly tables: readonly RowTable[];
  /** Per table: its upsert and its read of one row by key, as SQL. */
  private readonly rowSql: Map<string, { upsert: string; read: string }>;
  private readonly sql = new Statements();
  private readonly windowOf: WindowOf;

  /**
   * @param book the policy the window column is derived with (R3, R14); without it, the value stored at earning.
   * @param generation suffix of this generation's tables and checkpoint ('' for the plain names).
   */
  constructor(
    book?: PolicyBook,
    readonly generation = '',
  ) {
    this.name = holdingsProjectionName(generation);
    this.profiles = generation ? `rm_profiles_${generation}` : 'rm_profiles';
    this.holdings = generation ? `rm_holdings_${generation}` : 'rm_holdings';
    this.verifications = generation ? `rm_verifications_${generation}` : 'rm_verifications';
    this.tables = [
      named(HOLDINGS_TABLE, this.holdings),
      named(PROFILES_TABLE, this.profiles),
      named(VERIFICATIONS_TABLE, this.verifications),
    ];
    this.rowSql = new Map(this.tables.map((table) => [table.name, { upsert: upsertSql(table), read: selectRowSql(table) }]));
    this.windowOf = (expiresAt, stored) =>
      expiresAt === null ? null : book ? book.windowOpensAt(new Date(expiresAt)).opensAt.toISOString() : stored;
  }

  setup(db: Database.Database): void {
    for (const table of this.tables) db.exec(createTableSql(table, 'sqlite'));
    for (const table of this.tables) for (const index of table.indexes ?? []) db.exec(index.create);
  }

  /**
   * PostgreSQL (#23.4): when this generation is the serving one, the views every replica reads point at its tables,
   * in the unit of work that (re)creates them (a rebuild from zero drops the views with the tables, CASCADE).
   */
  async afterStoreSetup(tx: ReadTx): Promise<void> {
    if (tx.dialect !== 'postgres' || !this.generation) return;
    await tx.run(GENERATIONS_DDL);
    const serving = await tx.query<{ generation: string }>(SERVING_GENERATION_SQL);
    if (serving[0]?.generation === this.generation) await pointServingViews(tx, this.generation);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec(`DROP TABLE IF EXISTS ${this.profiles}; DROP TABLE IF EXISTS ${this.holdings}; DROP TABLE IF EXISTS ${this.verifications};`);
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    this.applyBatch(db, [event]);
  }

  /** Folds a page with the pure evolvers; `current` gives a row's value before the page. */
  fold(
    events: readonly RecordedEvent[],
    current: (table: string, key: string) => Row | undefined,
    options: { fromZero?: boolean } = {},
  ): Map<string, Map<string, Row>> {
    // Rows are keyed by their stream: from zero, a stream's first event has no row before it (no read needed).
    const isNew = (event: RecordedEvent): boolean => options.fromZero === true && event.revision === 0;
    const holdings = new Map<string, HoldingRow | undefined>();
    const profiles = new Map<string, ProfileRow | undefined>();
    const verifications = new Map<string, VerificationRow>();
    for (const event of events) {
      if (event.stream.startsWith('holding-')) {
        const holdingEvent = event as unknown as HoldingEvent;
        const id = holdingEvent.data.holdingId;
        // An earning rewrites every column: no row to read first either.
        const before =
          holdings.has(id) || isNew(event) || holdingEvent.type === 'CertificationEarned' || holdingEvent.type === 'CertificationImported'
            ? holdings.get(id)
            : (current(this.holdings, id) as HoldingRow | undefined);
        const next = evolveHoldingRow(before, holdingEvent, event.position, this.windowOf);
        holdings.set(id, next);
        // R19: the verification row follows its holding row; a rotated-away id is retired (404 from now on).
        if (holdingEvent.type === 'VerificationIdRotated' && before) {
          const old = verificationRowOf({ ...before, last_position: event.position }, true);
          if (old) verifications.set(old.verification_id, old);
        }
        const verification = next && verificationRowOf(next);
        if (verification) verifications.set(verification.verification_id, verification);
      } else {
        const profileEvent = event as unknown as ProfileEvent;
        const id = profileEvent.data.profileId;
        const before = profiles.has(id) || isNew(event) ? profiles.get(id) : (current(this.profiles, id) as ProfileRow | undefined);
        profiles.set(id, evolveProfileRow(before, profileEvent, event.position));
      }
    }
    const defined = <R>(rows: Map<string, R | undefined>): Map<string, Row> =>
      new Map([...rows].filter((entry): entry is [string, R] => entry[1] !== undefined) as unknown as [string, Row][]);
    return new Map([
      [this.holdings, defined(holdings)],
      [this.profiles, defined(profiles)],
      [this.verifications, verifications as unknown as Map<string, Row>],
    ]);
  }

  applyBatch(db: Database.Database, events: readonly RecordedEvent[]): void {
    const sqlOf = (table: string): { upsert: string; read: string } => this.rowSql.get(table) as { upsert: string; read: string };
    const touched = this.fold(events, (table, key) => this.sql.get(db, sqlOf(table).read).get(key) as Row | undefined);
    writeRows(touched, (table) => this.sql.get(db, sqlOf(table).upsert));
  }
}
