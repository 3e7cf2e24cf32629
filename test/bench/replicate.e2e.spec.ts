import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { Harness, startApp } from '../support/harness';
import { LogRow, Replicator, replicatedLog, seedTemplate } from './replicate';
import { benchVerificationId } from './seed';

const NOW = new Date('2026-06-01T00:00:00Z');

describe('bench:scale seeding by replication (R150)', () => {
  let templateDir: string;
  let logDir: string;
  let template: { profiles: number; events: number };
  let rows: LogRow[];
  let h: Harness | undefined;
  const copies = 3;

  beforeAll(async () => {
    templateDir = mkdtempSync(join(tmpdir(), 'recert-replicate-template-'));
    logDir = mkdtempSync(join(tmpdir(), 'recert-replicate-log-'));
    template = await seedTemplate(templateDir, 300, NOW);
    rows = [...replicatedLog(join(templateDir, 'events.db'), template.profiles, copies)];
    // The replicated rows written as they are into a new embedded store: the app then reads them as its log.
    await new SqliteEventStore({ file: join(logDir, 'events.db') }).close();
    const db = new Database(join(logDir, 'events.db'));
    const insert = db.prepare<LogRow>(
      'INSERT INTO events (position, stream, revision, id, type, data, metadata, recorded_at) VALUES (@position, @stream, @revision, @id, @type, @data, @metadata, @recorded_at)',
    );
    db.transaction(() => rows.forEach((row) => insert.run(row)))();
    db.close();
    h = await startApp({ dataDir: logDir, clockStart: NOW.toISOString() });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    for (const dir of [templateDir, logDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('R150: copies × the template events, positions 1..n in occurrence order, each stream revisions 0..n in order', () => {
    expect(rows).toHaveLength(copies * template.events);
    expect(rows.map((r) => r.position)).toEqual(rows.map((_, i) => i + 1));
    const occurred = rows.map((r) => (JSON.parse(r.metadata) as { occurredAt: string }).occurredAt);
    expect(occurred).toEqual([...occurred].sort());
    const revisions = new Map<string, number>();
    for (const row of rows) {
      expect(row.revision).toBe((revisions.get(row.stream) ?? -1) + 1);
      revisions.set(row.stream, row.revision);
    }
  });

  it('R150: no event, correlation, notification, verification or attempt id is shared between copies', () => {
    const ids = (key: string): string[] =>
      rows.flatMap((r) => {
        const value = (JSON.parse(r.data) as Record<string, unknown>)[key] ?? (JSON.parse(r.metadata) as Record<string, unknown>)[key];
        return typeof value === 'string' ? [value] : [];
      });
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const key of ['correlationId', 'notificationId', 'verificationId', 'attemptId']) {
      const values = ids(key);
      expect(values.length).toBeGreaterThan(0);
      expect(new Set(values).size).toBe(values.length);
    }
    // Profile 1's copy 2 names profile 2 × template + 1 everywhere (stream, data), and nothing of profile 1.
    const j = new Replicator(template.profiles).profileIndex(1, 2);
    const copy = rows.filter((r) => r.stream.startsWith(`profile-bench-${j}`) || r.stream.startsWith(`holding-bench-${j}.`));
    expect(copy.length).toBeGreaterThan(0);
    for (const row of copy) expect(row.data).not.toMatch(/"(bench|acc|learn)-1[".@]/);
    expect(rows.some((r) => r.data.includes(`"verificationId":"${benchVerificationId(j)}"`))).toBe(true);
  });

  it('R150: the app rebuilds the replicated log into copies × the template holders, each copy served', async () => {
    const app = h as Harness;
    const holdings = new Set(rows.filter((r) => r.stream.startsWith('holding-')).map((r) => r.stream)).size;
    const templateHoldings = new Set(rows.filter((r) => r.position % copies === 1 && r.stream.startsWith('holding-')).map((r) => r.stream))
      .size;
    expect(holdings).toBe(copies * templateHoldings);
    const summary = await app.http.get('/reports/summary').set('Authorization', `Bearer ${app.token(['admin'])}`);
    expect(summary.status).toBe(200);
    expect((summary.body as { total: number }).total).toBe(holdings);
    const last = copies * template.profiles - 1;
    const dashboard = await app.http
      .get(`/certification-profiles/bench-${last}/dashboard`)
      .set('Authorization', `Bearer ${app.token(['support'])}`);
    expect(dashboard.status).toBe(200);
    const verify = await app.http.get(`/verify/${benchVerificationId(last)}`).set('Accept', 'application/json');
    expect(verify.status).toBe(200);
  });
});
