import { randomUUID } from 'node:crypto';
import type { JsonObject, SqliteEventStore } from '@recert/eventstore';
import type { KeyVaultStore } from '@recert/kernel';
import { PersonalDataVault } from '@recert/renewals';
import { describeOnReadStores, logAndReadStore } from '../../test/support/store-twin';
import { eventually } from '../../test/support/wait';
import type { ReadStore } from '../runtime/read-store';
import { StoreProjectionRunner } from '../runtime/store-projection-runner';
import { PersonSearchIndex, searchTerms } from './person-search';

/** The shared key vault, in memory: enough for sealing, opening and erasing. */
function memoryKeys(): KeyVaultStore {
  const keys = new Map<string, Buffer | null>();
  const keyOrCreate = (subject: string, fresh: Buffer): Promise<Buffer | null> => {
    if (!keys.has(subject)) keys.set(subject, fresh);
    return Promise.resolve(keys.get(subject) ?? null);
  };
  return {
    key: (subject) => Promise.resolve(keys.get(subject) ?? null),
    keyOrCreate,
    keysOrCreate: (entries) => Promise.all(entries.map((entry) => keyOrCreate(entry.subject, entry.fresh))),
    isErased: (subject) => Promise.resolve(keys.has(subject) && keys.get(subject) === null),
    erase: (subject) => {
      keys.set(subject, null);
      return Promise.resolve();
    },
    storedKeys: () => Promise.resolve([]),
    replaceKey: () => Promise.resolve(false),
  };
}

const meta = { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-01-01T00:00:00.000Z' };
const event = (type: string, data: JsonObject) => ({ id: randomUUID(), type, data, metadata: meta });
const person = (i: number) => ({ displayName: i % 2 === 0 ? `Ada Lovelace ${i}` : `Zoë Ångström ${i}`, email: `p${i}@Example.com` });

/**
 * R132 (#23.1): the person search index (R98) on the read-store port, on either adapter: indexed by a search (the
 * default mode) or by the runner holding its projector lease (the PostgreSQL mode), the search waiting for it; an
 * erasure leaves no row; the match runs with `?` placeholders on both.
 */
describeOnReadStores('person search on the read-store port', (open) => {
  const keys = memoryKeys();
  const vault = new PersonalDataVault(keys);
  const opened = logAndReadStore(open, (log) => appendPeople(log, 0, 60));
  let store: SqliteEventStore;
  let readStore: ReadStore;
  beforeAll(() => {
    store = opened.log();
    readStore = opened.readStore();
  });

  async function appendPeople(log: SqliteEventStore, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 1) {
      const profileId = `p${i}`;
      const personalData = await vault.seal(profileId, person(i));
      await log.append(
        `profile-${profileId}`,
        [event('CertificationProfileCreated', { profileId, personalData: { ...personalData } }), event('Noise', { i })],
        {
          expectedRevision: 'no_stream',
        },
      );
      if (i % 5 === 0) {
        await vault.erase(profileId, new Date());
        await log.append(`profile-${profileId}`, [event('PersonalDataErased', { profileId })], { expectedRevision: 1 });
      }
    }
  }

  async function expectedRows(to: number): Promise<{ token: string; profile_id: string }[]> {
    const index = new PersonSearchIndex(readStore, store, vault, keys);
    const rows: { token: string; profile_id: string }[] = [];
    for (let i = 0; i < to; i += 1)
      if (i % 5 !== 0) for (const term of searchTerms(person(i))) rows.push({ token: await index.token(term), profile_id: `p${i}` });
    const key = (row: { token: string; profile_id: string }) => `${row.token} ${row.profile_id}`;
    return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  const ROWS = 'SELECT token, profile_id FROM rm_person_search ORDER BY token, profile_id';
  const found = async (index: PersonSearchIndex, query: string): Promise<string[]> => {
    const match = await index.condition(query);
    const rows = await readStore.query<{ profile_id: string }>(
      `SELECT h.profile_id FROM (SELECT DISTINCT profile_id FROM rm_person_search) h WHERE ${match.sql} ORDER BY h.profile_id`,
      match.params,
    );
    return rows.map((row) => row.profile_id);
  };

  it('R132/R98 a search indexes to the head under the lease (the default mode); erased people have no row; matching is portable', async () => {
    const index = new PersonSearchIndex(readStore, store, vault, keys);
    await index.catchUp();
    expect(await readStore.query(ROWS)).toEqual(await expectedRows(60));
    expect(await index.rowsOf('p5')).toBe(0);
    expect(await index.rowsOf('p6')).toBeGreaterThan(0);
    expect(await found(index, 'lovelace 12')).toEqual(['p12']);
    expect(await found(index, 'P13@example.COM')).toEqual(['p13']);
    expect(await found(index, 'angstrom zoe 15')).toEqual([]); // erased
    expect((await found(index, 'lovelace')).length).toBe(24);
    // The lease is handed back after each search: the next one (here or elsewhere) takes it again.
    expect((await readStore.lease('person-search'))?.expiresAt).toBeLessThanOrEqual(Date.now() + 1000);
  }, 60_000);

  it('R132/R90 while a runner holds its projector lease (the PostgreSQL mode), a search waits for its checkpoint instead of indexing', async () => {
    const projector = new PersonSearchIndex(readStore, store, vault, keys);
    const runner = new StoreProjectionRunner(store, readStore, [projector], {
      owner: 'elsewhere:1:projector',
      leaseMs: 5_000,
      batchSize: 17,
      rebuildBatchSize: 17,
    });
    runner.start();
    try {
      await eventually('the runner to lead', async () =>
        (await readStore.lease('person-search'))?.owner === 'elsewhere:1:projector' ? true : undefined,
      );
      await appendPeople(store, 60, 90);
      const searcher = new PersonSearchIndex(readStore, store, vault, keys);
      await searcher.catchUp();
      expect((await readStore.checkpoint('person-search'))?.position).toBeGreaterThanOrEqual(await store.headPosition());
      expect((await readStore.lease('person-search'))?.owner).toBe('elsewhere:1:projector');
      expect(await readStore.query(ROWS)).toEqual(await expectedRows(90));
      expect(await found(searcher, 'lovelace 88')).toEqual(['p88']);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
