import { webhookNetworks } from './webhook-target';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { NewEvent, PostgresEventStore } from '@recert/eventstore';
import { AppConfig, ManualClock, PostgresSharedState } from '@recert/kernel';
import type { CommandBus } from '@nestjs/cqrs';
import type { PersonalDataVault } from '@recert/renewals';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../../../test/support/postgres';
import { newWebhookSecret } from './standard-webhooks';
import { WebhookDeliveries } from './webhook-deliveries';

const ENDPOINT = '00000000-0000-4000-8000-000000000024';
const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
const earned = (n: number): NewEvent => ({ id: `earned-${n}`, type: 'CertificationEarned', data: { n }, metadata: meta });

/**
 * #24.2 on PostgreSQL: the webhook cursor keeps (position, event id, epoch); after the tail of the log is lost (a
 * restore) and positions are handed out again, the cursor is not resumed past the new events: ingest starts over
 * (keyed deliveries: nothing delivered twice) and every new event reaches the receiver.
 */
describeWithPostgres('the webhook cursor on a rewound PostgreSQL log (#24.2)', () => {
  const eventSchema = uniqueName('rewound_events');
  const stateSchema = uniqueName('rewound_state');
  const dir = mkdtempSync(join(tmpdir(), 'recert-webhook-rewound-'));
  const received: string[] = [];
  let server: http.Server;
  let store: PostgresEventStore;
  let state: PostgresSharedState;
  let url = '';

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(String((JSON.parse(Buffer.concat(chunks).toString()) as { data: { eventId: string } }).data.eventId));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    store = new PostgresEventStore({ connectionString: PG_TEST_URL, schema: eventSchema });
    await store.ready();
    state = await PostgresSharedState.open(`${PG_TEST_URL}?sharedStateSchema=${stateSchema}`);
  }, 30_000);

  afterAll(async () => {
    await state.close();
    await store.close();
    await dropSchema(eventSchema);
    await dropSchema(stateSchema);
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const deliveries = (rewoundLog: 'rebuild' | 'stop'): WebhookDeliveries =>
    new WebhookDeliveries(
      { dataDir: dir, rewoundLog } as AppConfig,
      new ManualClock(new Date('2026-01-02T00:00:00Z')),
      store,
      { open: () => Promise.resolve({ secret: newWebhookSecret() }) } as unknown as PersonalDataVault,
      { timeoutMs: 5_000, allowedNetworks: webhookNetworks(['127.0.0.0/8']) },
      state.webhooks,
      state.leases,
      {} as CommandBus,
    );

  it('R60: after the tail is lost and positions reused, the new events are delivered, the kept ones not again; REWOUND_LOG=stop holds ingest', async () => {
    await store.append(
      `webhook-${ENDPOINT}`,
      [
        {
          id: 'registered',
          type: 'WebhookEndpointRegistered',
          data: { endpointId: ENDPOINT, url, events: ['certification.earned'], secret: { sealed: 'x' }, registeredAt: meta.occurredAt },
          metadata: meta,
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    for (const n of [1, 2, 3, 4]) await store.append(`holding-p${n}.C`, [earned(n)], { expectedRevision: 'no_stream' });
    const first = deliveries('rebuild');
    expect(await first.runOnce()).toBe(4);
    expect(await state.webhooks.cursorMark()).toEqual({ position: 5, eventId: 'earned-4', epoch: await store.epoch() });

    // A restore to position 3: earned-3 and earned-4 are lost (already delivered: that cannot be undone); three new
    // facts take positions 4, 5 and 6. Resuming after 5 would deliver earned-12 alone.
    const client = new Client({ connectionString: PG_TEST_URL });
    await client.connect();
    await client.query(`DELETE FROM ${eventSchema}.events WHERE position > 3`);
    await client.end();
    for (const n of [10, 11, 12]) await store.append(`holding-q${n}.C`, [earned(n)], { expectedRevision: 'no_stream' });

    const stopped = deliveries('stop');
    const stopReasons: string[] = [];
    stopped.onRewound((reason) => stopReasons.push(reason));
    expect(await stopped.runOnce()).toBe(0);
    expect(stopReasons).toEqual(['position 5 names event earned-4, the log holds earned-11 there']);
    expect((await state.webhooks.cursorMark()).position).toBe(5);

    const again = deliveries('rebuild');
    const reasons: string[] = [];
    again.onRewound((reason) => reasons.push(reason));
    expect(await again.runOnce()).toBe(3);
    expect(reasons).toHaveLength(1);
    expect(received).toEqual(['earned-1', 'earned-2', 'earned-3', 'earned-4', 'earned-10', 'earned-11', 'earned-12']);
    expect(await state.webhooks.cursorMark()).toEqual({ position: 6, eventId: 'earned-12', epoch: await store.epoch() });
    // Resumed as usual from here on.
    expect(await again.runOnce()).toBe(0);
    expect(reasons).toHaveLength(1);
  }, 60_000);
});
