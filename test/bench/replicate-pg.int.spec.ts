import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PostgresEventStore } from '@recert/eventstore';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../support/postgres';
import { LogRow, replicatedLog, seedTemplate } from './replicate';
import { replicateIntoPostgres } from './replicate-pg';

describeWithPostgres('bench:scale replication inside PostgreSQL (R150)', () => {
  const schema = uniqueName('recert_replicate');
  const copies = 3;
  let dir: string;
  let template: { profiles: number; events: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-replicate-pg-'));
    template = await seedTemplate(dir, 300, new Date('2026-06-01T00:00:00Z'));
    const store = new PostgresEventStore({ connectionString: `${PG_TEST_URL}?schema=${schema}` });
    await store.headPosition();
    await store.close();
  }, 120_000);

  afterAll(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('R150: the SQL copies are the rows Replicator makes, byte for byte, and the store reads them as its log', async () => {
    const file = join(dir, 'events.db');
    const written = await replicateIntoPostgres(PG_TEST_URL, schema, { file, profiles: template.profiles }, copies);
    expect(written).toBe(copies * template.events);

    const client = new Client({ connectionString: PG_TEST_URL });
    await client.connect();
    const { rows } = await client.query<Omit<LogRow, 'position' | 'recorded_at'> & { position: string }>(
      `SELECT position, stream, revision, id, type, data::text AS data, metadata::text AS metadata FROM ${schema}.events ORDER BY position`,
    );
    const constraints = await client.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint WHERE conrelid = '${schema}.events'::regclass ORDER BY conname`,
    );
    await client.end();
    const expected = [...replicatedLog(file, template.profiles, copies)].map(({ recorded_at: _, ...row }) => row);
    expect(rows.map((row) => ({ ...row, position: Number(row.position) }))).toEqual(expected);
    expect(constraints.rows.map((row) => row.conname)).toEqual(['events_pkey', 'events_stream_id', 'events_stream_revision']);

    const store = new PostgresEventStore({ connectionString: `${PG_TEST_URL}?schema=${schema}` });
    try {
      expect(await store.headPosition()).toBe(written);
      const last = expected[expected.length - 1];
      const stream = await store.readStream(last?.stream as string);
      expect(stream[stream.length - 1]?.id).toBe(last?.id);
    } finally {
      await store.close();
    }
  }, 120_000);
});
