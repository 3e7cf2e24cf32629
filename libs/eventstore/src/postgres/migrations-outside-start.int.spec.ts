import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../../../test/support/postgres';
import { PostgresEventStore } from './postgres-event-store';

const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };

/**
 * #24.9: events_type_position cost bytes on every append (under the append lock) and no read uses it: the type-filtered
 * read is a prepared statement whose generic plan walks events_pkey. Migration 5 drops it, with `DROP INDEX
 * CONCURRENTLY` run by `npm run store:migrate` on a store that holds data, never by the service's start.
 */
describeWithPostgres('migrations outside the start (#24.9)', () => {
  const schema = uniqueName('outside_start');
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await dropSchema(schema);
  });

  /** The plan PostgreSQL uses for readAll's type filter once the prepared statement goes generic. */
  const typeReadPlan = async (): Promise<string> => {
    await admin.query('SET plan_cache_mode = force_generic_plan');
    await admin.query('DEALLOCATE ALL');
    await admin.query(
      `PREPARE read_types_after (bigint, text[], integer) AS
         SELECT position FROM ${schema}.events WHERE position > $1 AND type = ANY($2::text[]) ORDER BY position LIMIT $3`,
    );
    const rows = (await admin.query<{ 'QUERY PLAN': string }>("EXPLAIN EXECUTE read_types_after (0, '{WebhookEndpointRegistered}', 1)"))
      .rows;
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  };
  const indexes = async (): Promise<string[]> =>
    (
      await admin.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema])
    ).rows.map((row) => row.indexname);

  it('R62: a store with data keeps the index at start (logged as pending), store:migrate drops it concurrently once; the type read plan never used it', async () => {
    const first = new PostgresEventStore({ connectionString: PG_TEST_URL, schema });
    await first.ready();
    // A new schema takes every migration at start: no data, no reader.
    expect(await first.migrations()).toEqual([1, 2, 3, 4, 5]);
    for (let i = 0; i < 50; i += 1) {
      await first.append(
        `s-${i}`,
        [{ id: randomUUID(), type: i === 7 ? 'WebhookEndpointRegistered' : 'CertificationEarned', data: {}, metadata: meta }],
        {
          expectedRevision: 'no_stream',
        },
      );
    }
    await first.close();
    // The store as the release before #24.9 left it: the index there, migration 5 not applied.
    await admin.query(`CREATE INDEX events_type_position ON ${schema}.events (type, position)`);
    await admin.query(`DELETE FROM ${schema}.schema_migrations WHERE version = 5`);
    await admin.query(`ANALYZE ${schema}.events`);

    const logs: string[] = [];
    const upgraded = new PostgresEventStore({ connectionString: PG_TEST_URL, schema, log: (message) => logs.push(message) });
    try {
      await upgraded.ready();
      expect(await upgraded.migrations()).toEqual([1, 2, 3, 4]);
      expect(await indexes()).toContain('events_type_position');
      expect(logs).toEqual([expect.stringMatching(/migrations 5 \(drop events_type_position\) wait for npm run store:migrate/)]);
      const before = await typeReadPlan();
      expect(before).toMatch(/Index Scan using events_pkey/);
      expect(before).not.toMatch(/events_type_position/);

      expect(await upgraded.migrateOutsideStart()).toEqual([5]);
      expect(await upgraded.migrations()).toEqual([1, 2, 3, 4, 5]);
      expect(await indexes()).not.toContain('events_type_position');
      expect(await upgraded.migrateOutsideStart()).toEqual([]);
      expect(await typeReadPlan()).toMatch(/Index Scan using events_pkey/);
      // Reads by type still answer.
      expect((await upgraded.readAll({ filter: { eventTypes: ['WebhookEndpointRegistered'] } })).map((e) => e.position)).toEqual([8]);
    } finally {
      await upgraded.close();
    }
  }, 60_000);
});
