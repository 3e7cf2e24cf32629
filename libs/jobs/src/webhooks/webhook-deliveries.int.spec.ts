import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, ReadAllOptions, RecordedEvent } from '@recert/eventstore';
import { AppConfig, ManualClock, SqliteSharedState } from '@recert/kernel';
import type { CommandBus } from '@nestjs/cqrs';
import type { PersonalDataVault } from '@recert/renewals';
import { newWebhookSecret } from './standard-webhooks';
import { deliveryLeaseName, importLegacyWebhooks, WebhookDeliveries } from './webhook-deliveries';
import { webhookNetworks } from './webhook-target';

const ENDPOINT = '00000000-0000-4000-8000-000000000001';
const HOLDINGS = ['holding-a', 'holding-b', 'holding-c'];

/** A log in memory: the registration, then earned events spread over three holdings. */
function log(url: string, earned: number): RecordedEvent[] {
  const meta = { correlationId: 'c', causationId: 'c', actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z' };
  const registration: RecordedEvent = {
    id: 'evt-0',
    type: 'WebhookEndpointRegistered',
    stream: `webhook-${ENDPOINT}`,
    revision: 0,
    position: 1,
    recordedAt: meta.occurredAt,
    metadata: meta,
    data: { endpointId: ENDPOINT, url, events: ['certification.earned'], secret: { sealed: 'x' }, registeredAt: meta.occurredAt },
  };
  const events = Array.from(
    { length: earned },
    (_, i): RecordedEvent => ({
      id: `evt-${i + 1}`,
      type: 'CertificationEarned',
      stream: HOLDINGS[i % HOLDINGS.length] as string,
      revision: Math.floor(i / HOLDINGS.length),
      position: i + 2,
      recordedAt: meta.occurredAt,
      metadata: meta,
      data: { n: i },
    }),
  );
  return [registration, ...events];
}

function fakeStore(events: RecordedEvent[]): EventStore {
  const store: Pick<EventStore, 'headPosition' | 'readAll'> = {
    headPosition: () => Promise.resolve(events[events.length - 1]?.position ?? 0),
    readAll: (options?: ReadAllOptions) => {
      const types = options?.filter?.eventTypes;
      const after = options?.after ?? 0;
      const found = events.filter((e) => e.position > after && (!types || types.includes(e.type)));
      return Promise.resolve(found.slice(0, options?.maxCount ?? found.length));
    },
  };
  return store as EventStore;
}

/**
 * R43 on the embedded adapter: two WebhookDeliveries (two processes: own DATA_DIR, one shared-state file) ingest one
 * log and deliver at once; every event reaches the receiver exactly once, in order per holding, and a lease held by
 * another owner (a process killed mid-attempt) holds its delivery back until it is released.
 */
describe('webhook deliveries across two processes on one SQLite shared state (R43)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-webhook-leases-'));
  const received: { id: string }[] = [];
  let server: http.Server;
  let url = '';
  let states: SqliteSharedState[] = [];
  const secret = newWebhookSecret();

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received.push({ id: String(request.headers['webhook-id']) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await Promise.all(states.map((state) => state.close()));
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const processes = (events: RecordedEvent[], file: string): WebhookDeliveries[] => {
    states = [new SqliteSharedState(join(dir, file)), new SqliteSharedState(join(dir, file))];
    const vault = { open: () => Promise.resolve({ secret }) } as unknown as PersonalDataVault;
    return states.map(
      (state, i) =>
        new WebhookDeliveries(
          { dataDir: join(dir, `process-${i}`) } as AppConfig,
          new ManualClock(new Date('2026-01-02T00:00:00Z')),
          fakeStore(events),
          vault,
          // The receiver is on loopback: allowed as an operator would allow an on-premises one (R51).
          { timeoutMs: 5_000, allowedNetworks: webhookNetworks(['127.0.0.0/8']) },
          state.webhooks,
          state.leases,
          {} as CommandBus,
        ),
    );
  };

  it('R43: both processes running at once deliver each event exactly once, in log order per holding', async () => {
    const events = log(url, 60);
    const [one, two] = processes(events, 'race.db') as [WebhookDeliveries, WebhookDeliveries];
    const delivered = await Promise.all([one.runOnce(), two.runOnce(), one.runOnce(), two.runOnce()]);
    expect(delivered.reduce((sum, n) => sum + n, 0)).toBe(60);
    expect(await Promise.all([one.runOnce(), two.runOnce()])).toEqual([0, 0]);
    const ids = received.map((r) => r.id);
    expect(ids.sort()).toEqual(
      events
        .slice(1)
        .map((e) => e.id)
        .sort(),
    );
    const log1 = await one.deliveries(ENDPOINT, 1000);
    expect(log1).toHaveLength(60);
    expect(log1.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
    expect(await two.deliveries(ENDPOINT, 1000)).toEqual(log1);
  }, 60_000);

  it('R43: a delivery whose lease another owner holds waits (with its holding queue), and goes once the lease is handed back', async () => {
    received.length = 0;
    const events = log(url, 6);
    const [one, two] = processes(events, 'held.db') as [WebhookDeliveries, WebhookDeliveries];
    const first = events[1] as RecordedEvent;
    const held = deliveryLeaseName(ENDPOINT, first.id);
    expect((await states[0]?.leases.acquire([held], 'killed-process', 3600_000))?.map((lease) => lease.name)).toEqual([held]);
    await Promise.all([one.runOnce(), two.runOnce()]);
    // The held one and its holding's successor wait; the other holdings' go.
    const waiting = events.filter((e) => e.stream === first.stream).map((e) => e.id);
    expect(received.map((r) => r.id).sort()).toEqual(
      events
        .slice(1)
        .filter((e) => !waiting.includes(e.id))
        .map((e) => e.id)
        .sort(),
    );
    expect(await states[1]?.leases.releaseOwner('killed-process')).toBe(1);
    await Promise.all([two.runOnce(), one.runOnce()]);
    expect(received.map((r) => r.id).sort()).toEqual(
      events
        .slice(1)
        .map((e) => e.id)
        .sort(),
    );
    const order = received.filter((r) => waiting.includes(r.id)).map((r) => r.id);
    expect(order).toEqual(waiting);
  }, 60_000);
});

describe("an older build's DATA_DIR/webhooks.db (R43)", () => {
  it('R43: is moved into the shared state once: endpoints, the cursor, and deliveries with their outcome (a delivered one stays delivered)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recert-legacy-webhooks-'));
    const state = new SqliteSharedState(join(dir, 'shared-state.db'));
    try {
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir);
      const legacy = new Database(join(dataDir, 'webhooks.db'));
      legacy.exec(`
        CREATE TABLE webhook_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
        CREATE TABLE webhook_endpoints (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
          status TEXT NOT NULL, registered_at TEXT NOT NULL, registered_position INTEGER NOT NULL, failing_since TEXT, disabled_reason TEXT);
        CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
          holding TEXT NOT NULL, position INTEGER NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
          first_attempt_at TEXT, next_attempt_at TEXT, last_status INTEGER, last_error TEXT, delivered_at TEXT, claimed_until INTEGER);
        INSERT INTO webhook_cursor VALUES (1, 42);
        INSERT INTO webhook_endpoints VALUES ('ep-1', 'http://127.0.0.1:9/h', '["certification.earned"]', '{}', 'active', '2026-01-01T00:00:00.000Z', 1, NULL, NULL);
        INSERT INTO webhook_deliveries VALUES ('d-1', 'ep-1', 'e-1', 'certification.earned', 'h', 2, '{}', 'delivered', 1,
          '2026-01-01T00:00:01.000Z', NULL, 204, NULL, '2026-01-01T00:00:01.000Z', NULL);
        INSERT INTO webhook_deliveries VALUES ('d-2', 'ep-1', 'e-2', 'certification.earned', 'h', 3, '{}', 'pending', 0,
          NULL, NULL, NULL, NULL, NULL, NULL);`);
      legacy.close();
      expect(await importLegacyWebhooks(dataDir, state.webhooks)).toBe(2);
      expect(existsSync(join(dataDir, 'webhooks.db'))).toBe(false);
      expect(await importLegacyWebhooks(dataDir, state.webhooks)).toBe(0);
      expect(await state.webhooks.cursor()).toBe(42);
      expect(await state.webhooks.endpoint('ep-1')).toMatchObject({ status: 'active', registered_position: 1 });
      expect(await state.webhooks.delivery('d-1')).toMatchObject({ state: 'delivered', attempts: 1, last_status: 204 });
      expect((await state.webhooks.due('2026-01-02T00:00:00.000Z', 10)).map((d) => d.id)).toEqual(['d-2']);
    } finally {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
