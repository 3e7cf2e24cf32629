import Database from 'better-sqlite3';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GracefulShutdown } from '@recert/kernel';
import { ProjectionRunner, READ_DB } from '@recert/projections';
import { NotificationDispatcher } from '@recert/jobs';
import { Harness, seedProfile, startApp } from '../support/harness';

type Report = { status: string; info?: Record<string, Record<string, unknown>>; error?: Record<string, Record<string, unknown>> };

/** Probes for orchestrators (#12) and the outbox in the full report (#16.11). */
describe('health probes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z', env: { READY_MAX_LAG_EVENTS: '0' } });
  }, 60_000);
  afterAll(() => h.close(), 60_000);

  const get = async (path: string) => {
    const response = await h.http.get(path);
    return { status: response.status, body: response.body as Report, retryAfter: response.headers['retry-after'] };
  };
  /** Polls a condition with a generous deadline: no assertion on how fast the read side moves. */
  const eventually = async (path: string, status: number) => {
    const deadline = Date.now() + 20_000;
    let last = await get(path);
    while (last.status !== status && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = await get(path);
    }
    return last;
  };

  it('#12: /health/live answers 200 with no token', async () => {
    const live = await get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
  });

  it('#12: /health/ready is 200 when the store answers, policies are loaded and read models are caught up', async () => {
    const ready = await eventually('/health/ready', 200);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { store: { status: 'up' }, policies: { status: 'up' }, projections: { status: 'up' }, shutdown: { status: 'up' } },
    });
  });

  it('#12: /health/ready is 503 naming the projections while a read model is more than READY_MAX_LAG_EVENTS behind', async () => {
    const runner = h.app.get(ProjectionRunner);
    await runner.stop();
    try {
      await seedProfile(h, 'lagging-1');
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.retryAfter).toBe('5');
      expect(ready.body.error?.['projections']).toMatchObject({ status: 'down', message: expect.stringContaining('behind or stopped') });
      // Liveness does not depend on the read side: restarting the process would not help.
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      runner.start();
    }
    expect((await eventually('/health/ready', 200)).status).toBe(200);
  });

  it('#12: /health/ready is 503 once a graceful stop has begun', async () => {
    const shutdown = h.app.get(GracefulShutdown);
    shutdown.draining = true;
    try {
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error?.['shutdown']).toMatchObject({ status: 'down', message: expect.stringContaining('shutting down') });
    } finally {
      shutdown.draining = false;
    }
  });

  describe('#16.11: notification delivery failing', () => {
    const notifications = () => join(h.dataDir, 'notifications');
    const outboxRows = () =>
      h.app
        .get<Database.Database>(READ_DB)
        .prepare<
          [],
          { id: string; deliveries: number; state: string; last_error: string | null }
        >('SELECT id, deliveries, state, last_error FROM rm_notifications')
        .all();

    afterAll(() => jest.useRealTimers());

    it('#16.11: /health answers 503 with the outbox down while every notification fails; readiness is unaffected', async () => {
      // A notifications "folder" that is a file: every delivery fails (as a read-only folder or a refusing server would).
      rmSync(notifications(), { recursive: true, force: true });
      writeFileSync(notifications(), 'not a folder');
      await seedProfile(h, 'outbox-1', { earn: [{ code: 'azure-developer-associate' }] });
      h.clock.set(new Date('2026-07-01T00:00:00Z'));
      const run = await h.http.post('/admin/scheduler/run').set('Authorization', `Bearer ${h.token(['scheduler'])}`);
      expect(run.body).toMatchObject({ windowsOpened: 1, notified: 0 });

      const health = await get('/health');
      expect(health.status).toBe(503);
      expect(health.body.error?.['outbox']).toMatchObject({
        status: 'down',
        pending: 1,
        failing: 1,
        lastError: expect.stringContaining('ENOTDIR'),
        message: '1 notification(s) failing delivery',
      });
      // The window opened on 2026-01-01 + 6 months; the manual clock says 2026-07-01: waiting since then.
      expect(health.body.error?.['outbox']?.['oldestPendingAgeSeconds']).toEqual(expect.any(Number));
      expect((await eventually('/health/ready', 200)).status).toBe(200);
    });

    it('#16.11: a failing notification is retried with growing spacing (30 s, 60 s, 120 s ...), not every interval', async () => {
      const dispatcher = h.app.get(NotificationDispatcher);
      const start = Date.now();
      // Only Date is faked: the app's timers, I/O and promises run as usual, while wall time is moved by hand.
      jest.useFakeTimers({
        now: start,
        doNotFake: [
          'nextTick',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
          'queueMicrotask',
          'hrtime',
          'performance',
        ],
      });
      // Leases run on the shared state's own clock (R56), which no fake moves: each step ends them as much sooner.
      const sharedState = new Database(join(h.dataDir, 'shared-state.db'));
      const storeClockPasses = (ms: number): void => void sharedState.prepare('UPDATE leases SET until_ms = until_ms - ?').run(ms);
      const attempts: number[] = [];
      let seen = outboxRows()[0]?.deliveries ?? 0;
      for (let at = start; attempts.length < 4 && at <= start + 600_000; at += 5000) {
        jest.setSystemTime(at);
        if (at > start) storeClockPasses(5000);
        await dispatcher.dispatchOnce();
        const deliveries = outboxRows()[0]?.deliveries ?? 0;
        if (deliveries > seen) attempts.push(at);
        seen = deliveries;
      }
      const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] as number));
      expect(gaps).toHaveLength(3);
      expect(gaps[0]).toBeGreaterThanOrEqual(30_000);
      expect(gaps[1]).toBeGreaterThanOrEqual(2 * (gaps[0] as number) - 5000);
      expect(gaps[2]).toBeGreaterThanOrEqual(2 * (gaps[1] as number) - 5000);

      // The cause fixed: the next attempt after the back-off delivers, and /health is ok again.
      rmSync(notifications(), { force: true });
      mkdirSync(notifications());
      jest.setSystemTime((attempts[3] as number) + 3_600_000);
      storeClockPasses(3_600_000);
      sharedState.close();
      expect(await dispatcher.dispatchOnce()).toBe(1);
      jest.useRealTimers();
      await h.app.get(ProjectionRunner).waitFor(await h.store.headPosition(), 20_000);
      const health = await get('/health');
      expect(health.status).toBe(200);
      expect(health.body.info?.['outbox']).toMatchObject({ status: 'up', pending: 0, failing: 0, lastError: null });
      expect(outboxRows()[0]).toMatchObject({ state: 'sent', last_error: null });
    }, 60_000);
  });
});
