import { Client } from 'pg';
import { APPEND_LOCK_KEY } from '@recert/eventstore';
import { expectProblem, Harness, startApp } from '../support/harness';
import { createDatabase, dropDatabase, postgresUnavailableReason, uniqueName } from '../support/postgres';
import { eventually } from '../support/wait';

/**
 * #24.1 over HTTP: an operator's session holds the append lock on the PostgreSQL store. Commands answer 503
 * SERVICE_UNAVAILABLE once PG_LOCK_TIMEOUT_MS passes (not a hang), readiness goes 503 (it probes the write path,
 * not `SELECT 1`), and once the session lets go both recover without a restart.
 */
const unavailable = postgresUnavailableReason();
if (unavailable) process.stdout.write(`PostgreSQL deadlines e2e SKIPPED: ${unavailable}\n`);

(unavailable ? describe.skip : describe)('api on PostgreSQL with the append lock held elsewhere (#24.1)', () => {
  const database = uniqueName('recert_deadline');
  let url: string;
  let h: Harness;
  let holder: Client;

  beforeAll(async () => {
    url = await createDatabase(database);
    h = await startApp({ env: { EVENTSTORE_CONNECTION_STRING: url, PG_LOCK_TIMEOUT_MS: '300' } });
    holder = new Client({ connectionString: url });
    await holder.connect();
  }, 60_000);

  afterAll(async () => {
    await holder?.query('ROLLBACK').catch(() => undefined);
    await holder?.end();
    await h?.close();
    await dropDatabase(database);
  }, 60_000);

  const create = (profileId: string) =>
    h.http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({ profileId, accountId: `acc-${profileId}`, accountType: 'personal', displayName: 'Ada Lovelace', email: 'ada@example.com' });

  it('R55: a held append lock turns commands and readiness into 503 SERVICE_UNAVAILABLE; released, both recover', async () => {
    expect((await create('dl-1')).status).toBe(201);
    await eventually('ready before the lock is taken', async () => ((await h.http.get('/health/ready')).status === 200 ? true : undefined));

    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [APPEND_LOCK_KEY, 'eventstore']);
    expectProblem(await create('dl-2'), 503, 'SERVICE_UNAVAILABLE');
    const ready = await h.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect((ready.body as { error?: Record<string, unknown> }).error).toHaveProperty('store');
    // Reads do not need the lock: they still answer.
    expect((await h.http.get('/health/live')).status).toBe(200);

    await holder.query('ROLLBACK');
    expect((await create('dl-2')).status).toBe(201);
    await eventually('ready again once the lock is released', async () =>
      (await h.http.get('/health/ready')).status === 200 ? true : undefined,
    );
  }, 60_000);
});
