import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { EVENT_STORE, EventStore, RecordedEvent } from '@recert/eventstore';
import { KEY_VAULT_STORE, KeyVaultStore } from '@recert/kernel';
import { PERSONAL_DATA_VAULT, PersonalData, PersonalDataVault } from '@recert/renewals';
import { PROFILE_EVENTS } from '@recert/domain';
import { projectorOwner, READ_STORE, ReadStore, ReadTx, Write } from '../runtime/read-store';
import type { StoreProjection } from '../runtime/store-projection-runner';
import { analyzeTables } from '../runtime/projection';
import { column, createTableStatements, defineTable } from '../runtime/table-definition';

/** The vault subject of the index's HMAC key: in the shared key vault, never in the read database it keys. */
export const SEARCH_KEY_SUBJECT = 'person-search-index';
const TABLE = 'rm_person_search';
const BATCH = 1000;

/** A name or e-mail as searched: Unicode-normalised (NFKC), lower case, without diacritics. */
function normalise(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').toLowerCase().trim();
}

/**
 * R98: what is indexed of a person, before keying: the whole e-mail, the whole name and each word of it (letters and
 * digits; a name written without spaces is one word). A search matches whole words, never a prefix.
 */
export function searchTerms(data: { displayName: string; email: string }): string[] {
  const name = normalise(data.displayName);
  const words = name.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  return [...new Set([`e:${normalise(data.email)}`, `n:${name.replace(/\s+/g, ' ')}`, ...words.map((w) => `w:${w}`)])];
}

/** The terms of a query: an e-mail is looked up whole; other text must match every one of its words. */
export function queryTerms(query: string): string[] {
  const q = normalise(query);
  if (q.includes('@')) return [`e:${q}`];
  const words = q.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  return words.length <= 1 ? words.map((w) => `w:${w}`) : [...new Set(words.map((w) => `w:${w}`))];
}

/** The index's rows, declared once for both dialects: one per keyed term and profile. */
export const PERSON_SEARCH_TABLE = defineTable({
  name: TABLE,
  columns: { token: column.text(), profile_id: column.text() },
  primaryKey: ['token', 'profile_id'],
  indexes: { profile: ['profile_id'] },
  withoutRowid: true,
});

/** A profile's keyed terms to add, or null: its rows go (an erasure). */
type IndexStep = { profileId: string; tokens: string[] | null };

/** Rows per multi-row insert of keyed terms. */
const INSERT_ROWS = 500;

/** Key-vault reads in flight at once while a page is prepared. */
const VAULT_READS_AT_ONCE = 8;

/** `work` over `items` with at most `limit` in flight, the results in the items' order. */
async function mapAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How long a search waits for the projector of another process (or of the PostgreSQL mode's runner) to catch up. */
const CATCH_UP_WAIT_MS = 10_000;

/**
 * R98 (ADR 0019): names and e-mails are sealed per profile, so they are found through keyed hashes (HMAC-SHA-256 with a
 * key kept in the shared key vault) of their normalised terms, one row per term in `rm_person_search`. The index
 * follows the log: a created profile's sealed data is opened and its terms keyed; an erasure (`PersonalDataErased`)
 * deletes the profile's rows, and a rebuild cannot bring them back (its key is gone, the data no longer opens).
 *
 * On the read-store port (#23.1), in both modes, as the StoreProjection `person-search` under its projector lease and
 * checkpoint: in the PostgreSQL mode the projector process's runner keeps it up to date; a search (`catchUp`) takes
 * the lease itself when nobody holds it (the default mode, which has no runner for it) and projects to the head, or
 * else waits for the holder's checkpoint to get there, so a query sees what was written before it.
 */
@Injectable()
export class PersonSearchIndex implements StoreProjection {
  readonly name = 'person-search';
  readonly version = 1;
  readonly eventTypes: readonly string[] = ['CertificationProfileCreated', 'PersonalDataErased'];
  private key?: Buffer;
  private running?: Promise<void>;
  private readonly owner = projectorOwner();
  /**
   * Whether a search may project (take the lease when nobody holds it): the default mode, which has no runner for
   * the index. With READ_STORE_URL the runners project it and a search only waits, so a follow replica projects
   * nothing (R141); the read-models module says which.
   */
  projectsOnSearch = true;

  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(KEY_VAULT_STORE) private readonly keys: KeyVaultStore,
  ) {}

  async setup(tx: ReadTx): Promise<void> {
    for (const statement of createTableStatements(PERSON_SEARCH_TABLE, tx.dialect)) await tx.run(statement);
  }

  async reset(tx: ReadTx): Promise<void> {
    await tx.run(`DROP TABLE IF EXISTS ${TABLE}`);
  }

  /** Its table's statistics after a rebuild from zero (R166). */
  async finishRebuild(tx: ReadTx): Promise<void> {
    await analyzeTables(tx, [TABLE]);
  }

  /** Opening the data and keying its terms is asynchronous work; the writes follow, in the unit of work's transaction. */
  async applyPage(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    await (
      await this.preparePage(events)
    )(tx);
  }

  /** For the runners: the vault is read before the unit of work opens (its transaction never waits on the vault). */
  async preparePage(events: readonly RecordedEvent[]): Promise<(tx: ReadTx) => Promise<void>> {
    const steps = await this.steps(events);
    return (tx) => this.write(tx, steps);
  }

  /**
   * The page's steps in its order. The profiles' data is opened VAULT_READS_AT_ONCE at a time (one key-vault read
   * each): side by side they overlap their round trips, and few enough never to wait out the pool's connect deadline.
   */
  private async steps(events: readonly RecordedEvent[]): Promise<IndexStep[]> {
    const steps = await mapAtMost(VAULT_READS_AT_ONCE, events, async (event): Promise<IndexStep | undefined> => {
      if (!PROFILE_EVENTS.is(event)) return undefined;
      const profileId = event.data.profileId;
      if (event.type === 'PersonalDataErased') return { profileId, tokens: null };
      if (event.type !== 'CertificationProfileCreated') return undefined;
      const data = await this.vault.open<PersonalData>(event.data.personalData);
      return { profileId, tokens: data ? await Promise.all(searchTerms(data).map((term) => this.token(term))) : [] };
    });
    return steps.filter((step): step is IndexStep => step !== undefined);
  }

  /**
   * The page's statements in order, in one batch (#23.7): the terms of consecutive created profiles as multi-row
   * inserts (up to INSERT_ROWS rows each), an erasure's delete between them where it falls.
   */
  private async write(tx: ReadTx, steps: readonly IndexStep[]): Promise<void> {
    const writes: Write[] = [];
    let rows: string[] = [];
    const flush = (): void => {
      if (rows.length === 0) return;
      const values = Array.from({ length: rows.length / 2 }, () => '(?, ?)').join(', ');
      writes.push({ sql: `INSERT INTO ${TABLE} (token, profile_id) VALUES ${values} ON CONFLICT DO NOTHING`, params: rows });
      rows = [];
    };
    for (const step of steps) {
      if (step.tokens === null) {
        flush();
        writes.push({ sql: `DELETE FROM ${TABLE} WHERE profile_id = ?`, params: [step.profileId] });
        continue;
      }
      for (const token of step.tokens) {
        rows.push(token, step.profileId);
        if (rows.length >= INSERT_ROWS * 2) flush();
      }
    }
    flush();
    await tx.runAll(writes);
  }

  private async hmacKey(): Promise<Buffer> {
    this.key ??= (await this.keys.keyOrCreate(SEARCH_KEY_SUBJECT, randomBytes(32))) ?? undefined;
    if (!this.key) throw new Error('The person search key is missing from the key vault');
    return this.key;
  }

  /** The keyed form of a term (what the table holds). */
  async token(term: string): Promise<string> {
    return createHmac('sha256', await this.hmacKey())
      .update(term)
      .digest('base64url');
  }

  /** The rows a profile has in the index (the erasure spec reads it). */
  async rowsOf(profileId: string): Promise<number> {
    await this.catchUp();
    const rows = await this.readStore.query<{ n: number }>(`SELECT count(*) AS n FROM ${TABLE} WHERE profile_id = ?`, [profileId]);
    return rows[0]?.n ?? 0;
  }

  /** Brings the index up to the log's head (one run at a time; a caller arriving meanwhile waits for it and runs again). */
  async catchUp(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.run();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async run(): Promise<void> {
    const head = await this.store.headPosition();
    // Caught up already (the usual case): one read, no lease taken, as fast as the cursor it replaces.
    const stored = await this.readStore.checkpoint(this.name);
    if (stored && stored.position >= head && stored.version === this.version && stored.store === this.storeId()) return;
    const lease = this.projectsOnSearch ? await this.readStore.acquire(this.name, this.owner, CATCH_UP_WAIT_MS) : null;
    if (!lease) {
      // Another process projects it (the PostgreSQL mode's runner, or a search in a process sharing read.db).
      const deadline = Date.now() + CATCH_UP_WAIT_MS;
      while (((await this.readStore.checkpoint(this.name))?.position ?? 0) < head && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      return;
    }
    try {
      await this.project(lease.token, head);
    } finally {
      // Handed back at once: the next search, here or in another process, takes it again.
      await this.readStore.release(this.name, this.owner, lease.token);
    }
  }

  /** Which log the checkpoint is of, as `StoreProjectionRunner` names it. */
  private storeId(): string {
    return `${this.store.kind}:${this.store.identity ?? ''}`;
  }

  /** Pages from the checkpoint to `head` under the lease's token, as `StoreProjectionRunner` does. */
  private async project(token: number, head: number): Promise<void> {
    const storeId = this.storeId();
    const stored = await this.readStore.checkpoint(this.name);
    const fresh = !stored || stored.version !== this.version || stored.store !== storeId;
    let position = fresh ? 0 : stored.position;
    if (fresh || position < head)
      await this.readStore.commit(this.name, token, { position, version: this.version, store: storeId }, async (tx) => {
        if (fresh && stored) await this.reset(tx);
        await this.setup(tx);
      });
    while (position < head) {
      const events = await this.store.readAll({ after: position, maxCount: BATCH, filter: { eventTypes: this.eventTypes } });
      const page = events.filter((event) => event.position <= head);
      const to = page.length < BATCH ? head : (page[page.length - 1]?.position ?? head);
      // The vault and the key are read before the unit of work: on read.db its transaction shares the runner's
      // connection, so nothing may wait on I/O while it is open.
      const steps = await this.steps(page);
      await this.readStore.commit(this.name, token, { position: to, version: this.version, store: storeId }, (tx) => this.write(tx, steps));
      position = to;
    }
  }

  /** The SQL condition and its parameters (`?`, in order, as both read stores take them) that keep profiles matching every term of the query. */
  async condition(query: string): Promise<{ sql: string; params: (string | number)[] }> {
    const { tokens, list } = await this.tokensOf(query, () => '?');
    return { sql: this.matchSql(list, '?'), params: [...tokens, tokens.length] };
  }

  private async tokensOf(query: string, placeholder: (i: number) => string): Promise<{ tokens: string[]; list: string }> {
    const tokens = await Promise.all(queryTerms(query).map((term) => this.token(term)));
    return { tokens, list: tokens.map((_, i) => placeholder(i)).join(', ') };
  }

  private matchSql(list: string, termCount: string): string {
    return `h.profile_id IN (SELECT profile_id FROM ${TABLE} WHERE token IN (${list || "''"}) GROUP BY profile_id HAVING count(*) = ${termCount})`;
  }
}
