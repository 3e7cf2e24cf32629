/**
 * `npm run bench:store`: appends/s (1-event and 100-event transactions) and global-log read events/s of the
 * embedded store, beside a raw better-sqlite3 insert loop on the same schema and pragmas as the ceiling.
 * Target: single-event appends at least 70% of the raw figure.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewEvent, SqliteEventStore } from '@recert/eventstore';
import { verdictLine } from './ceiling';

const SINGLE = Number(process.env['BENCH_SINGLE'] ?? 5000);
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 300);
const READ_EVENTS = Number(process.env['BENCH_READ'] ?? 200_000);

function event(n: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'AssessmentAttempted',
    data: { holdingId: `p${n % 1000}.azure-administrator-associate`, passed: n % 3 === 0, score: 700, language: 'en', attempt: n % 5 },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: 'assessment-system',
      occurredAt: '2026-01-01T00:00:00.000Z',
      policyVersion: '2021-06-30',
    },
  };
}

function rate(count: number, startedNs: bigint): number {
  return count / (Number(process.hrtime.bigint() - startedNs) / 1e9);
}

function rawCeiling(file: string, count: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL,
    type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL);
    CREATE UNIQUE INDEX events_by_stream_revision ON events (stream, revision);
    CREATE UNIQUE INDEX events_by_stream_id ON events (stream, id);`);
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const started = process.hrtime.bigint();
  for (let n = 0; n < count; n += 1) {
    const e = event(n);
    // Autocommit: one transaction (and one fsync) per insert, like one append per command.
    insert.run(`holding-${n}`, 0, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), new Date().toISOString());
  }
  const result = rate(count, started);
  db.close();
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'recert-bench-'));
  try {
    const raw = rawCeiling(join(dir, 'raw.db'), SINGLE);

    const store = new SqliteEventStore({ file: join(dir, 'events.db') });
    let started = process.hrtime.bigint();
    for (let n = 0; n < SINGLE; n += 1) await store.append(`holding-${n}`, [event(n)], { expectedRevision: 'no_stream' });
    const single = rate(SINGLE, started);

    started = process.hrtime.bigint();
    for (let b = 0; b < BATCHES; b += 1) {
      const batch = Array.from({ length: 100 }, (_, i) => event(b * 100 + i));
      await store.append(`batch-${b}`, batch, { expectedRevision: 'no_stream' });
    }
    const batched = rate(BATCHES * 100, started);

    // The same appends committed inline on the calling thread (STORE_WRITER_THREAD=0): what the writer thread's hop
    // costs one sequential caller, printed beside the default (#17.4 trades it for an event loop free of fsyncs).
    const inlineStore = new SqliteEventStore({ file: join(dir, 'inline.db'), writerThread: false });
    started = process.hrtime.bigint();
    for (let n = 0; n < SINGLE; n += 1) await inlineStore.append(`holding-${n}`, [event(n)], { expectedRevision: 'no_stream' });
    const inline = rate(SINGLE, started);
    await inlineStore.close();

    // Top the log up so the read figure is over a realistic size, then read it all in pages.
    const fill = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL' });
    let total = SINGLE + BATCHES * 100;
    for (let b = 0; total < READ_EVENTS; b += 1, total += 1000) {
      await fill.append(
        `fill-${b}`,
        Array.from({ length: 1000 }, (_, i) => event(i)),
        { expectedRevision: 'no_stream' },
      );
    }
    await fill.close();
    started = process.hrtime.bigint();
    let read = 0;
    let after = 0;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 1000 });
      if (page.length === 0) break;
      read += page.length;
      after = (page[page.length - 1] as { position: number }).position;
    }
    const readRate = rate(read, started);
    await store.close();

    const line = (label: string, value: number, unit: string): void =>
      console.log(`${label.padEnd(44)} ${Math.round(value).toLocaleString('en-US').padStart(12)} ${unit}`);
    console.log(`recert bench:store  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cpu  synchronous=FULL`);
    line('raw better-sqlite3 insert, 1 per tx (ceiling)', raw, 'inserts/s');
    line('embedded store append, 1 event per tx', single, 'appends/s');
    line('  the same, committed inline (no writer thread)', inline, 'appends/s');
    line('embedded store append, 100 events per tx', batched, 'events/s');
    line(`embedded store readAll over ${read.toLocaleString('en-US')} events`, readRate, 'events/s');
    console.log(
      verdictLine({
        label: 'single-event appends',
        figure: single,
        ceiling: raw,
        ceilingLabel: 'raw better-sqlite3 insert loop, 1 per tx',
        unit: '/s',
        target: 0.7,
      }),
    );
    console.log(
      verdictLine({
        label: 'single-event appends, inline commit',
        figure: inline,
        ceiling: raw,
        ceilingLabel: 'raw better-sqlite3 insert loop, 1 per tx',
        unit: '/s',
        target: 0.7,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
