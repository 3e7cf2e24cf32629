/**
 * The replication of replicate.ts done inside PostgreSQL, for `bench:scale` at 10M events: the template (a few
 * hundred thousand rows) goes over the wire once, into a session's temporary table; each copy is then made by
 * `INSERT … SELECT` from it, so the client (run at `nice 19` on a shared machine, where it gets a few percent of a core)
 * does almost nothing per event.
 * The SQL renames exactly as `Replicator` does (replicate-pg.int.spec.ts compares the rows), and the client first runs
 * `Replicator` over every template row, so an identifier it does not know stops the seed here too.
 *
 * The store's three unique indexes are dropped for the load and made again (sorted, one pass each) in the same
 * transaction, under the names its migration gave them, so the store finds the schema it made.
 */
import { Client } from 'pg';
import { Json, Replicator, templateProfileOf, templateRows } from './replicate';

const BATCH = 5_000;
/** Template rows per INSERT … SELECT: a progress line each, and a sort of `copies` rows per template row only. */
const CHUNK = 5_000;
const UUID_KEYS: Readonly<Record<'data' | 'metadata', readonly string[]>> = {
  data: ['notificationId'],
  metadata: ['correlationId', 'causationId'],
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The UUID-valued fields of an event's data or metadata, refusing one the SQL below does not rename. */
function uuidFields(value: Json, part: 'data' | 'metadata', key = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => uuidFields(item, part, key));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => uuidFields(v, part, k));
  if (typeof value !== 'string' || !UUID.test(value)) return [];
  if (!UUID_KEYS[part].includes(key)) throw new Error(`replicate-pg: ${part}.${key} holds a UUID the SQL replication does not rename`);
  return [key];
}

function field(value: Json, key: string): string | null {
  const found = value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  return typeof found === 'string' ? found : null;
}

async function loadTemplate(client: Client, templateFile: string, templateProfiles: number): Promise<number> {
  await client.query(`CREATE TEMP TABLE bench_template (
    position bigint PRIMARY KEY, stream text NOT NULL, revision integer NOT NULL, id text NOT NULL, type text NOT NULL,
    data text NOT NULL, metadata text NOT NULL, recorded_at timestamptz NOT NULL, profile integer NOT NULL,
    notification text, correlation text NOT NULL, causation text NOT NULL, verification boolean NOT NULL)`);
  const insert = `INSERT INTO bench_template SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[],
    $6::text[], $7::text[], $8::timestamptz[], $9::int[], $10::text[], $11::text[], $12::text[], $13::boolean[])`;
  const replicator = new Replicator(templateProfiles);
  let columns: unknown[][] = Array.from({ length: 13 }, () => []);
  let position = 0;
  for (const { row, data, metadata } of templateRows(templateFile)) {
    position += 1;
    replicator.copyRow(row, data, metadata, 1, position); // throws on an identifier it does not know
    uuidFields(data, 'data');
    uuidFields(metadata, 'metadata');
    const correlation = field(metadata, 'correlationId');
    const causation = field(metadata, 'causationId');
    if (!correlation || !causation) throw new Error(`replicate-pg: event ${row.id} has no correlation or causation id`);
    const values = [
      position,
      row.stream,
      row.revision,
      row.id,
      row.type,
      row.data,
      row.metadata,
      row.recorded_at,
      templateProfileOf(row.stream),
      field(data, 'notificationId'),
      correlation,
      causation,
      field(data, 'verificationId') !== null,
    ];
    values.forEach((value, i) => (columns[i] as unknown[]).push(value));
    if ((columns[0] as unknown[]).length >= BATCH) {
      await client.query(insert, columns);
      columns = Array.from({ length: 13 }, () => []);
    }
  }
  if ((columns[0] as unknown[]).length > 0) await client.query(insert, columns);
  return position;
}

/**
 * Copy `k` of template row `t`, `j` its profile's number: the same renames as `Replicator.copyRow`. Parameters: $1
 * copies, $2 template profiles, $3 and $4 the template positions of this chunk.
 */
function copySql(schema: string): string {
  const uuid = (value: string): string => `md5(${value} || ':' || c.k)::uuid::text`;
  const renamed = String.raw`regexp_replace(regexp_replace(t.data, '"(bench|acc|learn)-[0-9]+([".@])', '"\1-' || j.j || '\2', 'g'),
      '"a-[0-9]+-([0-9]+)"', '"a-' || j.j || '-\1"', 'g')`;
  const verification = String.raw`rtrim(translate(encode(substring(sha256(convert_to('bench-verification-' || j.j, 'UTF8')) FROM 1 FOR 16), 'base64'), '+/', '-_'), '=')`;
  const withVerification = `CASE WHEN t.verification THEN regexp_replace(${renamed}, '"verificationId":"[^"]*"', '"verificationId":"' || ${verification} || '"') ELSE ${renamed} END`;
  const data = `CASE WHEN t.notification IS NULL THEN ${withVerification} ELSE replace(${withVerification}, t.notification, ${uuid('t.notification')}) END`;
  const metadata = `replace(replace(t.metadata, t.correlation, ${uuid('t.correlation')}), t.causation, ${uuid('t.causation')})`;
  return String.raw`INSERT INTO ${schema}.events (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT (t.position - 1) * $1::int + c.k + 1,
      CASE WHEN c.k = 0 THEN t.stream ELSE regexp_replace(t.stream, '^([a-z]+-(bench|acc|learn)-)[0-9]+', '\1' || j.j) END,
      t.revision,
      CASE WHEN c.k = 0 THEN t.id ELSE ${uuid('t.id')} END,
      t.type,
      (CASE WHEN c.k = 0 THEN t.data ELSE ${data} END)::json,
      (CASE WHEN c.k = 0 THEN t.metadata ELSE ${metadata} END)::json,
      t.recorded_at
    FROM bench_template t
    CROSS JOIN LATERAL generate_series(0, $1::int - 1) AS c(k)
    CROSS JOIN LATERAL (SELECT c.k * $2::int + t.profile AS j) AS j
    WHERE t.position BETWEEN $3 AND $4
    ORDER BY t.position, c.k`;
}

/**
 * Loads `copies` copies of the seeded template (`events.db`) into `schema.events` (empty, migrated), in the order of
 * replicatedLog: template row by template row, each followed by its copies. Returns the events written.
 */
export async function replicateIntoPostgres(
  url: string,
  schema: string,
  template: { file: string; profiles: number },
  copies: number,
  onProgress?: (events: number) => void,
): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET maintenance_work_mem = '512MB'");
    await client.query("SET work_mem = '64MB'");
    await client.query('SET synchronous_commit = off');
    await client.query('BEGIN');
    const templateEvents = await loadTemplate(client, template.file, template.profiles);
    await client.query(
      `ALTER TABLE ${schema}.events DROP CONSTRAINT events_stream_revision, DROP CONSTRAINT events_stream_id, DROP CONSTRAINT events_pkey`,
    );
    const insert = copySql(schema);
    for (let from = 1; from <= templateEvents; from += CHUNK) {
      await client.query(insert, [copies, template.profiles, from, Math.min(from + CHUNK - 1, templateEvents)]);
      onProgress?.(Math.min(from + CHUNK - 1, templateEvents) * copies);
    }
    await client.query(
      `ALTER TABLE ${schema}.events ADD CONSTRAINT events_pkey PRIMARY KEY (position),
        ADD CONSTRAINT events_stream_revision UNIQUE (stream, revision), ADD CONSTRAINT events_stream_id UNIQUE (stream, id)`,
    );
    await client.query('DROP TABLE bench_template');
    await client.query('COMMIT');
    await client.query(`VACUUM ANALYZE ${schema}.events`);
    return templateEvents * copies;
  } finally {
    await client.end();
  }
}
