import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { RecertProcess, startRecertProcess, waitFor } from '../support/processes';
import { REMINDER_POLICY_FILE } from '../support/reminder-policies';
import { signDevelopmentToken } from '@recert/kernel';

const SECRET = 'topology-secret-topology-secret-topology';
const RATE_LIMIT = 150;

interface Answer {
  status: number;
  /** The fields of the JSON answers this test reads. */
  body: {
    position?: number;
    profile?: { displayName: string | null };
    windowsOpened?: number;
    renewed?: boolean;
    certifications?: { code: string }[];
  };
  text: string;
  headers: Headers;
}

/** A tiny round-robin HTTP proxy: each request goes to the next target in turn. */
function roundRobinProxy(targets: () => number[]): Promise<{ url: string; close: () => Promise<void> }> {
  let turn = 0;
  const server = http.createServer((request, response) => {
    const ports = targets();
    const port = ports[turn++ % ports.length];
    const upstream = http.request(
      { host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

let subjects = 0;
/** A fresh subject per call: the flow's own requests never meet the rate limit the last test proves. */
function bearer(roles: string[], sub = `${roles.join('+')}-${++subjects}`): string {
  return `Bearer ${signDevelopmentToken({ sub, roles }, SECRET)}`;
}

async function call(
  base: string,
  method: string,
  path: string,
  auth: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Answer['body'] = {};
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    parsed = {};
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

interface ExportedEvent {
  id: string;
  type: string;
  position: number;
  data: Record<string, unknown>;
}

/** The events of an audit export (NDJSON: a header, one line per event, a trailer). */
function exportedEvents(text: string): ExportedEvent[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; event?: ExportedEvent })
    .flatMap((line) => (line.kind === 'event' && line.event ? [line.event] : []));
}

/** A loopback webhook receiver: counts the receipts of each webhook-id (R43 wants every count to be 1). */
function webhookReceiver(): Promise<{ url: string; receipts: Map<string, number>; close: () => Promise<void> }> {
  const receipts = new Map<string, number>();
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      receipts.set(id, (receipts.get(id) ?? 0) + 1);
      response.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
        receipts,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

function emlFiles(dataDir: string, kind = 'notifications'): { file: string; text: string }[] {
  const dir = join(dataDir, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => ({ file: join(dir, name), text: readFileSync(join(dir, name), 'utf8') }));
}

/**
 * #11.3: two api processes and two workers, each with its own DATA_DIR, on the PostgreSQL event store and the
 * PostgreSQL shared state, behind a round-robin proxy. The flow alternates the apis; every claim of the issue is
 * checked on the other instance than the one that wrote. Api A and both workers dispatch notifications and webhooks;
 * both workers run the scheduler (reminders) when told, at once.
 */
describeWithPostgres('Topology test', () => {
  let database: { url: string; drop: () => Promise<void> };
  const dirs: Record<'a' | 'b' | 'w' | 'v', string> = { a: '', b: '', w: '', v: '' };
  let a: RecertProcess;
  let b: RecertProcess;
  let w: RecertProcess;
  let v: RecertProcess;
  let proxy: { url: string; close: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  let endpointId = '';
  let registeredAt = 0;
  const processes = (): RecertProcess[] => [a, b, w, v].filter(Boolean);
  const tag = randomBytes(3).toString('hex');
  const name = `Ottoline Brandywine ${tag}`;
  const email = `ottoline.${tag}@example.org`;
  const p1 = `topo-1-${tag}`;
  const p2 = `topo-2-${tag}`;
  const otherName = `Duplicate Holder ${tag}`;
  const otherEmail = `duplicate.${tag}@example.org`;

  beforeAll(async () => {
    database = await createTestDatabase('recert_topology');
    for (const key of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[key] = mkdtempSync(join(tmpdir(), `recert-topology-${key}-`));
    const common = {
      EVENTSTORE_CONNECTION_STRING: database.url,
      AUTH_JWT_SECRET: SECRET,
      CLOCK: 'manual',
      CLOCK_START: '2026-01-01T00:00:00Z',
      SCHEDULER_INTERVAL_MS: '0',
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      // The webhook receiver is on loopback, which only an allowed network may reach (R51).
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      // The policies with reminders (window-opens, P90D, P30D, P7D), so the workers have reminders to race for.
      POLICY_FILE: REMINDER_POLICY_FILE,
    };
    // Api A also runs the in-process dispatcher: with both workers, three dispatchers race for every notification.
    [a, b, w, v] = await Promise.all([
      startRecertProcess('api A', 'api', { ...common, DATA_DIR: dirs.a, DISPATCH_INTERVAL_MS: '300' }, 240_000),
      startRecertProcess('api B', 'api', { ...common, DATA_DIR: dirs.b, DISPATCH_INTERVAL_MS: '0' }, 240_000),
      startRecertProcess('worker', 'worker', { ...common, DATA_DIR: dirs.w, DISPATCH_INTERVAL_MS: '300' }, 240_000),
      startRecertProcess('worker 2', 'worker', { ...common, DATA_DIR: dirs.v, DISPATCH_INTERVAL_MS: '300' }, 240_000),
    ]);
    proxy = await roundRobinProxy(() => [a.port, b.port]);
    // One endpoint for every webhook type, registered on api B before anything happens: every mapped event is due to it.
    receiver = await webhookReceiver();
    const registered = await call(b.url, 'POST', '/admin/webhooks', bearer(['admin']), {
      url: receiver.url,
      events: ['certification.earned', 'certification.renewed', 'certification.expired', 'certification.window-opened'],
    });
    expect(registered.status).toBe(201);
    endpointId = (registered.body as { id?: string }).id ?? '';
    registeredAt = registered.body.position ?? 0;
  }, 300_000);

  afterAll(async () => {
    await proxy?.close();
    await receiver?.close();
    await Promise.all(processes().map((p) => p.stop()));
    await database?.drop();
    for (const dir of Object.values(dirs)) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const moveClocks = async (now: string): Promise<void> => {
    for (const p of processes()) expect((await call(p.url, 'POST', '/admin/clock', bearer(['admin']), { now })).status).toBe(200);
  };
  const dashboard = (base: string, profileId: string, position?: number): Promise<Answer> =>
    call(
      base,
      'GET',
      `/certification-profiles/${profileId}/dashboard${position ? `?consistentWith=${position}` : ''}`,
      bearer(['support']),
    );
  const allEml = (): { file: string; text: string }[] => [
    ...emlFiles(dirs.a),
    ...emlFiles(dirs.b),
    ...emlFiles(dirs.w),
    ...emlFiles(dirs.v),
  ];

  it('#11.3: a profile created on api A reads (name) on api B, consistentWith from A answering on B; earnings alternate through the proxy', async () => {
    const created = await call(a.url, 'POST', '/certification-profiles', bearer(['exam-system']), {
      profileId: p1,
      accountId: `acc-${tag}`,
      accountType: 'personal',
      displayName: name,
      email,
    });
    expect(created.status).toBe(201);
    const onB = await dashboard(b.url, p1, created.body.position);
    expect(onB.status).toBe(200);
    expect(onB.body.profile?.displayName).toBe(name);
    const other = await call(proxy.url, 'POST', '/certification-profiles', bearer(['exam-system']), {
      profileId: p2,
      accountId: `acc-${tag}`,
      accountType: 'personal',
      displayName: otherName,
      email: otherEmail,
    });
    expect(other.status).toBe(201);
    for (const [profileId, code] of [
      [p1, 'azure-developer-associate'],
      [p2, 'azure-administrator-associate'],
    ] as const) {
      expect(
        (
          await call(proxy.url, 'POST', `/certification-profiles/${profileId}/certifications`, bearer(['exam-system']), {
            certificationCode: code,
          })
        ).status,
      ).toBe(201);
    }
  }, 120_000);

  it("#11.3: an idempotent retry on api B returns api A's answer and stores nothing", async () => {
    const key = `topology-${tag}`;
    const exam = bearer(['exam-system'], `exam-idempotent-${tag}`);
    const first = await call(
      a.url,
      'POST',
      `/certification-profiles/${p2}/certifications`,
      exam,
      { certificationCode: 'azure-fundamentals' },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(201);
    const events = async (): Promise<number> =>
      (await call(b.url, 'GET', '/audit/export', bearer(['admin']))).text.trim().split('\n').length;
    const before = await events();
    const retry = await call(
      b.url,
      'POST',
      `/certification-profiles/${p2}/certifications`,
      exam,
      { certificationCode: 'azure-fundamentals' },
      { 'Idempotency-Key': key },
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await events()).toBe(before);
  }, 60_000);

  it('#11.3: every due window is notified exactly once with three dispatchers running (both workers and the in-process one of api A); the notification names the holder', async () => {
    await moveClocks('2026-07-01T00:00:00Z');
    const run = await call(w.url, 'POST', '/admin/scheduler/run', bearer(['scheduler']));
    expect(run.status).toBe(200);
    expect(run.body.windowsOpened).toBe(2);
    // Both windows notified in the log (read on api B), then the dispatchers get a few more turns to misbehave.
    await waitFor(
      'both windows notified',
      async () => {
        const exported = await call(b.url, 'GET', '/audit/export', bearer(['admin']));
        return (exported.text.match(/"RenewalEligibilityNotified"/g) ?? []).length >= 2;
      },
      90_000,
      500,
    );
    for (let i = 0; i < 3; i += 1) await call(w.url, 'POST', '/admin/scheduler/run', bearer(['scheduler']));
    const exported = await call(b.url, 'GET', '/audit/export', bearer(['admin']));
    expect((exported.text.match(/"RenewalEligibilityNotified"/g) ?? []).length).toBe(2);
    const files = allEml();
    expect(files).toHaveLength(2);
    const mine = files.filter((f) => f.text.includes(p1) || f.text.includes(name));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.text).toContain(name);
    expect(mine[0]?.text).toContain(email);
  }, 180_000);

  it('R43/R44: with two workers (and the in-process dispatcher of api A) running, each due reminder is sent and recorded exactly once and each webhook event reaches the receiver exactly once; every process reads one delivery log', async () => {
    // Ten more holders, earned on 1 Jan 2026 (an import): at 3 Oct their P90D reminder is due (the window-opens one is
    // superseded, R33), so the two workers, walking the holdings in the same order at once, meet on each of them.
    const extra = Array.from({ length: 10 }, (_, i) => `topo-r${i}-${tag}`);
    for (const profileId of extra) {
      const created = await call(proxy.url, 'POST', '/certification-profiles', bearer(['exam-system']), {
        profileId,
        accountId: `acc-${profileId}`,
        accountType: 'personal',
        displayName: `Reminded ${profileId}`,
        email: `${profileId}@example.org`,
      });
      expect(created.status).toBe(201);
      const earned = await call(proxy.url, 'POST', `/certification-profiles/${profileId}/certifications`, bearer(['exam-system']), {
        certificationCode: 'azure-developer-associate',
        earnedAt: '2026-01-01T00:00:00Z',
      });
      expect(earned.status).toBe(201);
    }
    // P90D before the expiry (2027-01-01) of every associate holding: twelve more reminders are due.
    await moveClocks('2026-10-03T00:00:00Z');
    for (let round = 0; round < 3; round += 1) {
      const runs = await Promise.all([w, v].map((p) => call(p.url, 'POST', '/admin/scheduler/run', bearer(['scheduler']))));
      expect(runs.map((run) => run.status)).toEqual([200, 200]);
    }
    const events = exportedEvents((await call(b.url, 'GET', '/audit/export', bearer(['admin']))).text);
    const sent = events.filter((e) => e.type === 'RenewalReminderSent').map((e) => String(e.data['reminderId']));
    // Window-opens (sent in the notification step) and P90D for the first two holdings, P90D for the ten others:
    // fourteen reminders, each recorded once.
    expect(sent).toHaveLength(14);
    expect(new Set(sent).size).toBe(14);
    // And sent once: one message per reminder id across both workers' DATA_DIRs (the sender keys files by reminder id).
    const mails = [...emlFiles(dirs.w, 'reminders'), ...emlFiles(dirs.v, 'reminders')].map((f) => f.file.split('/').pop());
    expect(mails.sort()).toEqual(sent.map((id) => `${id}.eml`).sort());

    const mapped = ['CertificationEarned', 'CertificationRenewed', 'CertificationExpired', 'RenewalWindowOpened'];
    const hooked = events.filter((e) => mapped.includes(e.type) && e.position > registeredAt).map((e) => e.id);
    expect(hooked.length).toBeGreaterThanOrEqual(5);
    await waitFor('every webhook event received', () => Promise.resolve(hooked.every((id) => receiver.receipts.has(id))), 90_000, 300);
    // A few more turns for every deliverer to misbehave: scheduler runs deliver webhooks too.
    for (let round = 0; round < 3; round += 1) {
      await Promise.all([w, v].map((p) => call(p.url, 'POST', '/admin/scheduler/run', bearer(['scheduler']))));
    }
    // Every webhook-id received, each once: a count of 2 is a delivery two processes both sent.
    expect(Object.fromEntries(receiver.receipts)).toEqual(Object.fromEntries(hooked.map((id) => [id, 1])));
    // One delivery log, whichever process answers: api A (which registered nothing) and worker 2 read the same.
    const logs = await Promise.all(
      [a, v].map(async (p) => (await call(p.url, 'GET', `/admin/webhooks/${endpointId}/deliveries`, bearer(['admin']))).text),
    );
    const states = logs.map(
      (text) => (JSON.parse(text) as { deliveries: { webhookId: string; state: string; attempts: number }[] }).deliveries,
    );
    expect(states[0]).toEqual(states[1]);
    expect(states[0]?.map((d) => d.webhookId).sort()).toEqual([...hooked].sort());
    expect(states[0]?.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
  }, 240_000);

  it('#11.3: merge the duplicate (same account, R12) into the first, then link, attempt and renew, through the proxy', async () => {
    const merge = await call(proxy.url, 'POST', `/certification-profiles/${p1}/merges`, bearer(['support']), { sourceProfileId: p2 });
    expect(merge.status).toBe(200);
    const merged = await dashboard(a.url, p1, merge.body.position);
    expect((merged.body.certifications ?? []).map((c) => c.code)).toEqual(
      expect.arrayContaining(['azure-developer-associate', 'azure-administrator-associate']),
    );
    const link = await call(proxy.url, 'POST', `/certification-profiles/${p1}/learn-profile-link`, bearer(['support']), {
      learnProfileId: `learn-${tag}`,
      accountId: `acc-${tag}`,
      accountType: 'personal',
      // Support links on the holder's behalf only with a reason (#16.2).
      reason: 'topology test: holder verified',
    });
    expect(link.status).toBe(200);
    const attempt = await call(
      proxy.url,
      'POST',
      `/certification-profiles/${p1}/certifications/azure-developer-associate/renewal-attempts`,
      bearer(['assessment-system']),
      { passed: true, language: 'en' },
    );
    expect(attempt.status).toBe(201);
    expect(attempt.body.renewed).toBe(true);
  }, 120_000);

  it("#11.3: erasure on api A makes the name unreadable on api B, in the worker's notifications and in the audit export", async () => {
    const erased = await call(a.url, 'POST', `/certification-profiles/${p1}/personal-data-erasure`, bearer(['support']), {
      reason: 'topology #11.3',
    });
    expect(erased.status).toBe(200);
    const onB = await dashboard(b.url, p1, erased.body.position);
    expect(onB.body.profile?.displayName).toBeNull();
    await waitFor(
      'the notification files of the erased holder to go',
      async () => {
        await call(w.url, 'POST', '/admin/scheduler/run', bearer(['scheduler']));
        return allEml().every((f) => !f.text.includes(name) && !f.text.includes(email));
      },
      90_000,
      500,
    );
    const exported = await call(b.url, 'GET', '/audit/export', bearer(['admin']));
    expect(exported.status).toBe(200);
    expect(exported.text).toContain('PersonalDataErased');
    expect(exported.text).not.toContain(name);
    expect(exported.text).not.toContain(email);
    // The key is gone from the one place keys live: the export's ciphertext can never be opened again.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const row = await client.query<{ key: Buffer | null }>(
        'SELECT key FROM recert_shared_state.recert_personal_data_keys WHERE subject = $1',
        [p1],
      );
      expect(row.rows).toEqual([{ key: null }]);
    } finally {
      await client.end();
    }
  }, 180_000);

  it('#11.3/#16.10: the rate limit holds across both apis: one caller gets RATE_LIMITED past the limit, whichever api answers', async () => {
    const caller = bearer(['admin'], `rate-probe-${tag}`);
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 4; i += 1) statuses.push((await call(proxy.url, 'GET', '/reports/summary', caller)).status);
    expect(statuses.slice(0, RATE_LIMIT).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(RATE_LIMIT)).toEqual([429, 429, 429, 429]);
  }, 180_000);
});
