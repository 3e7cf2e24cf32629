import {
  LeaseFence,
  NewWebhookDelivery,
  StaleLeaseError,
  WebhookAttemptOutcome,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookStateStore,
} from './shared-state.ports';

/**
 * Schema step 2 of both adapters: the webhook state (R43). Plain SQL both dialects accept (SQLite takes BIGINT as an
 * integer), so the two adapters share it and the queries below.
 */
export const WEBHOOK_STATE_MIGRATION = `
  CREATE TABLE recert_webhook_cursor (id INTEGER PRIMARY KEY, position BIGINT NOT NULL);
  CREATE TABLE recert_webhook_endpoints (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
    status TEXT NOT NULL, registered_at TEXT NOT NULL, registered_position BIGINT NOT NULL, failing_since TEXT, disabled_reason TEXT);
  CREATE TABLE recert_webhook_deliveries (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
    holding TEXT NOT NULL, position BIGINT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    first_attempt_at TEXT, next_attempt_at TEXT, last_status INTEGER, last_error TEXT, delivered_at TEXT);
  CREATE INDEX recert_webhook_deliveries_order ON recert_webhook_deliveries (endpoint_id, holding, state, position);
  CREATE INDEX recert_webhook_deliveries_state ON recert_webhook_deliveries (state, position);
  CREATE TABLE recert_webhook_attempts (delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at TEXT NOT NULL, status INTEGER,
    error TEXT, PRIMARY KEY (delivery_id, attempt));`;

/** Schema step 3 of both adapters: the webhook cursor keeps the event at it and the log's epoch (#24.2). */
export const WEBHOOK_CURSOR_MARK_MIGRATION = `
  ALTER TABLE recert_webhook_cursor ADD COLUMN event_id TEXT;
  ALTER TABLE recert_webhook_cursor ADD COLUMN epoch TEXT;`;

export interface SqlStatement {
  /** PostgreSQL placeholders ($1, $2, ...); the SQLite runner rewrites them. */
  sql: string;
  params: readonly unknown[];
}

/** The little an adapter lends the webhook store: queries, and statements run in one transaction. */
export interface SqlRunner {
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /**
   * Runs the statements in one transaction. With a `guard` (a query run first, in the same transaction, that locks
   * what it finds), nothing runs and false is answered when the guard finds no row.
   */
  atomically(statements: readonly SqlStatement[], guard?: SqlStatement): Promise<boolean>;
  /** The guard that finds (and locks) the fence's lease row at its version: the adapters name the table differently. */
  leaseGuard(fence: LeaseFence): SqlStatement;
}

/** `$n` placeholders to SQLite's anonymous ones, with the parameters in the order they appear (a `$n` may repeat). */
export function positional(statement: SqlStatement): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = statement.sql.replace(/\$(\d+)/g, (_, n: string) => {
    params.push(statement.params[Number(n) - 1]);
    return '?';
  });
  return { sql, params };
}

// PostgreSQL hands BIGINT back as a string: positions are read as numbers whatever the adapter.
const endpointOf = (row: WebhookEndpointRecord): WebhookEndpointRecord => ({
  ...row,
  registered_position: Number(row.registered_position),
});
const deliveryOf = (row: WebhookDeliveryRecord): WebhookDeliveryRecord => ({ ...row, position: Number(row.position) });

const insertEndpoint = (e: WebhookEndpointRecord): SqlStatement => ({
  sql: `INSERT INTO recert_webhook_endpoints (id, url, events, secret, status, registered_at, registered_position)
        VALUES ($1, $2, $3, $4, 'active', $5, $6) ON CONFLICT (id) DO NOTHING`,
  params: [e.id, e.url, e.events, e.secret, e.registered_at, e.registered_position],
});

const insertDelivery = (d: NewWebhookDelivery): SqlStatement => ({
  sql: `INSERT INTO recert_webhook_deliveries (id, endpoint_id, event_id, type, holding, position, payload, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') ON CONFLICT (id) DO NOTHING`,
  params: [d.id, d.endpoint_id, d.event_id, d.type, d.holding, d.position, d.payload],
});

const byId = <T extends { id: string }>(rows: readonly T[]): T[] => [...rows].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

/** The webhook state over either adapter's SQL. */
export function sqlWebhookState(db: SqlRunner): WebhookStateStore {
  const delivery = async (id: string): Promise<WebhookDeliveryRecord | undefined> => {
    const row = (await db.all<WebhookDeliveryRecord>('SELECT * FROM recert_webhook_deliveries WHERE id = $1', [id]))[0];
    return row ? deliveryOf(row) : undefined;
  };
  const endpoint = async (id: string): Promise<WebhookEndpointRecord | undefined> => {
    const row = (await db.all<WebhookEndpointRecord>('SELECT * FROM recert_webhook_endpoints WHERE id = $1', [id]))[0];
    return row ? endpointOf(row) : undefined;
  };
  return {
    cursor: async () =>
      Number((await db.all<{ position: number }>('SELECT position FROM recert_webhook_cursor WHERE id = 1', []))[0]?.position ?? 0),
    cursorMark: async () => {
      const row = (
        await db.all<{ position: number; event_id: string | null; epoch: string | null }>(
          'SELECT position, event_id, epoch FROM recert_webhook_cursor WHERE id = 1',
          [],
        )
      )[0];
      return { position: Number(row?.position ?? 0), eventId: row?.event_id ?? null, epoch: row?.epoch ?? null };
    },
    rewindCursor: async (from, epoch) => {
      await db.atomically([
        {
          sql: 'UPDATE recert_webhook_cursor SET position = 0, event_id = NULL, epoch = $1 WHERE id = 1 AND position = $2',
          params: [epoch, from.position],
        },
      ]);
    },
    ingest: async (batch, position, mark) => {
      await db.atomically([
        // Rows in one order (by id) whoever ingests, so two processes ingesting overlapping batches cannot deadlock (#22.1).
        ...byId(batch.registered).map(insertEndpoint),
        ...byId(batch.disabled.map(({ endpointId, reason }) => ({ id: endpointId, reason }))).map(({ id: endpointId, reason }) => ({
          sql: "UPDATE recert_webhook_endpoints SET status = 'disabled', disabled_reason = $1 WHERE id = $2",
          params: [reason, endpointId],
        })),
        ...[...(batch.enabled ?? [])].sort().map((endpointId) => ({
          sql: "UPDATE recert_webhook_endpoints SET status = 'active', disabled_reason = NULL, failing_since = NULL WHERE id = $1",
          params: [endpointId],
        })),
        ...byId(batch.deliveries).map(insertDelivery),
        ...(position === null
          ? []
          : [
              { sql: 'INSERT INTO recert_webhook_cursor (id, position) VALUES (1, 0) ON CONFLICT (id) DO NOTHING', params: [] },
              // Never back: a slower process finishing an older batch must not make the faster one's work count again.
              {
                sql: 'UPDATE recert_webhook_cursor SET position = $1, event_id = $2, epoch = $3 WHERE id = 1 AND position < $1',
                params: [position, mark?.eventId ?? null, mark?.epoch ?? null],
              },
            ]),
      ]);
    },
    endpoints: async () =>
      (await db.all<WebhookEndpointRecord>('SELECT * FROM recert_webhook_endpoints ORDER BY registered_position', [])).map(endpointOf),
    endpoint,
    deliveries: async (endpointId, limit) => {
      const rows = await db.all<WebhookDeliveryRecord>(
        'SELECT * FROM recert_webhook_deliveries WHERE endpoint_id = $1 ORDER BY position DESC LIMIT $2',
        [endpointId, limit],
      );
      return Promise.all(
        rows.map(async (row) => ({
          ...deliveryOf(row),
          log: await db.all<WebhookAttemptRecord>(
            'SELECT attempt, at, status, error FROM recert_webhook_attempts WHERE delivery_id = $1 ORDER BY attempt',
            [row.id],
          ),
        })),
      );
    },
    delivery,
    due: async (nowIso, limit) =>
      (
        await db.all<WebhookDeliveryRecord>(
          `SELECT d.* FROM recert_webhook_deliveries d JOIN recert_webhook_endpoints e ON e.id = d.endpoint_id
           WHERE d.state = 'pending' AND e.status = 'active' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $1)
             AND NOT EXISTS (SELECT 1 FROM recert_webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.holding = d.holding
                             AND p.state = 'pending' AND p.position < d.position)
           ORDER BY d.position LIMIT $2`,
          [nowIso, limit],
        )
      ).map(deliveryOf),
    recordAttempt: async (o: WebhookAttemptOutcome, fence?: LeaseFence) => {
      // The fence (R56): the lease row is locked (PostgreSQL FOR UPDATE; SQLite's write lock) until the record commits,
      // so no acquire can move the version in between.
      const guard = fence && db.leaseGuard(fence);
      const recorded = await db.atomically(
        [
          {
            sql: `INSERT INTO recert_webhook_attempts (delivery_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (delivery_id, attempt) DO UPDATE SET at = excluded.at, status = excluded.status, error = excluded.error`,
            params: [o.deliveryId, o.attempt, o.at, o.status, o.error],
          },
          {
            sql: `UPDATE recert_webhook_deliveries SET state = $1, attempts = $2, first_attempt_at = $3, last_status = $4, last_error = $5,
                  next_attempt_at = $6, delivered_at = $7 WHERE id = $8`,
            params: [
              o.state,
              o.attempt,
              o.firstAttemptAt,
              o.status,
              o.error,
              o.nextAttemptAt,
              o.state === 'delivered' ? o.at : null,
              o.deliveryId,
            ],
          },
          o.error === null
            ? { sql: 'UPDATE recert_webhook_endpoints SET failing_since = NULL WHERE id = $1', params: [o.endpointId] }
            : {
                sql: 'UPDATE recert_webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2',
                params: [o.firstAttemptAt, o.endpointId],
              },
        ],
        guard,
      );
      if (!recorded) throw new StaleLeaseError(fence?.lease.name ?? o.deliveryId);
      return (await endpoint(o.endpointId))?.failing_since ?? null;
    },
    redeliver: async (endpointId, deliveryId) => {
      const row = await delivery(deliveryId);
      if (!row || row.endpoint_id !== endpointId) return undefined;
      await db.atomically([
        {
          sql: "UPDATE recert_webhook_deliveries SET state = 'pending', first_attempt_at = NULL, next_attempt_at = NULL WHERE id = $1",
          params: [deliveryId],
        },
      ]);
      return delivery(deliveryId);
    },
  };
}
