import { Pool } from 'pg';
import { describeWithPostgres, PG_TEST_URL } from '../../../test/support/postgres';
import { survivePoolErrors } from './postgres-session';

describeWithPostgres('a pool whose checked-out connection the server ends (R147)', () => {
  let pool: Pool;
  let admin: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: PG_TEST_URL, max: 2, application_name: 'recert-r147' });
    survivePoolErrors(pool);
    admin = new Pool({ connectionString: PG_TEST_URL, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await admin.end();
  }, 30_000);

  it('R147 the server ends a connection idle in a transaction: the work on it fails, the process lives, the pool goes on with a new connection', async () => {
    const client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    // What idle_in_transaction_session_timeout does to a starved projector: the server ends the session between statements.
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    for (;;) {
      const alive = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (alive.rowCount === 0) break;
    }
    // Let the client read the server's goodbye while no query of its own is active: unguarded, that is an uncaught
    // `error` event and the process (here: the test) dies.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release();
    const after = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(after.rows[0]?.pid).not.toBe(pid);
  }, 30_000);
});
