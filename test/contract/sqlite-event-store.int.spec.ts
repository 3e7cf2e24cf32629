import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurrencyError, createEventStore, EventStore, SqliteEventStore } from '@recert/eventstore';
import { upcast } from '@recert/domain';
import { loadConfig } from '@recert/kernel';
import { describeEventStoreContract, newEvent } from './event-store.contract';
import { runAppender } from './fixtures/run-appender';

describe('embedded SQLite event store', () => {
  let dir: string;
  let store: SqliteEventStore;
  let built: EventStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-store-'));
    store = new SqliteEventStore({ file: join(dir, 'events.db'), pollIntervalMs: 20 });
    // The contract runs through the factory production uses (R54), on this adapter.
    built = createEventStore(loadConfig({ DATA_DIR: dir }), upcast, store);
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describeEventStoreContract('sqlite', () => ({ store: built, adapter: store }));

  describe('group commit', () => {
    it('appends made in one turn commit together, each judged on its own: a clash fails alone, the rest are stored', async () => {
      const clash = 'group-clash';
      await store.append(clash, [newEvent('A')], { expectedRevision: 'no_stream' });
      const duplicate = newEvent('D');
      await store.append('group-dup', [duplicate], { expectedRevision: 'no_stream' });
      const results = await Promise.allSettled([
        store.append('group-a', [newEvent('A')], { expectedRevision: 'no_stream' }),
        store.append(clash, [newEvent('B')], { expectedRevision: 0 }),
        store.append(clash, [newEvent('C')], { expectedRevision: 0 }),
        store.append('group-b', [newEvent('A'), newEvent('B')], { expectedRevision: 'no_stream' }),
        store.append('group-dup', [duplicate], { expectedRevision: 'no_stream' }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect((results[4] as PromiseFulfilledResult<{ duplicate: boolean }>).value.duplicate).toBe(true);
      expect((await store.readStream(clash)).map((e) => e.type)).toEqual(['A', 'B']);
      expect(await store.readStream('group-b')).toHaveLength(2);
      const positions = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.positions : []));
      expect(new Set(positions).size).toBe(positions.length);
    });
  });

  describe('two processes sharing one file', () => {
    it('concurrent appenders with expected revisions interleave without a lost or duplicated event, and a subscriber in a third sees all', async () => {
      const file = join(dir, 'shared.db');
      const reader = new SqliteEventStore({ file, pollIntervalMs: 20 });
      const seen: number[] = [];
      const subscription = reader.subscribe({ after: 0 }, { onEvents: (events) => void seen.push(...events.map((e) => e.position)) });

      const [a, b] = await Promise.all([runAppender([file, 'counter-1', '150', 'a']), runAppender([file, 'counter-1', '150', 'b'])]);

      const events = await reader.readStream('counter-1');
      expect(events).toHaveLength(300);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      // Each process saw its own acknowledged positions; together they are exactly the stored ones.
      expect([...a.acks, ...b.acks].sort((x, y) => x - y)).toEqual(events.map((e) => e.position));
      for (const tag of ['a', 'b']) {
        expect(events.filter((e) => e.data['tag'] === tag).map((e) => e.data['n'])).toEqual(Array.from({ length: 150 }, (_, i) => i));
      }
      const deadline = Date.now() + 60_000;
      while (seen.length < 300 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await subscription.stop();
      expect(seen).toEqual(events.map((e) => e.position));
      await reader.close();
    }, 60_000);

    it('#17.4 two processes append to their own streams at once while a third reads the log: every event exactly once, positions gap-free at every read', async () => {
      const file = join(dir, 'shared-gapless.db');
      const reader = new SqliteEventStore({ file, pollIntervalMs: 20 });
      const read: number[] = [];
      let appendersDone = false;
      // Reads while the appenders write: each page must continue the log exactly where the last one ended.
      const reading = (async () => {
        let after = 0;
        for (;;) {
          const page = await reader.readAll({ after, maxCount: 50 });
          for (const event of page) read.push(event.position);
          if (page.length > 0) after = (page[page.length - 1] as { position: number }).position;
          else if (appendersDone && after === (await reader.headPosition())) return;
          else await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const [a, b] = await Promise.all([runAppender([file, 'own-a', '150', 'a']), runAppender([file, 'own-b', '150', 'b'])]);
      appendersDone = true;
      await reading;
      await reader.close();
      expect(read).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect([...a.acks, ...b.acks].sort((x, y) => x - y)).toEqual(read);
    }, 60_000);
  });

  describe('durability', () => {
    it('a process killed with SIGKILL right after acknowledged appends keeps every acknowledged event', async () => {
      const file = join(dir, 'killed.db');
      let killedAfter = 0;
      const result = await runAppender([file, 'durable-1', '100000', 'k'], (_position, kill) => {
        killedAfter += 1;
        if (killedAfter === 40) kill();
      });
      expect(result.signal).toBe('SIGKILL');

      const reopened = new SqliteEventStore({ file });
      const stored = (await reopened.readStream('durable-1')).map((e) => e.position);
      await reopened.close();
      // Every acknowledged append is there; at most the one in flight when the signal landed is extra.
      for (const position of result.acks) expect(stored).toContain(position);
      expect(stored.length - result.acks.length).toBeLessThanOrEqual(1);
    }, 60_000);
  });
});
