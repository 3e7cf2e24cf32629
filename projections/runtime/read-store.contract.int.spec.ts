import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, describeWithPostgres, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { inlined, PostgresReadStore } from './postgres-read-store';
import { configureReadDb } from './read-db';
import { createIfMissing, ReadStore, ReadValue, SqliteReadStore, StaleProjectorError } from './read-store';

/** The read store's contract (#23.1, #23.2): the same suite on the embedded and the PostgreSQL adapter. */
function readStoreContract(open: () => Promise<ReadStore>): void {
  let store: ReadStore;
  const checkpoint = (position: number) => ({ position, version: 1, store: 'test:1' });

  beforeAll(async () => {
    store = await open();
    await store.setup();
    await store.setup(); // idempotent
  }, 30_000);
  afterAll(async () => store?.close(), 30_000);

  it('R90 one projector per read model: a second owner is refused while the lease lives, renewing keeps the token', async () => {
    const first = await store.acquire('r90', 'host:1:a', 60_000);
    expect(first).toMatchObject({ name: 'r90', owner: 'host:1:a' });
    expect(await store.acquire('r90', 'host:2:b', 60_000)).toBeNull();
    const renewed = await store.acquire('r90', 'host:1:a', 60_000);
    expect(renewed?.token).toBe(first?.token);
    expect(renewed?.expiresAt).toBeGreaterThanOrEqual(first?.expiresAt ?? Infinity);
    expect(await store.lease('r90')).toMatchObject({ owner: 'host:1:a', token: first?.token });
  });

  it('R90 a lease that ran out on the database clock is taken over with a larger token; a release hands it over at once', async () => {
    const first = await store.acquire('r90-expiry', 'host:1:a', 50);
    expect(first).not.toBeNull();
    // Waits for the condition (the database's clock passing the lease), never for a fixed time.
    const taken = await eventually(
      'the lease to run out',
      async () => (await store.acquire('r90-expiry', 'host:2:b', 60_000)) ?? undefined,
    );
    expect(taken.token).toBeGreaterThan(first?.token ?? Infinity);
    await store.release('r90-expiry', 'host:2:b', taken.token);
    const third = await store.acquire('r90-expiry', 'host:3:c', 60_000);
    expect(third?.token).toBeGreaterThan(taken.token);
    // A release by one who no longer holds the lease changes nothing.
    await store.release('r90-expiry', 'host:2:b', taken.token);
    expect(await store.acquire('r90-expiry', 'host:2:b', 60_000)).toBeNull();
  });

  it('R90 a lease whose holder is a process of this machine that no longer runs is taken at once, not after its time', async () => {
    // A pid that is surely gone: a child that has exited and been reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const crashed = await store.acquire('r90-dead', `${hostname()}:${dead}:old`, 600_000);
    expect(crashed).not.toBeNull();
    const taken = await store.acquire('r90-dead', `${hostname()}:${process.pid}:new`, 600_000);
    expect(taken?.token).toBeGreaterThan(crashed?.token ?? Infinity);
    // A live process of this machine (this one) keeps its lease.
    expect(await store.acquire('r90-dead', `${hostname()}:${process.pid}:other`, 600_000)).toBeNull();
    expect(await store.acquire('r90-dead', `${hostname()}:${dead}:old`, 600_000)).toBeNull();
  });

  it('R91 rows and checkpoint move in one unit of work; a stale token (a paused projector) is refused and stores nothing', async () => {
    // No lease at all: refused.
    await expect(store.commit('r91', 1, checkpoint(0), async () => undefined)).rejects.toBeInstanceOf(StaleProjectorError);
    const paused = await store.acquire('r91', 'host:1:a', 50);
    if (!paused) throw new Error('no lease');
    await store.commit('r91', paused.token, checkpoint(0), async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS rm_r91 (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    });
    await store.commit('r91', paused.token, checkpoint(5), async (tx) => {
      await tx.run('INSERT INTO rm_r91 (id, n) VALUES (?, ?)', ['a', 1]);
    });
    expect(await store.checkpoint('r91')).toEqual(checkpoint(5));
    // The paused projector's lease runs out and another takes it.
    const survivor = await eventually('a take-over', async () => (await store.acquire('r91', 'host:2:b', 60_000)) ?? undefined);
    await expect(
      store.commit('r91', paused.token, checkpoint(9), async (tx) => {
        await tx.run('INSERT INTO rm_r91 (id, n) VALUES (?, ?)', ['stale', 1]);
      }),
    ).rejects.toBeInstanceOf(StaleProjectorError);
    expect(await store.query('SELECT id FROM rm_r91 ORDER BY id')).toEqual([{ id: 'a' }]);
    expect(await store.checkpoint('r91')).toEqual(checkpoint(5));
    await store.commit('r91', survivor.token, checkpoint(9), async (tx) => {
      await tx.run('UPDATE rm_r91 SET n = n + 1 WHERE id = ?', ['a']);
    });
    expect(await store.query<{ id: string; n: number }>('SELECT id, n FROM rm_r91')).toEqual([{ id: 'a', n: 2 }]);
    expect(await store.checkpoint('r91')).toEqual(checkpoint(9));
  });

  it('R91 a unit of work that fails leaves neither its rows nor its checkpoint', async () => {
    const lease = await store.acquire('r91-fail', 'host:1:a', 60_000);
    if (!lease) throw new Error('no lease');
    await store.commit('r91-fail', lease.token, checkpoint(1), async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS rm_r91_fail (id TEXT PRIMARY KEY)');
    });
    // Rejected (the native SQLite error may come from another test file's realm: checked by settling, not by class).
    const failed = await store
      .commit('r91-fail', lease.token, checkpoint(2), async (tx) => {
        await tx.run('INSERT INTO rm_r91_fail (id) VALUES (?)', ['x']);
        await tx.run('INSERT INTO rm_r91_fail (id) VALUES (?)', ['x']); // duplicate key
      })
      .then(
        () => false,
        () => true,
      );
    expect(failed).toBe(true);
    expect(await store.query('SELECT id FROM rm_r91_fail')).toEqual([]);
    expect(await store.checkpoint('r91-fail')).toEqual(checkpoint(1));
  });

  it('R130 run() writes job state outside any unit of work and returns the rows it changed (0 when none matched)', async () => {
    const bigint = store.kind === 'postgres' ? 'BIGINT' : 'INTEGER';
    expect(await store.run(`CREATE TABLE IF NOT EXISTS job_r130 (id TEXT PRIMARY KEY, claimed_until ${bigint})`)).toBe(0);
    expect(await store.run('INSERT INTO job_r130 (id, claimed_until) VALUES (?, ?), (?, ?), (?, ?)', ['a', null, 'b', 5, 'c', 9])).toBe(3);
    expect(await store.run('UPDATE job_r130 SET claimed_until = ? WHERE COALESCE(claimed_until, 0) < ?', [100, 6])).toBe(2);
    // A conditional update (a claim) that finds its condition gone changes nothing.
    expect(await store.run('UPDATE job_r130 SET claimed_until = ? WHERE id = ? AND claimed_until = ?', [200, 'a', 5])).toBe(0);
    expect(await store.run('DELETE FROM job_r130 WHERE id = ?', ['zz'])).toBe(0);
    expect(await store.query('SELECT id, claimed_until FROM job_r130 ORDER BY id')).toEqual([
      { id: 'a', claimed_until: 100 },
      { id: 'b', claimed_until: 100 },
      { id: 'c', claimed_until: 9 },
    ]);
  });

  it('R130 numbers come back as numbers on both adapters: count(*), sum() and BIGINT columns', async () => {
    const bigint = store.kind === 'postgres' ? 'BIGINT' : 'INTEGER';
    await store.run(`CREATE TABLE IF NOT EXISTS job_r130_n (id TEXT PRIMARY KEY, at ${bigint} NOT NULL, n INTEGER NOT NULL)`);
    await store.run('INSERT INTO job_r130_n (id, at, n) VALUES (?, ?, ?), (?, ?, ?)', ['x', 1_765_000_000_123, 2, 'y', 1, 3]);
    const [row] = await store.query<{ rows: unknown; total: unknown; latest: unknown }>(
      'SELECT count(*) AS rows, sum(n) AS total, max(at) AS latest FROM job_r130_n',
    );
    expect(row).toEqual({ rows: 2, total: 5, latest: 1_765_000_000_123 });
    expect(typeof row?.rows).toBe('number');
    const stored = await store.query<{ at: unknown }>('SELECT at FROM job_r130_n WHERE id = ?', ['x']);
    expect(stored).toEqual([{ at: 1_765_000_000_123 }]);
  });

  it('R137 a transaction outside any lease commits its statements together, or none of them; checkpoints keep their #24.2 marks', async () => {
    await store.transaction(async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS rm_r137 (name TEXT PRIMARY KEY, generation TEXT NOT NULL)');
      await tx.run('INSERT INTO rm_r137 (name, generation) VALUES (?, ?)', ['holdings', 'a']);
    });
    const swap = (from: string, to: string): Promise<number> =>
      store.transaction(
        async (tx) =>
          (
            await tx.query('UPDATE rm_r137 SET generation = ? WHERE name = ? AND generation = ? RETURNING generation', [
              to,
              'holdings',
              from,
            ])
          ).length,
      );
    expect(await swap('a', 'b')).toBe(1);
    expect(await swap('a', 'c')).toBe(0); // a second swapper finds the record changed
    const failed = await store
      .transaction(async (tx) => {
        await tx.run('UPDATE rm_r137 SET generation = ? WHERE name = ?', ['z', 'holdings']);
        await tx.run('INSERT INTO rm_r137 (name, generation) VALUES (?, ?)', ['holdings', 'dup']);
      })
      .then(
        () => false,
        () => true,
      );
    expect(failed).toBe(true);
    expect(await store.query('SELECT generation FROM rm_r137')).toEqual([{ generation: 'b' }]);
    const lease = await store.acquire('r137', 'host:1:a', 60_000);
    if (!lease) throw new Error('no lease');
    await store.commit('r137', lease.token, { ...checkpoint(5), eventId: 'e5', epoch: 'x' }, () => Promise.resolve());
    expect(await store.checkpoint('r137')).toEqual({ ...checkpoint(5), eventId: 'e5', epoch: 'x' });
  });

  /** A table for the batch cases, made in a unit of work under `name`'s lease; its token. */
  const batchTable = async (name: string): Promise<number> => {
    const lease = await store.acquire(name, 'host:1:a', 60_000);
    if (!lease) throw new Error('no lease');
    const [bigint, real] = store.kind === 'postgres' ? ['BIGINT', 'DOUBLE PRECISION'] : ['INTEGER', 'REAL'];
    await store.commit(name, lease.token, checkpoint(1), async (tx) => {
      await tx.run(`CREATE TABLE IF NOT EXISTS rm_${name} (id TEXT PRIMARY KEY, s TEXT, n ${bigint}, x ${real})`);
      await tx.run(`INSERT INTO rm_${name} (id, s, n, x) VALUES (?, ?, ?, ?)`, ['before', 'kept', 1, 0.5]);
    });
    return lease.token;
  };
  const insertRow = (table: string, id: string, s: ReadValue, n: ReadValue, x: ReadValue) => ({
    sql: `INSERT INTO ${table} (id, s, n, x) VALUES (?, ?, ?, ?)`,
    params: [id, s, n, x],
  });
  const failedOf = (run: Promise<unknown>): Promise<boolean> =>
    run.then(
      () => false,
      () => true,
    );

  it('R144 runAll applies a batch in order inside the unit of work; strings, nulls and numbers round-trip exactly', async () => {
    const token = await batchTable('r144');
    const strings = [
      "it's",
      "''",
      'back\\slash',
      "\\'",
      'ends with \\',
      'żółć ✓ 😀 中文',
      'what? ??',
      "'?'",
      '',
      '--',
      '/* x */',
      '$1',
      'a;b',
      '"q"',
      'line\nbreak\ttab',
    ];
    const numbers = [0, -1, 2_147_483_648, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    const decimals = [0.1, -2.5, 1e-7, 123456.789];
    // More statements than one PostgreSQL batch text holds (500): the later chunks follow the earlier in order.
    const bumps = Array.from({ length: 1_200 }, () => ({ sql: 'UPDATE rm_r144 SET n = n + ? WHERE id = ?', params: [1, 'row'] }));
    await store.commit('r144', token, checkpoint(2), (tx) =>
      tx.runAll([
        insertRow('rm_r144', 'row', 'first', 1, null),
        { sql: 'UPDATE rm_r144 SET s = ?, n = n + ? WHERE id = ?', params: ['second', 41, 'row'] },
        ...bumps,
        ...strings.map((value, i) => insertRow('rm_r144', `s${i}`, value, null, null)),
        ...numbers.map((value, i) => insertRow('rm_r144', `n${i}`, null, value, decimals[i % decimals.length] ?? null)),
        insertRow('rm_r144', 'nulls', null, null, null),
      ]),
    );
    const rows = new Map(
      (await store.query<{ id: string; s: unknown; n: unknown; x: unknown }>('SELECT id, s, n, x FROM rm_r144')).map((r) => [r.id, r]),
    );
    expect(rows.get('row')).toEqual({ id: 'row', s: 'second', n: 1_242, x: null });
    strings.forEach((value, i) => expect(rows.get(`s${i}`)?.s).toBe(value));
    numbers.forEach((value, i) => expect(rows.get(`n${i}`)).toMatchObject({ n: value, x: decimals[i % decimals.length] }));
    expect(rows.get('nulls')).toEqual({ id: 'nulls', s: null, n: null, x: null });
    expect(rows.get('before')).toEqual({ id: 'before', s: 'kept', n: 1, x: 0.5 });
    expect(rows.size).toBe(2 + strings.length + numbers.length + 1);
    expect(await store.checkpoint('r144')).toEqual(checkpoint(2));
    await store.commit('r144', token, checkpoint(3), (tx) => tx.runAll([])); // an empty page
    expect(await store.checkpoint('r144')).toEqual(checkpoint(3));
  });

  it('R145 a failing statement in a runAll batch (here in a later chunk) rolls the whole unit of work back', async () => {
    const token = await batchTable('r145');
    const many = Array.from({ length: 700 }, (_, i) => insertRow('rm_r145', `r${i}`, 'x', i, null));
    const failed = await failedOf(
      store.commit('r145', token, checkpoint(2), (tx) =>
        tx.runAll([
          { sql: 'UPDATE rm_r145 SET s = ? WHERE id = ?', params: ['changed', 'before'] },
          ...many,
          insertRow('rm_r145', 'r3', 'duplicate key', 0, null),
          insertRow('rm_r145', 'after', 'never', 0, null),
        ]),
      ),
    );
    expect(failed).toBe(true);
    expect(await store.query('SELECT id, s FROM rm_r145')).toEqual([{ id: 'before', s: 'kept' }]);
    expect(await store.checkpoint('r145')).toEqual(checkpoint(1));
  });

  it('R146 runAll refuses NaN and ±Infinity (no portable SQL value): the unit stores nothing', async () => {
    const token = await batchTable('r146');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await expect(
        store.commit('r146', token, checkpoint(2), (tx) =>
          tx.runAll([insertRow('rm_r146', 'ok', 'x', 1, null), insertRow('rm_r146', 'bad', 'x', 1, bad)]),
        ),
      ).rejects.toThrow(/non-finite/);
    }
    expect(await store.query('SELECT id FROM rm_r146')).toEqual([{ id: 'before' }]);
    expect(await store.checkpoint('r146')).toEqual(checkpoint(1));
  });
}

describe('read store contract on the embedded SQLite read.db', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-read-store-'));
  const db = configureReadDb(new Database(join(dir, 'read.db')));
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  readStoreContract(() => Promise.resolve(new SqliteReadStore(db)));
});

describeWithPostgres('read store contract on PostgreSQL', () => {
  const schema = uniqueName('recert_read');
  afterAll(() => dropSchema(schema), 30_000);
  readStoreContract(() => PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`));
});

describeWithPostgres('R172 a table several processes create at once', () => {
  const schema = uniqueName('recert_read_ddl');
  afterAll(() => dropSchema(schema), 30_000);

  it('R172 createIfMissing: eight processes starting at once all go on, the table exists once', async () => {
    const stores = await Promise.all(
      Array.from({ length: 8 }, () => PostgresReadStore.open(`${PG_TEST_URL}?readStoreSchema=${schema}`, 1)),
    );
    try {
      for (let round = 0; round < 5; round += 1) {
        const ddl = `CREATE TABLE IF NOT EXISTS rm_r172_${round} (name TEXT PRIMARY KEY, generation TEXT NOT NULL)`;
        const outcomes = await Promise.allSettled(stores.map((store) => createIfMissing(store, ddl)));
        expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      }
      const tables = await stores[0]?.query<{ n: number }>(
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = ? AND tablename LIKE 'rm_r172_%'",
        [schema],
      );
      expect(tables).toEqual([{ n: 5 }]);
    } finally {
      for (const store of stores) await store.close();
    }
  }, 60_000);
});

describe('R144 runAll on PostgreSQL renders parameters as literals only where the SQL has placeholders', () => {
  it('R144 a ? inside a quoted part of the SQL, or a count of parameters that does not match, is refused, not guessed at', () => {
    expect(inlined('UPDATE t SET s = ? WHERE id = ?', ["it's", 5])).toBe("UPDATE t SET s = 'it''s' WHERE id = '5'");
    expect(inlined('SELECT ?', ['a\\b'])).toBe("SELECT  E'a\\\\b'");
    expect(inlined('SELECT ?', [null])).toBe('SELECT NULL');
    expect(() => inlined("SELECT '?', ?", ['a'])).toThrow(/quoted/);
    expect(() => inlined('SELECT "a?", ?', ['a'])).toThrow(/quoted/);
    expect(() => inlined('SELECT ?, ?', ['a'])).toThrow(/placeholders/);
    expect(() => inlined('SELECT ?', ['a', 'b'])).toThrow(/parameters/);
    expect(() => inlined("SELECT 'open", [])).toThrow(/unclosed/);
  });
});
