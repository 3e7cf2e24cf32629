import Database from 'better-sqlite3';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SealedData } from '@recert/domain';

export interface PersonalData {
  displayName: string;
  email: string;
}

export const PERSONAL_DATA_VAULT = Symbol('PERSONAL_DATA_VAULT');

/**
 * Crypto-shredding: each profile's personal data is sealed in its events with a key of its own, kept here
 * outside the log. Erasing the key makes every copy of those events unreadable for that person, without
 * deleting or rewriting an event. (With EventStoreDB, run one vault per deployment on shared storage.)
 */
export class PersonalDataVault {
  private readonly db: Database.Database;
  private readonly keyStmt: Database.Statement<[string], { key: Buffer | null }>;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'personal-data.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec('CREATE TABLE IF NOT EXISTS keys (subject TEXT PRIMARY KEY, key BLOB, erased_at TEXT)');
    this.keyStmt = this.db.prepare('SELECT key FROM keys WHERE subject = ?');
  }

  private keyFor(subject: string): Buffer | null {
    const row = this.keyStmt.get(subject);
    if (row) return row.key;
    // INSERT OR IGNORE: two processes creating the same subject's key agree on the first one stored.
    this.db.prepare('INSERT OR IGNORE INTO keys (subject, key) VALUES (?, ?)').run(subject, randomBytes(32));
    return this.keyFor(subject);
  }

  /** Seals any JSON value; webhook signing secrets use it too (#14.5), under a subject of their own. */
  seal(subject: string, data: PersonalData | Record<string, string>): SealedData {
    const key = this.keyFor(subject);
    if (!key) throw new Error(`The personal data of ${subject} was erased`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return {
      keyId: subject,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  /** The data, or null once erased (or if the seal does not verify). */
  open<T = PersonalData>(sealed: SealedData): T | null {
    const row = this.keyStmt.get(sealed.keyId);
    if (!row?.key) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', row.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  isErased(subject: string): boolean {
    const row = this.db.prepare<[string], { erased_at: string | null }>('SELECT erased_at FROM keys WHERE subject = ?').get(subject);
    return Boolean(row?.erased_at);
  }

  erase(subject: string, at: Date): void {
    this.db
      .prepare(
        'INSERT INTO keys (subject, key, erased_at) VALUES (?, NULL, ?) ON CONFLICT(subject) DO UPDATE SET key = NULL, erased_at = excluded.erased_at',
      )
      .run(subject, at.toISOString());
  }

  close(): void {
    this.db.close();
  }
}
