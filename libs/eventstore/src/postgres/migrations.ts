/**
 * The PostgreSQL event store's schema, as numbered migrations. The store applies the missing ones at start, in one
 * transaction under an advisory lock, so two processes starting at once neither race nor apply one twice. A
 * migration, once released, never changes: a change is a new number.
 */
export interface Migration {
  version: number;
  name: string;
  /** The statements, for the schema named (an identifier already checked and quoted). */
  sql(schema: string): string;
  /**
   * A migration that would lock a live table (an index built or dropped on `events`): on a schema that already holds
   * data, the service's start leaves it pending and `npm run store:migrate` runs these statements, one by one outside
   * a transaction (`… CONCURRENTLY`; each idempotent, since a crash before it is recorded runs it again). On a new
   * schema (no migration applied yet) the start runs `sql` in its transaction: no data, no reader. No later migration
   * may depend on one still pending.
   */
  concurrently?(schema: string): string[];
}

/** Key of the transaction-scoped advisory lock that serialises appends (see ADR 0007); the schema is the second key. */
export const APPEND_LOCK_KEY = 0x72656301;
/** Key of the lock taken while migrating. */
export const MIGRATION_LOCK_KEY = 0x72656302;
/** NOTIFY channel an append signals on, with its schema as payload. */
export const APPENDED_CHANNEL = 'recert_events_appended';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events table and append function',
    sql: (s) => `
CREATE TABLE ${s}.events (
  position    bigint      PRIMARY KEY,
  stream      text        NOT NULL,
  revision    integer     NOT NULL,
  id          text        NOT NULL,
  type        text        NOT NULL,
  data        json        NOT NULL,
  metadata    json        NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT events_stream_revision UNIQUE (stream, revision),
  CONSTRAINT events_stream_id UNIQUE (stream, id)
);
CREATE INDEX events_type_position ON ${s}.events (type, position);

-- One append, judged and written in the caller's transaction. Every writer goes through here: the advisory lock,
-- held until commit, makes commit order equal position order, so no reader ever sees position n+1 before n.
-- Outcomes: appended, duplicate (every id already stored: nothing written), partial_duplicate, conflict.
CREATE FUNCTION ${s}.append_events(
  p_stream text, p_expected text, p_ids text[], p_types text[], p_data text[], p_metadata text[], p_recorded_at timestamptz
) RETURNS TABLE (outcome text, revision integer, positions bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
  v_current integer;
  v_stored integer;
  v_head bigint;
  v_count integer := cardinality(p_ids);
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_KEY}, hashtext('${s}'));
  SELECT coalesce(max(e.revision), -1) INTO v_current FROM ${s}.events e WHERE e.stream = p_stream;

  SELECT count(*)::integer, array_agg(e.position ORDER BY i.ord) INTO v_stored, positions
    FROM unnest(p_ids) WITH ORDINALITY AS i(id, ord) JOIN ${s}.events e ON e.stream = p_stream AND e.id = i.id;
  IF v_stored = v_count THEN
    RETURN QUERY SELECT 'duplicate'::text, v_current, positions;
    RETURN;
  ELSIF v_stored > 0 THEN
    RETURN QUERY SELECT 'partial_duplicate'::text, v_current, NULL::bigint[];
    RETURN;
  END IF;

  IF NOT (p_expected = 'any'
      OR (p_expected = 'no_stream' AND v_current = -1)
      OR (p_expected = 'stream_exists' AND v_current >= 0)
      OR (p_expected ~ '^[0-9]+$' AND p_expected::bigint = v_current)) THEN
    RETURN QUERY SELECT 'conflict'::text, v_current, NULL::bigint[];
    RETURN;
  END IF;

  -- Under the lock no one else writes: positions continue the log without a gap.
  SELECT coalesce(max(e.position), 0) INTO v_head FROM ${s}.events e;
  INSERT INTO ${s}.events (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT v_head + i.ord, p_stream, v_current + i.ord::integer, i.id, i.type, i.data::json, i.metadata::json, p_recorded_at
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS i(id, type, data, metadata, ord);
  PERFORM pg_notify('${APPENDED_CHANNEL}', '${s}');
  RETURN QUERY SELECT 'appended'::text, v_current + v_count, ARRAY(SELECT v_head + g FROM generate_series(1, v_count) AS g);
END
$fn$;
`,
  },
  {
    version: 2,
    name: 'append_batch: several appends in one transaction',
    sql: (s) => `
-- Group commit: the appends a process gathered while its previous commit was in flight, judged one after the other
-- (each sees the ones before it) in one transaction, so one WAL flush acknowledges them all. A refused append
-- writes nothing and does not stop the others. Events arrive flattened; p_counts says how many each append has.
CREATE FUNCTION ${s}.append_batch(
  p_streams text[], p_expected text[], p_counts integer[],
  p_ids text[], p_types text[], p_data text[], p_metadata text[], p_recorded_at timestamptz
) RETURNS TABLE (item integer, outcome text, revision integer, positions bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
  v_from integer := 1;
  v_to integer;
BEGIN
  FOR i IN 1 .. cardinality(p_streams) LOOP
    v_to := v_from + p_counts[i] - 1;
    RETURN QUERY SELECT i, a.outcome, a.revision, a.positions
      FROM ${s}.append_events(p_streams[i], p_expected[i], p_ids[v_from:v_to], p_types[v_from:v_to],
                              p_data[v_from:v_to], p_metadata[v_from:v_to], p_recorded_at) AS a;
    v_from := v_to + 1;
  END LOOP;
END
$fn$;
`,
  },
  {
    version: 3,
    name: 'append_one and append_many: one append in two reads and one insert',
    sql: (s) => `
-- The same judgement as append_events in less server work: a single-caller append is one round trip plus one WAL
-- flush, so the function's own time is most of what remains (docs/PERFORMANCE.md). The lock comes first, so the one
-- read after it (the stream's revision, whether an id is already stored, the log's head) sees every append committed
-- before ours: ADR 0007's rule is unchanged, and so is the key, so processes still on append_events/append_batch
-- (kept for a rolling upgrade) queue on the same lock. Positions go back as the first one only; the expected
-- revision comes as a number (a revision, or -1 no stream, -2 any, -3 the stream exists), so the checks are integer
-- comparisons. The join that tells a duplicate from a partial one runs only when some id is stored (append_events
-- ran it on every append).
CREATE FUNCTION ${s}.append_one(
  p_stream text, p_expected bigint, p_ids text[], p_types text[], p_data text[], p_metadata text[], p_recorded_at timestamptz,
  OUT outcome text, OUT revision integer, OUT first_position bigint, OUT stored bigint[]
) LANGUAGE plpgsql AS $fn$
DECLARE
  v_count integer := cardinality(p_ids);
  v_some_stored boolean;
  v_stored integer;
BEGIN
  PERFORM pg_advisory_xact_lock(${APPEND_LOCK_KEY}, hashtext('${s}'));
  SELECT (SELECT coalesce(max(e.revision), -1) FROM ${s}.events e WHERE e.stream = p_stream),
         EXISTS (SELECT FROM ${s}.events e WHERE e.stream = p_stream AND e.id = ANY (p_ids)),
         (SELECT coalesce(max(e.position), 0) FROM ${s}.events e)
    INTO revision, v_some_stored, first_position;

  IF v_some_stored THEN
    SELECT count(*)::integer, array_agg(e.position ORDER BY i.ord) INTO v_stored, stored
      FROM unnest(p_ids) WITH ORDINALITY AS i(id, ord) JOIN ${s}.events e ON e.stream = p_stream AND e.id = i.id;
    outcome := CASE WHEN v_stored = v_count THEN 'duplicate' ELSE 'partial_duplicate' END;
    first_position := NULL;
    RETURN;
  END IF;

  -- A stream that does not exist has revision -1, so "no stream" is the equality too.
  IF NOT (p_expected = -2 OR p_expected = revision OR (p_expected = -3 AND revision >= 0)) THEN
    outcome := 'conflict';
    first_position := NULL;
    RETURN;
  END IF;

  -- Under the lock no one else writes: positions continue the log without a gap.
  INSERT INTO ${s}.events (position, stream, revision, id, type, data, metadata, recorded_at)
    SELECT first_position + i.ord, p_stream, revision + i.ord::integer, i.id, i.type, i.data::json, i.metadata::json, p_recorded_at
      FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS i(id, type, data, metadata, ord);
  PERFORM pg_notify('${APPENDED_CHANNEL}', '${s}');
  outcome := 'appended';
  first_position := first_position + 1;
  revision := revision + v_count;
END
$fn$;

-- Group commit on append_one, as append_batch on append_events.
CREATE FUNCTION ${s}.append_many(
  p_streams text[], p_expected bigint[], p_counts integer[],
  p_ids text[], p_types text[], p_data text[], p_metadata text[], p_recorded_at timestamptz
) RETURNS TABLE (item integer, outcome text, revision integer, first_position bigint, stored bigint[])
LANGUAGE plpgsql AS $fn$
DECLARE
  v_from integer := 1;
  v_to integer;
BEGIN
  FOR i IN 1 .. cardinality(p_streams) LOOP
    v_to := v_from + p_counts[i] - 1;
    item := i;
    SELECT a.outcome, a.revision, a.first_position, a.stored INTO outcome, revision, first_position, stored
      FROM ${s}.append_one(p_streams[i], p_expected[i], p_ids[v_from:v_to], p_types[v_from:v_to],
                           p_data[v_from:v_to], p_metadata[v_from:v_to], p_recorded_at) AS a;
    RETURN NEXT;
    v_from := v_to + 1;
  END LOOP;
END
$fn$;
`,
  },
  {
    version: 4,
    name: 'store_epoch: the log epoch a restore changes',
    sql: (s) => `
-- Positions are max(position) + 1: after a point-in-time restore, a restore from backup or a failover to a standby
-- missing the last commits they are handed out again. The epoch, written once here and changed by the restore
-- procedure (npm run store:new-epoch, ADR 0007), is kept with every checkpoint, so none of another epoch is resumed (#24.2).
CREATE TABLE ${s}.store_epoch (id integer PRIMARY KEY CHECK (id = 1), epoch uuid NOT NULL, changed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO ${s}.store_epoch (id, epoch) VALUES (1, gen_random_uuid());
`,
  },
  {
    version: 5,
    name: 'drop events_type_position',
    // #24.9: the index costs an entry per event on every append, under the append lock, and reads do not use it:
    // readAll's type filter is a prepared statement whose generic plan walks events_pkey in position order and filters
    // (docs/adr/0007, test/contract/postgres-event-store.int.spec.ts shows the plan); subscriptions read every row.
    sql: (s) => `DROP INDEX IF EXISTS ${s}.events_type_position;`,
    concurrently: (s) => [`DROP INDEX CONCURRENTLY IF EXISTS ${s}.events_type_position`],
  },
];
