import { PostgresEventStore } from '@recert/eventstore';
import { Harness, startApp } from '../support/harness';
import { createDatabase, dropDatabase, postgresUnavailableReason, uniqueName } from '../support/postgres';

/**
 * The api on the PostgreSQL event store (#11.1): EVENTSTORE_CONNECTION_STRING=postgres://… on a fresh database the
 * service migrates at start. Read models stay in DATA_DIR/read.db; their checkpoints are this store's positions.
 */
const unavailable = postgresUnavailableReason();
if (unavailable) process.stdout.write(`PostgreSQL api smoke SKIPPED: ${unavailable}\n`);

(unavailable ? describe.skip : describe)('api on the PostgreSQL event store', () => {
  const database = uniqueName('recert_e2e');
  let url: string;
  let h: Harness;

  beforeAll(async () => {
    url = await createDatabase(database);
    h = await startApp({ env: { EVENTSTORE_CONNECTION_STRING: url } });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await dropDatabase(database);
  }, 60_000);

  it('creates a profile, records a certification and answers the dashboard consistent with the write (#11.1)', async () => {
    expect(h.store.kind).toBe('postgres');
    const exam = `Bearer ${h.token(['exam-system'])}`;
    const created = await h.http
      .post('/certification-profiles')
      .set('Authorization', exam)
      .send({ profileId: 'pg-1', accountId: 'acc-pg1', accountType: 'personal', displayName: 'Ada Lovelace', email: 'ada@example.com' });
    expect(created.status).toBe(201);
    const earned = await h.http
      .post('/certification-profiles/pg-1/certifications')
      .set('Authorization', exam)
      .send({ certificationCode: 'azure-administrator-associate' });
    expect(earned.status).toBe(201);
    const position = (earned.body as { position: number }).position;

    const dashboard = await h.http
      .get(`/certification-profiles/pg-1/dashboard?consistentWith=${position}`)
      .set('Authorization', `Bearer ${h.token(['candidate'], { profileId: 'pg-1' })}`);
    expect(dashboard.status).toBe(200);
    const body = dashboard.body as { profile: { displayName: string }; certifications: { code: string; status: string }[] };
    expect(body.profile.displayName).toBe('Ada Lovelace');
    expect(body.certifications).toEqual([expect.objectContaining({ code: 'azure-administrator-associate', status: 'active' })]);

    // The events are in PostgreSQL, where another process would read them.
    const reader = new PostgresEventStore({ connectionString: url });
    try {
      const log = await reader.readAll({ after: 0 });
      expect(log.length).toBeGreaterThanOrEqual(2);
      expect(log[log.length - 1]?.position).toBe(position);
    } finally {
      await reader.close();
    }
  }, 60_000);
});
