import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { KEY_VAULT_STORE, KeyVaultStore } from '@recert/kernel';
import { PERSONAL_DATA_VAULT, PersonalData, PersonalDataVault } from '@recert/renewals';
import type { SealedData } from '@recert/domain';
import { READ_DB } from '../runtime/read-db';

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

/**
 * R98 (ADR 0019): names and e-mails are sealed per profile, so they are found through keyed hashes (HMAC-SHA-256 with a
 * key kept in the shared key vault) of their normalised terms, one row per term in `rm_person_search`. The index
 * follows the log on its own cursor: a created profile's sealed data is opened and its terms keyed; an erasure
 * (`PersonalDataErased`) deletes the profile's rows, and a rebuild cannot bring them back (its key is gone, the data
 * no longer opens). Caught up before each search, so a query sees what was written before it.
 */
@Injectable()
export class PersonSearchIndex {
  private key?: Buffer;
  private ready = false;
  private running?: Promise<void>;

  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(KEY_VAULT_STORE) private readonly keys: KeyVaultStore,
  ) {}

  private setup(): void {
    if (this.ready) return;
    this.db
      .exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (token TEXT NOT NULL, profile_id TEXT NOT NULL, PRIMARY KEY (token, profile_id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${TABLE}_profile ON ${TABLE} (profile_id);
      CREATE TABLE IF NOT EXISTS ${TABLE}_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);`);
    this.ready = true;
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
  rowsOf(profileId: string): number {
    this.setup();
    return this.db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${TABLE} WHERE profile_id = ?`).get(profileId)?.n ?? 0;
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
    this.setup();
    const head = await this.store.headPosition();
    for (;;) {
      const cursor = this.db.prepare<[], { position: number }>(`SELECT position FROM ${TABLE}_cursor WHERE id = 1`).get()?.position ?? 0;
      if (cursor >= head) return;
      const events = await this.store.readAll({
        after: cursor,
        maxCount: BATCH,
        filter: { eventTypes: ['CertificationProfileCreated', 'PersonalDataErased'] },
      });
      const rows: { profileId: string; tokens: string[] | null }[] = [];
      for (const event of events) {
        const profileId = event.data['profileId'] as string;
        if (event.type === 'PersonalDataErased') {
          rows.push({ profileId, tokens: null });
          continue;
        }
        const data = await this.vault.open<PersonalData>(event.data['personalData'] as SealedData);
        rows.push({ profileId, tokens: data ? await Promise.all(searchTerms(data).map((term) => this.token(term))) : [] });
      }
      const last = events[events.length - 1];
      const next = events.length < BATCH ? Math.max(head, last?.position ?? 0) : (last?.position ?? head);
      const insert = this.db.prepare(`INSERT INTO ${TABLE} (token, profile_id) VALUES (?, ?) ON CONFLICT DO NOTHING`);
      const erase = this.db.prepare(`DELETE FROM ${TABLE} WHERE profile_id = ?`);
      this.db.transaction(() => {
        for (const row of rows) {
          if (row.tokens === null) erase.run(row.profileId);
          else for (const token of row.tokens) insert.run(token, row.profileId);
        }
        this.db
          .prepare(`INSERT INTO ${TABLE}_cursor (id, position) VALUES (1, @next) ON CONFLICT (id) DO UPDATE SET position = @next`)
          .run({ next });
      })();
      if (events.length < BATCH) return;
    }
  }

  /** The SQL condition and its parameters (`?`, in order, as both read stores take them) that keep profiles matching every term of the query. */
  async condition(query: string): Promise<{ sql: string; params: (string | number)[] }> {
    const terms = queryTerms(query);
    const tokens = await Promise.all(terms.map((term) => this.token(term)));
    const list = tokens.map(() => '?').join(', ');
    return {
      sql: `h.profile_id IN (SELECT profile_id FROM ${TABLE} WHERE token IN (${list || "''"}) GROUP BY profile_id HAVING count(*) = ?)`,
      params: [...tokens, tokens.length],
    };
  }
}
