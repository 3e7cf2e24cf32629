import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { expectProblem, Harness, seedProfile, startApp } from '../support/harness';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';

/** Reads one sample from Prometheus text: the value of `name{labels}` (labels in any order), 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

/** GET /metrics (#12): Prometheus text for admins or the metrics token, and the named series move when commands run. */
describe('metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ env: { METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: '5' } });
  }, 60_000);
  afterAll(() => h.close(), 60_000);

  const scrape = async (): Promise<string> => {
    const response = await h.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return response.text;
  };

  it('#12: /metrics is 401 without a token or with a wrong one, 403 for a non-admin, 200 for an admin or the metrics token', async () => {
    expect((await h.http.get('/metrics')).status).toBe(401);
    expect((await h.http.get('/metrics').set('Authorization', 'Bearer metrics-scraper-token-0123456780')).status).toBe(401);
    expect((await h.http.get('/metrics').set('Authorization', `Bearer ${h.token(['support'])}`)).status).toBe(403);
    const admin = await h.http.get('/metrics').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect(admin.status).toBe(200);
    expect(admin.text).toContain('# TYPE http_request_duration_seconds histogram');
    await scrape();
  });

  it('#12: a command moves the command, append, HTTP latency and projection series; process defaults are there', async () => {
    const before = await scrape();
    await seedProfile(h, 'metrics-1', { earn: [{ code: 'azure-developer-associate' }] });
    const refused = await h.http
      .post('/certification-profiles/metrics-1/certifications')
      .set('Authorization', `Bearer ${h.token(['exam-system'], { sub: 'exam-2' })}`)
      .send({ certificationCode: 'no-such-certification' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const head = await h.store.headPosition();
    // Projections catch up on their own time: poll the scrape, with a generous deadline.
    let after = await scrape();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; after = await scrape()) {
      if (sample(after, 'recert_projection_position', { projection: 'outbox' }) >= head) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);

    expect(moved('recert_commands_total', { command: 'CreateProfileCommand', outcome: 'ok' })).toBe(1);
    expect(moved('recert_commands_total', { command: 'EarnCertificationCommand', outcome: 'ok' })).toBe(1);
    expect(moved('recert_appends_total', { outcome: 'appended' })).toBeGreaterThanOrEqual(2);
    expect(moved('recert_events_appended_total')).toBeGreaterThanOrEqual(2);
    expect(after).toContain('recert_append_conflicts_total 0');
    expect(moved('http_request_duration_seconds_count', { method: 'POST', route: '/certification-profiles', status: '201' })).toBe(1);
    expect(
      moved('http_request_duration_seconds_count', {
        method: 'POST',
        route: '/certification-profiles/:profileId/certifications',
        status: '201',
      }),
    ).toBe(1);
    // The route pattern, never the raw path: no id reaches a label.
    expect(after).not.toMatch(/route="[^"]*metrics-1/);
    expect(sample(after, 'recert_projection_position', { projection: 'outbox' })).toBeGreaterThanOrEqual(head);
    expect(after).toMatch(/^recert_projection_lag_events\{projection="outbox"\} 0$/m);
    expect(after).toMatch(/^recert_outbox_pending \d+$/m);
    expect(after).toMatch(/^recert_outbox_oldest_pending_age_seconds \d+/m);
    expect(after).toMatch(/^recert_scheduler_runs_total/m);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('#12: a scheduler run is counted', async () => {
    const before = sample(await scrape(), 'recert_scheduler_runs_total', { outcome: 'ok' });
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    expect(sample(await scrape(), 'recert_scheduler_runs_total', { outcome: 'ok' })).toBe(before + 1);
  });

  it('#12: an append conflict and a pending notification move their series; the oldest pending age grows with the clock', async () => {
    const before = await scrape();
    // A stale expected revision on a stream that exists: the store refuses it as a conflict (commands retry these).
    await expect(
      h.store.append(
        'profile-metrics-1',
        [
          {
            id: randomUUID(),
            type: 'MetricsProbe',
            data: {},
            metadata: { correlationId: 'c', causationId: 'c', actor: 'test', occurredAt: '2026-01-01T00:00:00Z' },
          },
        ],
        { expectedRevision: 'no_stream' },
      ),
    ).rejects.toThrow();
    let after = await scrape();
    expect(sample(after, 'recert_append_conflicts_total') - sample(before, 'recert_append_conflicts_total')).toBe(1);
    expect(
      sample(after, 'recert_appends_total', { outcome: 'conflict' }) - sample(before, 'recert_appends_total', { outcome: 'conflict' }),
    ).toBe(1);

    // metrics-1's holding (earned 2026-01-01) is in its window by July: the scheduler records a notification, whose
    // delivery fails (the notifications "folder" is a file), so it stays pending.
    expect(sample(before, 'recert_outbox_pending')).toBe(0);
    rmSync(join(h.dataDir, 'notifications'), { recursive: true, force: true });
    writeFileSync(join(h.dataDir, 'notifications'), 'not a folder');
    h.clock.set(new Date('2026-07-01T00:00:00Z'));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; after = await scrape()) {
      if (sample(after, 'recert_outbox_pending') >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sample(after, 'recert_outbox_pending')).toBeGreaterThanOrEqual(1);
    const age = sample(after, 'recert_outbox_oldest_pending_age_seconds');
    h.clock.set(new Date('2026-07-01T01:00:00Z'));
    expect(sample(await scrape(), 'recert_outbox_oldest_pending_age_seconds') - age).toBeGreaterThanOrEqual(3600);
  });

  it('#12/#16.10: probes and scrapes are never rate-limited (RATE_LIMIT_PER_MINUTE=5 here)', async () => {
    for (let i = 0; i < 8; i += 1) {
      expect((await h.http.get('/health/live')).status).toBe(200);
      expect((await h.http.get('/health/ready')).status).not.toBe(429);
    }
    await scrape();
  });
});

/** R53 (#22.7): failed /metrics authentications are logged (never the token) and limited per address. */
describe('metrics authentication failures (R53)', () => {
  let h: Harness;
  const warnings: string[] = [];
  const text = (message: unknown): string => (typeof message === 'string' ? message : JSON.stringify(message));
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (message: unknown) => void warnings.push(text(message)),
  };
  beforeAll(async () => {
    h = await startApp({
      clockStart: '2026-03-01T00:00:10Z',
      env: { METRICS_TOKEN, METRICS_AUTH_FAILURES_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '1000' },
      logger,
    });
  }, 60_000);
  afterAll(() => h.close(), 60_000);

  const scrapeWith = (token?: string) => {
    const request = h.http.get('/metrics');
    return token === undefined ? request : request.set('Authorization', `Bearer ${token}`);
  };

  it('R53: each failure is logged without the token; past the limit the address gets 429, the right token too, until the window ends', async () => {
    const guesses = ['guess-metrics-token-000000000001', undefined];
    for (const guess of guesses) expect((await scrapeWith(guess)).status).toBe(401);
    expect((await scrapeWith(h.token(['support']))).status).toBe(403);
    expect(warnings.filter((line) => line.startsWith('GET /metrics refused'))).toHaveLength(3);
    // The fourth failure is over the limit of 3: 429 with Retry-After, and the right token is refused with it.
    const limited = await scrapeWith('guess-metrics-token-000000000003');
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(50);
    expectProblem(await scrapeWith(METRICS_TOKEN), 429, 'RATE_LIMITED');
    expect(warnings.filter((line) => line.startsWith('GET /metrics refused'))).toHaveLength(4);
    expect(warnings.some((line) => /locked out until 2026-03-01T00:01:00\.000Z after 4 failures/.test(line))).toBe(true);
    for (const line of warnings) {
      expect(line).not.toContain('guess-metrics-token');
      expect(line).not.toContain(METRICS_TOKEN);
    }
    // The next window: the right token is served again; the general rate limit never counted these.
    h.clock.set(new Date('2026-03-01T00:01:00Z'));
    expect((await scrapeWith(METRICS_TOKEN)).status).toBe(200);
    expect((await scrapeWith('guess-metrics-token-000000000004')).status).toBe(401);
  });
});
