import { CommandBus } from '@nestjs/cqrs';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, EventStore, logPages, RecordedEvent, rewoundReason } from '@recert/eventstore';
import {
  CLOCK,
  Clock,
  deterministicId,
  LEASE_STORE,
  LeaseFence,
  LeaseStore,
  settingsProvider,
  StaleLeaseError,
  WEBHOOK_STATE_STORE,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
  WebhookStateStore,
} from '@recert/kernel';
import { PERSONAL_DATA_VAULT, PersonalDataVault, WebhookEndpointWrite } from '@recert/renewals';
import {
  SealedData,
  WEBHOOK_RETRY_SPAN_MS,
  WEBHOOK_SOURCES,
  WebhookEndpointCommand,
  WebhookEndpointDisabled,
  WebhookEndpointReEnabled,
  webhookPayload,
  webhookRetryDelayMs,
} from '@recert/domain';
import { signWebhook } from './standard-webhooks';
import { checkedAddress, postWebhook, ResolveAll, WebhookNetworks, WebhookTargetRefused } from './webhook-target';
import { RunLeaseOwners } from '../run-lease-owners';

export type WebhookEndpointRow = WebhookEndpointRecord;
export type WebhookDeliveryRow = WebhookDeliveryRecord;

/** What the deliveries read of the process's settings (#28.4): where an older build's file is, what a rewound log does. */
export interface WebhookLogSettings {
  dataDir: string;
  rewoundLog: 'rebuild' | 'stop';
}
export const WEBHOOK_LOG_SETTINGS = Symbol('WEBHOOK_LOG_SETTINGS');
export const webhookLogSettings = settingsProvider(
  WEBHOOK_LOG_SETTINGS,
  (c): WebhookLogSettings => ({ dataDir: c.dataDir, rewoundLog: c.rewoundLog }),
);

export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');
export interface WebhookSettings {
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
  /** WEBHOOK_ALLOWED_NETWORKS: networks a target may be in although not public unicast (R51). */
  allowedNetworks: WebhookNetworks;
  /** How a target's name is resolved at send time; DNS unless a test stands in (it must not ask a real resolver). */
  resolve?: ResolveAll;
}

// A lease outlives one attempt (the request's timeout) by this margin; a process killed while holding it delays
// that delivery by the lease's length, never loses it.
const LEASE_MARGIN_MS = 15_000;
const BATCH = 1000;
const INGEST_LEASE = 'webhooks:ingest';
// Renewed each batch; a process killed while ingesting holds ingest up for no longer than this.
const INGEST_LEASE_MS = 15_000;

/** The lease one attempt of one delivery is sent under (R43): by endpoint and event, the delivery's identity. */
export function deliveryLeaseName(endpointId: string, eventId: string): string {
  return `webhook:${endpointId}:${eventId}`;
}

/**
 * Outbound webhooks (#14.5): ingests the log into per-endpoint deliveries and sends them. The state (endpoints,
 * deliveries, attempts, the cursor) lives in the shared state, not in DATA_DIR nor the read database: every process
 * sees one delivery log and one disabled flag (R43), and it is not rebuilt with read models (a rebuild would send
 * everything again). A batch's deliveries commit with the cursor's move, so a crash loses none (R36). Each attempt
 * is sent under a lease in the shared LeaseStore, taken and then checked against the delivery's state, so two
 * processes never send the same delivery at once nor again after it succeeded (R43). Sending comes before recording:
 * a crash in between sends again with the same `webhook-id` once the lease runs out (at least once).
 */
@Injectable()
export class WebhookDeliveries implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    @Inject(WEBHOOK_LOG_SETTINGS) private readonly config: WebhookLogSettings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    @Inject(WEBHOOK_STATE_STORE) private readonly state: WebhookStateStore,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    private readonly bus: CommandBus,
  ) {
    this.owners = new RunLeaseOwners(leases);
  }

  private readonly owners: RunLeaseOwners;
  private readonly rewound = new EventEmitter();

  /** Called with why, each time the cursor is found on a rewound log (#24.2): a metric. */
  onRewound(listener: (reason: string) => void): void {
    this.rewound.on('rewound', listener);
  }

  /** A DATA_DIR/webhooks.db of an older build is moved into the shared state once (it would send everything again otherwise). */
  async onModuleInit(): Promise<void> {
    const moved = await importLegacyWebhooks(this.config.dataDir, this.state);
    if (moved > 0) this.logger.log(`moved ${moved} webhook deliveries from ${this.config.dataDir}/webhooks.db into the shared state`);
  }

  /**
   * Ingests the log, then sends what is due; returns how many deliveries succeeded. Each run leases as an owner of its
   * own, so two runs of one process (the timer's, an admin's) exclude each other as two processes do.
   */
  runOnce(): Promise<number> {
    return this.owners.during(async (owner) => {
      await this.ingest(owner);
      return this.deliverDue(owner);
    });
  }

  /** On shutdown, once no run is under way: hand back the leases still held (none, unless a run was cut short). */
  releaseLeases(): Promise<number> {
    return this.owners.releaseAll();
  }

  /**
   * Reads the log after the shared cursor; endpoints and deliveries from it commit with the cursor's move (R36).
   * One process at a time (a lease): another would only make the same rows again.
   */
  async ingest(owner: string): Promise<void> {
    const lease = async (): Promise<boolean> => (await this.leases.acquire([INGEST_LEASE], owner, INGEST_LEASE_MS)).length === 1;
    if (!(await lease())) return;
    try {
      const epoch = await this.checkCursor();
      if (epoch === false) return;
      const cursor = await this.state.cursor();
      // Up to the head read now: what is appended meanwhile waits for the next run.
      const head = await this.store.headPosition();
      if (head <= cursor) return;
      // An endpoint gets only events after its registration: with none active, nothing before the head can be
      // delivered, so the cursor jumps there instead of scanning (a registration after it is read as it comes).
      if (!(await this.state.endpoints()).some((endpoint) => endpoint.status === 'active')) {
        const registrations = await this.store.readAll({
          after: cursor,
          maxCount: 1,
          filter: { eventTypes: ['WebhookEndpointRegistered'] },
        });
        if (registrations.length === 0) {
          const eventId = (await this.store.eventIdAt?.(head)) ?? null;
          return this.state.ingest({ registered: [], disabled: [], deliveries: [] }, head, { eventId, epoch });
        }
      }
      const eventTypes = [
        'WebhookEndpointRegistered',
        'WebhookEndpointDisabled',
        'WebhookEndpointReEnabled',
        ...Object.keys(WEBHOOK_SOURCES),
      ];
      for await (const { events, scannedTo } of logPages(this.store, {
        after: cursor,
        until: head,
        pageSize: BATCH,
        filter: { eventTypes },
      })) {
        const endpoints = new Map((await this.state.endpoints()).map((endpoint) => [endpoint.id, endpoint]));
        const last = events[events.length - 1];
        const eventId = scannedTo === last?.position ? last.id : ((await this.store.eventIdAt?.(scannedTo)) ?? null);
        await this.state.ingest(batchOf(events, endpoints), scannedTo, { eventId, epoch });
        if (scannedTo >= head || !(await lease())) return;
      }
    } finally {
      await this.leases.release(INGEST_LEASE, owner);
    }
  }

  /**
   * Before each ingest: a cursor the log no longer holds (a restore or failover rewound it, #24.2) goes back to zero, so
   * the new events at reused positions are delivered (deliveries are keyed by endpoint and event: none is made twice);
   * with REWOUND_LOG=stop ingest stops instead (false). Returns the log's epoch, kept with the cursor.
   */
  private async checkCursor(): Promise<string | null | false> {
    if (!this.store.epoch && !this.store.eventIdAt) return null;
    const epoch = this.store.epoch ? await this.store.epoch() : null;
    const mark = await this.state.cursorMark();
    const reason = await rewoundReason(this.store, mark, epoch);
    if (reason === undefined) return epoch;
    const stop = this.config.rewoundLog === 'stop';
    this.logger.warn(
      `webhook cursor: rewound log: ${reason}; ${stop ? 'ingest stopped (REWOUND_LOG=stop)' : 'ingesting again from the start (keyed: nothing is delivered twice)'}`,
    );
    this.rewound.emit('rewound', reason);
    if (stop) return false;
    await this.state.rewindCursor(mark, epoch);
    return epoch;
  }

  /** An endpoint row from its registration event: from the log on ingest, or at once by the controller. */
  async upsertEndpoint(event: RecordedEvent): Promise<void> {
    await this.state.ingest({ registered: [endpointOf(event)], disabled: [], deliveries: [] }, null);
  }

  endpoints(): Promise<WebhookEndpointRow[]> {
    return this.state.endpoints();
  }

  endpoint(id: string): Promise<WebhookEndpointRow | undefined> {
    return this.state.endpoint(id);
  }

  deliveries(endpointId: string, limit: number): ReturnType<WebhookStateStore['deliveries']> {
    return this.state.deliveries(endpointId, limit);
  }

  /** Redeliver (R37): the delivery is pending again, due now, with a fresh 24 h of retries and the same webhook-id. */
  redeliver(endpointId: string, deliveryId: string): Promise<WebhookDeliveryRow | undefined> {
    return this.state.redeliver(endpointId, deliveryId);
  }

  /** The endpoint's signing secret, opened from its sealed copy; undefined when its key is gone. */
  async endpointSecret(endpoint: WebhookEndpointRow): Promise<string | undefined> {
    return (await this.vault.open<{ secret: string }>(JSON.parse(endpoint.secret) as SealedData))?.secret;
  }

  markDisabled(endpointId: string, reason: string): Promise<void> {
    return this.state.ingest({ registered: [], disabled: [{ endpointId, reason }], deliveries: [] }, null);
  }

  /**
   * R97: an admin takes a disabled endpoint back into service through its decider; the row is active at once (the
   * ingest reaches the same from the log). Events recorded while it was disabled were never queued for it.
   */
  async reEnable(
    endpointId: string,
    reEnabledBy: string,
    meta: { commandId: string; correlationId: string; causationId: string; actor: string },
  ): Promise<{ events: RecordedEvent[]; position: number }> {
    const outcome = await this.bus.execute(
      new WebhookEndpointWrite(endpointId, { type: 'ReEnableWebhookEndpoint', data: { reEnabledBy } }, meta),
    );
    await this.state.ingest({ registered: [], disabled: [], enabled: [endpointId], deliveries: [] }, null);
    return { events: outcome.events, position: outcome.position };
  }

  /**
   * Takes the delivery's lease, then reads it again: another process may have sent it between the query that found it
   * due and the lease (R43). Undefined when the lease is another's or the delivery is no longer due.
   */
  private async claim(
    candidate: WebhookDeliveryRow,
    nowIso: string,
    owner: string,
  ): Promise<{ row: WebhookDeliveryRow; fence: LeaseFence } | undefined> {
    const name = deliveryLeaseName(candidate.endpoint_id, candidate.event_id);
    const [lease] = await this.leases.acquire([name], owner, this.settings.timeoutMs + LEASE_MARGIN_MS);
    if (!lease) return undefined;
    const row = await this.state.delivery(candidate.id);
    if (row?.state === 'pending' && (row.next_attempt_at === null || row.next_attempt_at <= nowIso))
      return { row, fence: { lease, owner } };
    await this.leases.release(name, owner);
    return undefined;
  }

  async deliverDue(owner: string): Promise<number> {
    let delivered = 0;
    // Each pass sends the head of each holding's queue; the next pass its successor, so one run drains what is due.
    for (;;) {
      const nowIso = this.clock.now().toISOString();
      let progressed = false;
      for (const candidate of await this.state.due(nowIso, 500)) {
        // One lease per attempt, taken just before it: a long batch never outlives the leases of its tail.
        const claimed = await this.claim(candidate, nowIso, owner);
        if (!claimed) continue;
        const { row, fence } = claimed;
        try {
          const ok = await this.attempt(row, fence);
          if (ok) delivered += 1;
          progressed ||= ok;
        } finally {
          await this.leases.release(deliveryLeaseName(row.endpoint_id, row.event_id), owner);
        }
      }
      if (!progressed) return delivered;
    }
  }

  private async attempt(row: WebhookDeliveryRow, fence: LeaseFence): Promise<boolean> {
    const endpoint = await this.endpoint(row.endpoint_id);
    if (!endpoint || endpoint.status !== 'active') return false;
    const secret = await this.endpointSecret(endpoint);
    const now = this.clock.now();
    let status: number | null = null;
    let error: string | null = null;
    if (!secret) error = 'the signing secret is unreadable';
    else {
      // The timestamp is the receiver's replay guard against its own wall clock, so it is wall time, not domain time.
      const headers = signWebhook(secret, row.event_id, Math.floor(Date.now() / 1000), row.payload);
      try {
        // R51: resolved and checked now, then connected to the checked address (DNS may have changed since registration).
        const url = new URL(endpoint.url);
        const target = await checkedAddress(url, this.settings.allowedNetworks, this.settings.resolve);
        status = await postWebhook(url, target, headers, row.payload, this.settings.timeoutMs);
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
        if (caught instanceof WebhookTargetRefused) this.logger.warn(`webhook ${endpoint.id}: ${caught.message}`);
      }
    }
    const attempt = row.attempts + 1;
    const at = now.toISOString();
    const first = row.first_attempt_at ?? at;
    const givenUp = error !== null && now.getTime() - Date.parse(first) >= WEBHOOK_RETRY_SPAN_MS;
    // Fenced (R56): had the lease run out and passed to another sender meanwhile, this record is refused (that sender's
    // record stands) and the attempt counts for nothing here.
    const failingSince = await this.state
      .recordAttempt(
        {
          deliveryId: row.id,
          endpointId: endpoint.id,
          attempt,
          at,
          status,
          error,
          state: error === null ? 'delivered' : givenUp ? 'failed' : 'pending',
          firstAttemptAt: first,
          nextAttemptAt: error === null || givenUp ? null : new Date(now.getTime() + webhookRetryDelayMs(attempt)).toISOString(),
        },
        fence,
      )
      .catch((caught: unknown) => {
        if (!(caught instanceof StaleLeaseError)) throw caught;
        this.logger.warn(`webhook delivery ${row.id}: ${caught.message}`);
        return undefined;
      });
    if (failingSince === undefined) return false;
    if (error === null) return true;
    if (givenUp && now.getTime() - Date.parse(failingSince ?? at) >= WEBHOOK_RETRY_SPAN_MS)
      await this.disableForFailure(endpoint.id, failingSince ?? at);
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
    const outcome = await this.bus.execute(new WebhookEndpointWrite(endpointId, command, meta));
    await this.markDisabled(endpointId, command.type === 'DisableWebhookEndpoint' ? command.data.reason : 'admin');
    return { events: outcome.events, position: outcome.position };
  }
}

/** The endpoint row a registration event makes. */
function endpointOf(event: RecordedEvent): WebhookEndpointRecord {
  const data = event.data as { endpointId: string; url: string; events: string[]; secret: SealedData; registeredAt: string };
  return {
    id: data.endpointId,
    url: data.url,
    events: JSON.stringify(data.events),
    secret: JSON.stringify(data.secret),
    status: 'active',
    registered_at: data.registeredAt,
    registered_position: event.position,
    failing_since: null,
    disabled_reason: null,
  };
}

/**
 * What a batch of the log changes, replayed in order over the endpoints known before it: an event is delivered to the
 * endpoints active at it and registered before it, subscribed to its type.
 */
export function batchOf(
  events: readonly RecordedEvent[],
  known: ReadonlyMap<string, WebhookEndpointRecord>,
): Parameters<WebhookStateStore['ingest']>[0] {
  const endpoints = new Map(known);
  const batch: Parameters<WebhookStateStore['ingest']>[0] = { registered: [], disabled: [], enabled: [], deliveries: [] };
  for (const event of events) {
    if (event.type === 'WebhookEndpointRegistered') {
      const endpoint = endpointOf(event);
      if (!endpoints.has(endpoint.id)) endpoints.set(endpoint.id, endpoint);
      batch.registered.push(endpoint);
      continue;
    }
    if (event.type === 'WebhookEndpointDisabled') {
      const data = event.data as WebhookEndpointDisabled['data'];
      const endpoint = endpoints.get(data.endpointId);
      if (endpoint) endpoints.set(endpoint.id, { ...endpoint, status: 'disabled', disabled_reason: data.reason });
      batch.disabled = batch.disabled.filter((d) => d.endpointId !== data.endpointId);
      batch.enabled = (batch.enabled ?? []).filter((id) => id !== data.endpointId);
      batch.disabled.push({ endpointId: data.endpointId, reason: data.reason });
      continue;
    }
    if (event.type === 'WebhookEndpointReEnabled') {
      // R97: the last of a disable and a re-enable in one batch wins; deliveries start from this event on.
      const data = event.data as WebhookEndpointReEnabled['data'];
      const endpoint = endpoints.get(data.endpointId);
      if (endpoint)
        endpoints.set(endpoint.id, { ...endpoint, status: 'active', disabled_reason: null, registered_position: event.position });
      batch.disabled = batch.disabled.filter((d) => d.endpointId !== data.endpointId);
      batch.enabled = [...(batch.enabled ?? []).filter((id) => id !== data.endpointId), data.endpointId];
      continue;
    }
    const payload = webhookPayload(event);
    if (!payload) continue;
    for (const endpoint of endpoints.values()) {
      if (endpoint.status !== 'active' || endpoint.registered_position >= event.position) continue;
      if (!(JSON.parse(endpoint.events) as string[]).includes(payload.type)) continue;
      batch.deliveries.push({
        id: deterministicId('webhook-delivery', endpoint.id, event.id),
        endpoint_id: endpoint.id,
        event_id: event.id,
        type: payload.type,
        holding: event.stream,
        position: event.position,
        payload: JSON.stringify(payload),
      });
    }
  }
  return batch;
}

/**
 * Moves an older build's DATA_DIR/webhooks.db into the shared state, keyed like the shared rows (a row already there
 * wins), then renames the file so it is read once; returns how many deliveries it held.
 */
export async function importLegacyWebhooks(dataDir: string, state: WebhookStateStore): Promise<number> {
  const file = join(dataDir, 'webhooks.db');
  if (!existsSync(file)) return 0;
  const legacy = new Database(file, { readonly: true });
  let moved = 0;
  try {
    const has = (table: string): boolean =>
      legacy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    if (has('webhook_endpoints') && has('webhook_deliveries')) {
      const endpoints = legacy.prepare<[], WebhookEndpointRecord>('SELECT * FROM webhook_endpoints').all();
      const deliveries = legacy.prepare<[], WebhookDeliveryRecord>('SELECT * FROM webhook_deliveries').all();
      const cursor = has('webhook_cursor')
        ? (legacy.prepare<[], { position: number }>('SELECT position FROM webhook_cursor WHERE id = 1').get()?.position ?? null)
        : null;
      await state.ingest(
        {
          registered: endpoints,
          disabled: endpoints
            .filter((e) => e.status === 'disabled')
            .map((e) => ({ endpointId: e.id, reason: e.disabled_reason ?? 'admin' })),
          deliveries,
        },
        cursor,
      );
      // Outcomes already reached (delivered, given up, retrying) are kept: a delivered one must not go out again.
      for (const d of deliveries.filter((row) => row.attempts > 0)) {
        await state.recordAttempt({
          deliveryId: d.id,
          endpointId: d.endpoint_id,
          attempt: d.attempts,
          at: d.delivered_at ?? d.first_attempt_at ?? new Date(0).toISOString(),
          status: d.last_status,
          error: d.state === 'delivered' ? null : (d.last_error ?? 'unknown'),
          state: d.state,
          firstAttemptAt: d.first_attempt_at ?? new Date(0).toISOString(),
          nextAttemptAt: d.next_attempt_at,
        });
      }
      moved = deliveries.length;
    }
  } finally {
    legacy.close();
  }
  renameSync(file, `${file}.imported`);
  for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return moved;
}
