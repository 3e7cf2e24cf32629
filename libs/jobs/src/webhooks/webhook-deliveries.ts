import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, EventStore, RecordedEvent } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, deterministicId } from '@recert/kernel';
import { PERSONAL_DATA_VAULT, PersonalDataVault, StreamCommands } from '@recert/renewals';
import {
  SealedData,
  WEBHOOK_RETRY_SPAN_MS,
  webhookEndpointDecider,
  WEBHOOK_SOURCES,
  WebhookEndpointCommand,
  WebhookEndpointDisabled,
  webhookPayload,
  webhookRetryDelayMs,
} from '@recert/domain';
import { signWebhook } from './standard-webhooks';

export interface WebhookEndpointRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  status: 'active' | 'disabled';
  registered_at: string;
  registered_position: number;
  failing_since: string | null;
  disabled_reason: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  holding: string;
  position: number;
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  first_attempt_at: string | null;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');
export interface WebhookSettings {
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
}

// Short: a process killed while holding a lease delays its deliveries by this much, never loses them.
const LEASE_MS = 15_000;
const BATCH = 1000;

/**
 * Outbound webhooks (#14.5): ingests the log into per-endpoint deliveries and sends them. State lives in
 * DATA_DIR/webhooks.db, not in the read database: it is not rebuilt with read models (a rebuild would send everything
 * again), and its cursor and the deliveries it creates commit in one transaction, so a crash loses none (R36).
 * Sending comes before marking delivered: a crash in between sends again with the same `webhook-id` (at least once).
 */
@Injectable()
export class WebhookDeliveries implements OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly db: Database.Database;
  private readonly owner = deterministicId('webhooks', String(process.pid), String(Date.now()));

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    private readonly commands: StreamCommands,
  ) {
    mkdirSync(config.dataDir, { recursive: true });
    this.db = new Database(join(config.dataDir, 'webhooks.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS webhook_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS webhook_endpoints (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
        status TEXT NOT NULL, registered_at TEXT NOT NULL, registered_position INTEGER NOT NULL, failing_since TEXT, disabled_reason TEXT);
      CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
        holding TEXT NOT NULL, position INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT, next_attempt_at TEXT, last_status INTEGER, last_error TEXT, delivered_at TEXT, claimed_until INTEGER);
      CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (endpoint_id, holding, state, position);
      CREATE TABLE IF NOT EXISTS webhook_attempts (delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at TEXT NOT NULL,
        status INTEGER, error TEXT, PRIMARY KEY (delivery_id, attempt));
    `);
  }

  onApplicationShutdown(): void {
    this.db.close();
  }

  /** Ingests the log, then sends what is due; returns how many deliveries succeeded. */
  async runOnce(): Promise<number> {
    await this.ingest();
    return this.deliverDue();
  }

  /** Reads the log after the cursor; endpoints and deliveries from it commit with the cursor's move (R36). */
  async ingest(): Promise<void> {
    for (;;) {
      const cursor = this.db.prepare<[], { position: number }>('SELECT position FROM webhook_cursor WHERE id = 1').get()?.position ?? 0;
      const head = await this.store.headPosition();
      if (head <= cursor) return;
      // An endpoint gets only events after its registration: with none active, nothing before the head can be
      // delivered, so the cursor jumps there instead of scanning (a registration after it is read as it comes).
      const active =
        this.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM webhook_endpoints WHERE status = 'active'").get()?.n ?? 0;
      if (active === 0) {
        const registrations = await this.store.readAll({
          after: cursor,
          maxCount: 1,
          filter: { eventTypes: ['WebhookEndpointRegistered'] },
        });
        if (registrations.length === 0) {
          this.db
            .prepare('INSERT INTO webhook_cursor (id, position) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET position = excluded.position')
            .run(head);
          return;
        }
      }
      const events = await this.store.readAll({
        after: cursor,
        maxCount: BATCH,
        filter: { eventTypes: ['WebhookEndpointRegistered', 'WebhookEndpointDisabled', ...Object.keys(WEBHOOK_SOURCES)] },
      });
      const last = events[events.length - 1];
      const next = events.length < BATCH ? Math.max(head, last?.position ?? 0) : (last as RecordedEvent).position;
      this.db.transaction(() => {
        for (const event of events) this.ingestOne(event);
        this.db
          .prepare('INSERT INTO webhook_cursor (id, position) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET position = excluded.position')
          .run(next);
      })();
      if (events.length < BATCH) return;
    }
  }

  private ingestOne(event: RecordedEvent): void {
    if (event.type === 'WebhookEndpointRegistered') return this.upsertEndpoint(event);
    if (event.type === 'WebhookEndpointDisabled') {
      const data = event.data as WebhookEndpointDisabled['data'];
      return this.markDisabled(data.endpointId, data.reason);
    }
    const payload = webhookPayload(event);
    if (!payload) return;
    const endpoints = this.db
      .prepare<[number], WebhookEndpointRow>("SELECT * FROM webhook_endpoints WHERE status = 'active' AND registered_position < ?")
      .all(event.position)
      .filter((endpoint) => (JSON.parse(endpoint.events) as string[]).includes(payload.type));
    for (const endpoint of endpoints) {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO webhook_deliveries (id, endpoint_id, event_id, type, holding, position, payload, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
        )
        .run(
          deterministicId('webhook-delivery', endpoint.id, event.id),
          endpoint.id,
          event.id,
          payload.type,
          event.stream,
          event.position,
          JSON.stringify(payload),
        );
    }
  }

  /** An endpoint row from its registration event: from the log on ingest, or at once by the controller. */
  upsertEndpoint(event: RecordedEvent): void {
    const data = event.data as { endpointId: string; url: string; events: string[]; secret: SealedData; registeredAt: string };
    this.db
      .prepare(
        `INSERT INTO webhook_endpoints (id, url, events, secret, status, registered_at, registered_position)
         VALUES (?, ?, ?, ?, 'active', ?, ?) ON CONFLICT(id) DO NOTHING`,
      )
      .run(data.endpointId, data.url, JSON.stringify(data.events), JSON.stringify(data.secret), data.registeredAt, event.position);
  }

  endpoints(): WebhookEndpointRow[] {
    return this.db.prepare<[], WebhookEndpointRow>('SELECT * FROM webhook_endpoints ORDER BY registered_position').all();
  }

  endpoint(id: string): WebhookEndpointRow | undefined {
    return this.db.prepare<[string], WebhookEndpointRow>('SELECT * FROM webhook_endpoints WHERE id = ?').get(id);
  }

  deliveries(
    endpointId: string,
    limit: number,
  ): (WebhookDeliveryRow & { log: { attempt: number; at: string; status: number | null; error: string | null }[] })[] {
    const rows = this.db
      .prepare<
        [string, number],
        WebhookDeliveryRow
      >('SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY position DESC LIMIT ?')
      .all(endpointId, limit);
    const log = this.db.prepare<[string], { attempt: number; at: string; status: number | null; error: string | null }>(
      'SELECT attempt, at, status, error FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt',
    );
    return rows.map((row) => ({ ...row, log: log.all(row.id) }));
  }

  /** Redeliver (R37): the delivery is pending again, due now, with a fresh 24 h of retries and the same webhook-id. */
  redeliver(endpointId: string, deliveryId: string): WebhookDeliveryRow | undefined {
    const changed = this.db
      .prepare(
        "UPDATE webhook_deliveries SET state = 'pending', first_attempt_at = NULL, next_attempt_at = NULL, claimed_until = NULL WHERE id = ? AND endpoint_id = ?",
      )
      .run(deliveryId, endpointId);
    if (changed.changes === 0) return undefined;
    return this.db.prepare<[string], WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?').get(deliveryId);
  }

  markDisabled(endpointId: string, reason: string): void {
    this.db.prepare("UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ? WHERE id = ?").run(reason, endpointId);
  }

  /** Pending deliveries due now whose endpoint is active and that no earlier pending delivery of their holding precedes (R36). */
  private claim(now: Date): WebhookDeliveryRow[] {
    const wall = Date.now();
    return this.db
      .transaction(() => {
        const due = this.db
          .prepare<[string, number], { id: string }>(
            `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.state = 'pending' AND e.status = 'active' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)
               AND (d.claimed_until IS NULL OR d.claimed_until < ?)
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.holding = d.holding
                               AND p.state = 'pending' AND p.position < d.position)
             ORDER BY d.position LIMIT 500`,
          )
          .all(now.toISOString(), wall);
        const take = this.db.prepare('UPDATE webhook_deliveries SET claimed_until = ? WHERE id = ?');
        for (const row of due) take.run(wall + LEASE_MS, row.id);
        return due.map(
          (row) =>
            this.db
              .prepare<[string], WebhookDeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?')
              .get(row.id) as WebhookDeliveryRow,
        );
      })
      .immediate();
  }

  async deliverDue(): Promise<number> {
    let delivered = 0;
    // Each pass sends the head of each holding's queue; the next pass its successor, so one run drains what is due.
    for (let claimed = this.claim(this.clock.now()); claimed.length > 0; claimed = this.claim(this.clock.now())) {
      let progressed = false;
      for (const row of claimed) {
        const ok = await this.attempt(row);
        if (ok) delivered += 1;
        progressed ||= ok;
      }
      if (!progressed) break;
    }
    return delivered;
  }

  private async attempt(row: WebhookDeliveryRow): Promise<boolean> {
    const endpoint = this.endpoint(row.endpoint_id);
    if (!endpoint || endpoint.status !== 'active') return false;
    const secret = (await this.vault.open<{ secret: string }>(JSON.parse(endpoint.secret) as SealedData))?.secret;
    const now = this.clock.now();
    let status: number | null = null;
    let error: string | null = null;
    if (!secret) error = 'the signing secret is unreadable';
    else {
      // The timestamp is the receiver's replay guard against its own wall clock, so it is wall time, not domain time.
      const headers = signWebhook(secret, row.event_id, Math.floor(Date.now() / 1000), row.payload);
      try {
        const response = await fetch(endpoint.url, {
          method: 'POST',
          headers,
          body: row.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (caught) {
        // An abort is a DOMException, which is not an Error in Node 20: tell it by name.
        const name = typeof caught === 'object' && caught !== null && 'name' in caught ? String(caught.name) : '';
        error =
          name === 'TimeoutError'
            ? `timed out after ${this.settings.timeoutMs} ms`
            : caught instanceof Error
              ? `${caught.message}${caught.cause instanceof Error ? `: ${caught.cause.message}` : ''}`
              : String(caught);
      }
    }
    const attempt = row.attempts + 1;
    const at = now.toISOString();
    this.db
      .prepare('INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)')
      .run(row.id, attempt, at, status, error);
    if (error === null) {
      this.db
        .prepare(
          "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, first_attempt_at = COALESCE(first_attempt_at, ?), last_status = ?, last_error = NULL, delivered_at = ?, next_attempt_at = NULL, claimed_until = NULL WHERE id = ?",
        )
        .run(attempt, at, status, at, row.id);
      this.db.prepare('UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?').run(endpoint.id);
      return true;
    }
    const first = row.first_attempt_at ?? at;
    const givenUp = now.getTime() - Date.parse(first) >= WEBHOOK_RETRY_SPAN_MS;
    this.db
      .prepare(
        'UPDATE webhook_deliveries SET state = ?, attempts = ?, first_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?, claimed_until = NULL WHERE id = ?',
      )
      .run(
        givenUp ? 'failed' : 'pending',
        attempt,
        first,
        status,
        error,
        givenUp ? null : new Date(now.getTime() + webhookRetryDelayMs(attempt)).toISOString(),
        row.id,
      );
    this.db.prepare('UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?').run(first, endpoint.id);
    const failingSince = this.endpoint(endpoint.id)?.failing_since ?? at;
    if (givenUp && now.getTime() - Date.parse(failingSince) >= WEBHOOK_RETRY_SPAN_MS)
      await this.disableForFailure(endpoint.id, failingSince);
    return false;
  }

  /** R38: a delivery given up while its endpoint has not succeeded for 24 h disables the endpoint, with an event. */
  private async disableForFailure(endpointId: string, failingSince: string): Promise<void> {
    try {
      await this.disable(
        endpointId,
        {
          type: 'DisableWebhookEndpoint',
          data: { reason: 'repeated-failure', detail: `every attempt failed since ${failingSince}`, disabledBy: 'webhook-dispatcher' },
        },
        {
          commandId: `disable:${endpointId}:${failingSince}`,
          correlationId: endpointId,
          causationId: endpointId,
          actor: 'webhook-dispatcher',
        },
      );
    } catch (error) {
      this.logger.error(`disabling webhook ${endpointId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async disable(
    endpointId: string,
    command: WebhookEndpointCommand,
    meta: { commandId: string; correlationId: string; causationId: string; actor: string },
  ): Promise<{ events: RecordedEvent[]; position: number }> {
    const outcome = await this.commands.handle(webhookEndpointDecider, endpointId, command, meta);
    this.markDisabled(endpointId, command.type === 'DisableWebhookEndpoint' ? command.data.reason : 'admin');
    return { events: outcome.events, position: outcome.position };
  }
}
