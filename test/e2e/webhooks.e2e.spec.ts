import Database from 'better-sqlite3';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { WEBHOOK_SETTINGS, WebhookSettings } from '@recert/jobs';
import { expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

type Received = { headers: IncomingMessage['headers']; body: string };
type Delivery = {
  id: string;
  webhookId: string;
  type: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
};

/** Verifies a Standard Webhooks signature with node:crypto alone, as a receiver would. */
function verify(secret: string, received: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = received.headers['webhook-id'] as string;
  const timestamp = received.headers['webhook-timestamp'] as string;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest();
  return (received.headers['webhook-signature'] as string)
    .split(' ')
    .some((part) => part.startsWith('v1,') && timingSafeEqual(Buffer.from(part.slice(3), 'base64'), expected));
}

/** #14.5 webhooks against a real HTTP receiver on loopback that fails, times out and recovers. */
describe('outbound webhooks (#14.5)', () => {
  let h: Harness;
  let receiver: Server;
  let url: string;
  let mode: 'fail' | 'hang' | 'ok' = 'fail';
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (mode === 'hang') return void hanging.push(res);
        if (mode === 'fail') return void res.writeHead(503).end('down for maintenance');
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // The receiver is on loopback: reachable only because the operator allows it (R51).
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z', env: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' } });
    h.app.get<WebhookSettings>(WEBHOOK_SETTINGS).timeoutMs = 300;
  }, 60_000);
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await h.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }, 60_000);

  const admin = (sub = 'ops-admin') => `Bearer ${h.token(['admin'], { sub })}`;
  const run = async (at?: string): Promise<{ webhooksDelivered: number }> => {
    if (at) h.clock.set(new Date(at));
    const res = await h.http.post('/admin/scheduler/run').set('Authorization', admin());
    expect(res.status).toBe(200);
    return res.body as { webhooksDelivered: number };
  };
  const log = async (id: string): Promise<Delivery[]> => {
    const res = await h.http.get(`/admin/webhooks/${id}/deliveries`).set('Authorization', admin());
    expect(res.status).toBe(200);
    return (res.body as { deliveries: Delivery[] }).deliveries;
  };

  it('R35: a bad URL, an unknown type or a malformed secret is refused with 400 and stores nothing', async () => {
    for (const body of [
      { url: 'https://user:pw@hooks.example.com/x', events: ['certification.earned'] },
      { url: 'ftp://hooks.example.com/x', events: ['certification.earned'] },
      { url: 'not a url', events: ['certification.earned'] },
      { url: 'https://hooks.example.com/x', events: ['certification.sold'] },
      { url: 'https://hooks.example.com/x', events: [] },
      { url: 'https://hooks.example.com/x', events: ['certification.earned'], secret: 'whsec_c2hvcnQ=' },
    ]) {
      await expectNothingStored(h, async () => {
        const res = await h.http.post('/admin/webhooks').set('Authorization', admin()).send(body);
        expectProblem(res, 400, 'VALIDATION_FAILED');
      });
    }
    const res = await h.http.get('/admin/webhooks/00000000-0000-4000-8000-000000000000').set('Authorization', admin());
    expectProblem(res, 404, 'WEBHOOK_NOT_FOUND');
    expect(
      (
        await h.http
          .post('/admin/webhooks')
          .set('Authorization', `Bearer ${h.token(['support'])}`)
          .send({})
      ).status,
    ).toBe(403);
  });

  it('R34/R36/R37: signed deliveries, retried through failure and timeout, in order per holding, de-duplicable by webhook-id', async () => {
    const registered = await h.http
      .post('/admin/webhooks')
      .set('Authorization', admin())
      .send({ url, events: ['certification.earned', 'certification.window-opened', 'certification.revoked'] });
    expect(registered.status).toBe(201);
    const { id, secret } = registered.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    // The secret is stored sealed: neither the stored event nor a later read shows it.
    const stored = await h.store.readStream(`webhook-${id}`);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    const got = await h.http.get(`/admin/webhooks/${id}`).set('Authorization', admin());
    expect(got.body).toMatchObject({ id, url, status: 'active' });
    expect(JSON.stringify(got.body)).not.toContain(secret.slice(6));

    // Earned (recorded) an hour before its window opens: the retries below stay inside 24 h.
    h.clock.set(new Date('2026-06-30T23:00:00Z'));
    await seedProfile(h, 'wh-1', { earn: [{ code: 'azure-developer-associate', earnedAt: '2026-01-01T00:00:00Z' }] });
    mode = 'fail';
    expect((await run()).webhooksDelivered).toBe(0);
    let deliveries = await log(id);
    expect(deliveries).toMatchObject([
      { type: 'certification.earned', state: 'pending', attempts: 1, lastError: 'HTTP 503', nextAttemptAt: '2026-06-30T23:00:30.000Z' },
    ]);

    // The window opens while the first delivery still fails: it must wait behind it (order per holding).
    mode = 'hang';
    expect((await run('2026-07-01T00:00:00Z')).webhooksDelivered).toBe(0);
    deliveries = await log(id);
    expect(deliveries.map((d) => [d.type, d.state, d.attempts])).toEqual([
      ['certification.window-opened', 'pending', 0],
      ['certification.earned', 'pending', 2],
    ]);
    expect(deliveries[1]?.lastError).toMatch(/timed out/);

    mode = 'ok';
    expect((await run('2026-07-01T00:01:00Z')).webhooksDelivered).toBe(2);
    expect(received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      'certification.earned',
      'certification.window-opened',
    ]);
    const earnedEvent = (await h.store.readStream('holding-wh-1.azure-developer-associate'))[0];
    const first = received[0] as Received;
    expect(first.headers['webhook-id']).toBe(earnedEvent?.id);
    expect(verify(secret, first)).toBe(true);
    expect(verify(secret, { ...first, body: first.body.replace('wh-1', 'wh-2') })).toBe(false);
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'certification.earned',
      timestamp: '2026-06-30T23:00:00.000Z',
      data: { eventId: earnedEvent?.id, profileId: 'wh-1', certificationCode: 'azure-developer-associate' },
    });
    expect((await log(id)).every((d) => d.state === 'delivered')).toBe(true);

    // Redeliver: the same webhook-id again, so the receiver can drop it.
    const earnedDelivery = (await log(id)).find((d) => d.type === 'certification.earned') as Delivery;
    const again = await h.http.post(`/admin/webhooks/${id}/deliveries/${earnedDelivery.id}/redeliver`).set('Authorization', admin());
    expect(again.status).toBe(200);
    expect((await run()).webhooksDelivered).toBe(1);
    expect(received.at(-1)?.headers['webhook-id']).toBe(earnedEvent?.id);
    expectProblem(
      await h.http.post(`/admin/webhooks/${id}/deliveries/nope/redeliver`).set('Authorization', admin()),
      404,
      'WEBHOOK_NOT_FOUND',
    );

    const disabled = await h.http.post(`/admin/webhooks/${id}/disable`).set('Authorization', admin());
    expect(disabled.body).toMatchObject({ status: 'disabled', events: [{ type: 'WebhookEndpointDisabled', data: { reason: 'admin' } }] });
  });

  it('R51: a name is resolved and checked at send time, then connected to at that checked address (never resolved again)', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const settings = h.app.get<WebhookSettings>(WEBHOOK_SETTINGS);
    // The stand-in resolver answers loopback, which this app allows; the system's resolver would not know the name.
    settings.resolve = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    try {
      const registered = await h.http
        .post('/admin/webhooks')
        .set('Authorization', admin())
        .send({ url: `http://rebind.example.test:${port}/hooks`, events: ['certification.earned'] });
      expect(registered.status).toBe(201);
      const { id } = registered.body as { id: string };
      mode = 'ok';
      const before = received.length;
      await seedProfile(h, 'wh-named', { earn: [{ code: 'azure-developer-associate' }] });
      expect((await run()).webhooksDelivered).toBe(1);
      expect(received.slice(before).map((r) => r.headers.host)).toEqual([`rebind.example.test:${port}`]);
      await h.http.post(`/admin/webhooks/${id}/disable`).set('Authorization', admin()).expect(200);
    } finally {
      delete settings.resolve;
    }
  });

  it('R37/R38: retried for 24 h of domain time, then failed, and the endpoint disabled with an event', async () => {
    mode = 'fail';
    const registered = await h.http
      .post('/admin/webhooks')
      .set('Authorization', admin())
      .send({ url, events: ['certification.earned'] });
    const { id } = registered.body as { id: string };
    h.clock.set(new Date('2026-07-02T00:00:00Z'));
    await seedProfile(h, 'wh-2', { earn: [{ code: 'azure-developer-associate' }] });
    await run();
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const [delivery] = await log(id);
      const next = delivery?.nextAttemptAt as string;
      delays.push(Date.parse(next) - h.clock.now().getTime());
      await run(next);
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 960].map((s) => s * 1000));
    expect((await log(id))[0]).toMatchObject({ state: 'pending', attempts: 7 });
    await run('2026-07-03T00:00:00Z');
    expect((await log(id))[0]).toMatchObject({ state: 'failed', attempts: 8 });
    const endpoint = await h.http.get(`/admin/webhooks/${id}`).set('Authorization', admin());
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabledReason: 'repeated-failure' });
    const events = await h.store.readStream(`webhook-${id}`);
    expect(events.map((e) => e.type)).toEqual(['WebhookEndpointRegistered', 'WebhookEndpointDisabled']);
    expect(events[1]?.data).toMatchObject({ reason: 'repeated-failure', disabledBy: 'webhook-dispatcher' });
  });

  it('R97: a disabled endpoint is re-enabled through its decider: active again, failure cleared, and delivered to from then on', async () => {
    const { endpoints } = (await h.http.get('/admin/webhooks').set('Authorization', admin()).expect(200)).body as {
      endpoints: { id: string; status: string; disabledReason: string | null }[];
    };
    const failed = endpoints.find((e) => e.disabledReason === 'repeated-failure') as { id: string };
    expectProblem(
      await h.http.post('/admin/webhooks/00000000-0000-0000-0000-000000000000/enable').set('Authorization', admin()),
      404,
      'WEBHOOK_NOT_FOUND',
    );
    expectProblem(await h.http.post('/admin/webhooks/nope/enable').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    const enabled = await h.http.post(`/admin/webhooks/${failed.id}/enable`).set('Authorization', admin('ops-bob'));
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({
      status: 'active',
      failingSince: null,
      disabledReason: null,
      events: [{ type: 'WebhookEndpointReEnabled', data: { reEnabledBy: 'ops-bob' } }],
    });
    const again = await h.http.post(`/admin/webhooks/${failed.id}/enable`).set('Authorization', admin());
    expect(again.body).toMatchObject({ status: 'active', events: [] });
    mode = 'ok';
    await seedProfile(h, 'wh-3', { earn: [{ code: 'azure-developer-associate' }] });
    await run();
    expect((await log(failed.id)).find((d) => d.state === 'delivered')?.type).toBe('certification.earned');
    const after = await h.http.get(`/admin/webhooks/${failed.id}`).set('Authorization', admin());
    expect(after.body).toMatchObject({ status: 'active' });
  });
});

/**
 * R51 (#22.2): no webhook reaches a loopback, private, link-local or otherwise non-public address unless an operator
 * allows its network: refused at registration when the URL shows it, and at every send against what a name resolves
 * to. Names resolve through a stand-in (no test asks a real resolver); every receiver is on loopback.
 */
describe('webhook targets (R51)', () => {
  let h: Harness;
  let receiver: Server;
  let port: number;
  const received: IncomingMessage['headers'][] = [];
  const resolvedTo: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' }); // no WEBHOOK_ALLOWED_NETWORKS: the default
    const settings = h.app.get<WebhookSettings>(WEBHOOK_SETTINGS);
    settings.timeoutMs = 2_000;
    settings.resolve = (hostname) => {
      resolvedTo.push(hostname);
      return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    };
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }, 60_000);

  const admin = (): string => `Bearer ${h.token(['admin'], { sub: 'ops-admin' })}`;

  it('R51: every spelling of a non-public target is refused at registration with 400 WEBHOOK_TARGET_REFUSED, storing nothing', async () => {
    const own = h.app.getHttpServer() as Server;
    const ownPort = (own.address() as AddressInfo).port;
    for (const url of [
      'http://127.0.0.1:5432/',
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://127.1:${port}/`,
      `http://0:${port}/`,
      `http://localhost:${port}/`,
      `http://[::1]:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/hooks',
      'http://100.64.0.1/hooks',
      'http://[fd00::1]/hooks',
      'http://224.0.0.1/hooks',
      `http://127.0.0.1:${ownPort}/admin/clock`,
    ]) {
      await expectNothingStored(h, async () => {
        const res = await h.http
          .post('/admin/webhooks')
          .set('Authorization', admin())
          .send({ url, events: ['certification.earned'] });
        expectProblem(res, 400, 'WEBHOOK_TARGET_REFUSED');
        expect((res.body as { detail: string }).detail).toMatch(/^url: /);
      });
    }
    expect((await h.http.get('/admin/webhooks').set('Authorization', admin())).body).toEqual({ endpoints: [] });
  });

  it('R52: a repeated Idempotency-Key registers one endpoint and replays the first answer, secret included; no clear secret is stored', async () => {
    const send = (body: Record<string, unknown>) =>
      h.http.post('/admin/webhooks').set('Authorization', admin()).set('Idempotency-Key', 'register-hr-hook').send(body);
    const body = { url: 'https://hr.example.test/hooks', events: ['certification.renewed'] };
    const first = await send(body);
    expect(first.status).toBe(201);
    const { id, secret } = first.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const head = await h.store.headPosition();
    const again = await send(body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await h.store.headPosition()).toBe(head);
    const listed = (await h.http.get('/admin/webhooks').set('Authorization', admin())).body as { endpoints: { id: string; url: string }[] };
    expect(listed.endpoints.filter((endpoint) => endpoint.url === body.url).map((endpoint) => endpoint.id)).toEqual([id]);
    // The stored answer (shared state) holds the secret sealed only.
    const shared = new Database(join(h.dataDir, 'shared-state.db'), { readonly: true });
    try {
      const rows = shared.prepare<[], { body: string | null }>('SELECT body FROM idempotency').all();
      expect(rows.some((row) => row.body?.includes(id))).toBe(true);
      expect(rows.filter((row) => row.body?.includes(secret.slice('whsec_'.length)))).toEqual([]);
    } finally {
      shared.close();
    }
    // Another admin's same key is another request: a second endpoint, a secret of its own.
    const other = await h.http
      .post('/admin/webhooks')
      .set('Authorization', `Bearer ${h.token(['admin'], { sub: 'other-admin' })}`)
      .set('Idempotency-Key', 'register-hr-hook')
      .send(body);
    expect(other.status).toBe(201);
    expect((other.body as { id: string }).id).not.toBe(id);
    for (const endpointId of [id, (other.body as { id: string }).id])
      await h.http.post(`/admin/webhooks/${endpointId}/disable`).set('Authorization', admin()).expect(200);
  });

  it('R51: a name that resolves to loopback when sent to is refused then, with nothing sent and the reason in the log', async () => {
    const registered = await h.http
      .post('/admin/webhooks')
      .set('Authorization', admin())
      .send({ url: `http://hooks.example.test:${port}/hooks`, events: ['certification.earned'] });
    expect(registered.status).toBe(201);
    const { id } = registered.body as { id: string };
    await seedProfile(h, 'wh-target-1', { earn: [{ code: 'azure-developer-associate' }] });
    expect((await h.http.post('/admin/scheduler/run').set('Authorization', admin())).body).toMatchObject({ webhooksDelivered: 0 });
    const log = await h.http.get(`/admin/webhooks/${id}/deliveries`).set('Authorization', admin());
    expect((log.body as { deliveries: Delivery[] }).deliveries).toMatchObject([
      {
        state: 'pending',
        attempts: 1,
        lastError: expect.stringMatching(/^target refused: hooks\.example\.test resolves to 127\.0\.0\.1: loopback/) as unknown,
      },
    ]);
    expect(resolvedTo).toContain('hooks.example.test');
    expect(received).toEqual([]);
  });
});
