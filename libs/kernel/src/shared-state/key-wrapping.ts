import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyVaultStore } from './shared-state.ports';

/**
 * Key-encryption keys (#24.3): every personal-data key is stored wrapped under a KEK held outside the database, so no
 * raw key reaches the key vault's tables, their WAL or their backups. Destroying a KEK (after `npm run keys:rewrap`
 * moved every live key to the newest) makes every copy of a key it wrapped unreadable: an erasure then reaches old
 * backups and WAL too (ADR 0004, 0008). This is the port a KMS adapter implements (wrap/unwrap calls to the KMS).
 */
export interface KeyEncryptionKeys {
  /** Id of the KEK new keys are wrapped under (the newest). */
  readonly currentId: string;
  wrap(subject: string, key: Buffer): Promise<Buffer>;
  unwrap(subject: string, wrapped: Buffer): Promise<Buffer>;
  /** Id of the KEK `stored` is wrapped under; null for a raw key stored by a build before #24.3 (32 bytes). */
  kekIdOf(stored: Buffer): string | null;
}

/** `RKW1`, the id's length and the id, then AES-256-GCM's nonce and tag, then the wrapped key. */
const MAGIC = Buffer.from('RKW1');
const RAW_KEY_BYTES = 32;
/** The KEK of development set-ups without PERSONAL_DATA_KEK_FILE: public, so it protects nothing (refused in production). */
export const DEVELOPMENT_KEK_ID = 'development';
const DEVELOPMENT_KEK = createHash('sha256').update('recert-development-personal-data-kek-do-not-use-in-production').digest();

/** The wrapped key is bound to its subject: a wrapped key copied to another subject's row does not unwrap. */
const aad = (subject: string): Buffer => Buffer.from(`recert-personal-data-key:${subject}`);

/** KEKs in memory, oldest first: the newest wraps, every one unwraps. */
export function keyEncryptionKeys(keks: readonly { id: string; key: Buffer }[]): KeyEncryptionKeys {
  const current = keks[keks.length - 1];
  if (!current) throw new Error('No key-encryption key');
  const byId = new Map(keks.map((kek) => [kek.id, kek.key]));
  const kekIdOf = (stored: Buffer): string | null => {
    if (stored.length === RAW_KEY_BYTES || !stored.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    return stored.subarray(MAGIC.length + 1, MAGIC.length + 1 + (stored[MAGIC.length] ?? 0)).toString('utf8');
  };
  return {
    currentId: current.id,
    kekIdOf,
    wrap: (subject, key) => {
      const id = Buffer.from(current.id, 'utf8');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv).setAAD(aad(subject));
      const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
      return Promise.resolve(Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), wrapped]));
    },
    unwrap: (subject, stored) => {
      const id = kekIdOf(stored);
      // A key stored before #24.3: usable until `npm run keys:rewrap` wraps it.
      if (id === null) return Promise.resolve(stored);
      const kek = byId.get(id);
      if (!kek)
        return Promise.reject(new Error(`The personal-data key of ${subject} is wrapped under KEK "${id}", which is no longer held`));
      let at = MAGIC.length + 1 + Buffer.byteLength(id);
      const iv = stored.subarray(at, (at += 12));
      const tag = stored.subarray(at, (at += 16));
      const decipher = createDecipheriv('aes-256-gcm', kek, iv).setAAD(aad(subject));
      decipher.setAuthTag(tag);
      return Promise.resolve(Buffer.concat([decipher.update(stored.subarray(at)), decipher.final()]));
    },
  };
}

/**
 * PERSONAL_DATA_KEK_FILE: one KEK a line, oldest first, `<id> <64 hex digits>` (e.g. `2026-12 $(openssl rand -hex 32)`);
 * `#` comments and blank lines are skipped; the line `development` names the public development KEK (to move a
 * development set-up's keys onto a real one). Without a file: the development KEK alone.
 */
export function readKeyEncryptionKeys(file: string | undefined): KeyEncryptionKeys {
  if (!file) return keyEncryptionKeys([{ id: DEVELOPMENT_KEK_ID, key: DEVELOPMENT_KEK }]);
  const keks = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line, index) => {
      if (line === DEVELOPMENT_KEK_ID) return { id: DEVELOPMENT_KEK_ID, key: DEVELOPMENT_KEK };
      const match = /^([A-Za-z0-9._:-]{1,64})\s+([0-9a-fA-F]{64})$/.exec(line);
      if (!match) throw new Error(`${file}, key ${index + 1}: expected "<id> <64 hex digits>" (e.g. "2026-12 $(openssl rand -hex 32)")`);
      return { id: match[1] as string, key: Buffer.from(match[2] as string, 'hex') };
    });
  if (keks.length === 0) throw new Error(`${file} holds no key-encryption key`);
  if (new Set(keks.map((kek) => kek.id)).size !== keks.length) throw new Error(`${file} names one KEK id twice`);
  return keyEncryptionKeys(keks);
}

/** The key vault as the application sees it: raw keys in and out, only wrapped ones stored. */
export function wrappingKeyVault(store: KeyVaultStore, keks: KeyEncryptionKeys): KeyVaultStore {
  const unwrap = (subject: string, stored: Buffer | null): Promise<Buffer | null> =>
    stored === null ? Promise.resolve(null) : keks.unwrap(subject, stored);
  return {
    key: async (subject) => unwrap(subject, await store.key(subject)),
    keyOrCreate: async (subject, fresh) => unwrap(subject, await store.keyOrCreate(subject, await keks.wrap(subject, fresh))),
    keysOrCreate: async (entries) => {
      const wrapped = await Promise.all(entries.map(async ({ subject, fresh }) => ({ subject, fresh: await keks.wrap(subject, fresh) })));
      const stored = await store.keysOrCreate(wrapped);
      return Promise.all(stored.map((key, index) => unwrap(entries[index]?.subject ?? '', key)));
    },
    isErased: (subject) => store.isErased(subject),
    erase: (subject, at) => store.erase(subject, at),
    // The stored (wrapped) bytes, for the rotation: never unwrapped here.
    storedKeys: (after, limit) => store.storedKeys(after, limit),
    replaceKey: (subject, from, to) => store.replaceKey(subject, from, to),
  };
}

/**
 * KEK rotation (`npm run keys:rewrap`): every stored key not wrapped under the newest KEK (raw ones of an older build
 * included) is wrapped under it, each replaced only if unchanged meanwhile (an erasure wins). Afterwards the older
 * KEKs wrap nothing live and can be destroyed. Works on the stored bytes of `store` (the unwrapped-level vault).
 */
export async function rewrapKeys(
  store: KeyVaultStore,
  keks: KeyEncryptionKeys,
  pageSize = 500,
): Promise<{ rewrapped: number; alreadyCurrent: number }> {
  let after = '';
  let rewrapped = 0;
  let alreadyCurrent = 0;
  for (;;) {
    const page = await store.storedKeys(after, pageSize);
    for (const { subject, key } of page) {
      after = subject;
      if (keks.kekIdOf(key) === keks.currentId) {
        alreadyCurrent += 1;
        continue;
      }
      const fresh = await keks.wrap(subject, await keks.unwrap(subject, key));
      if (await store.replaceKey(subject, key, fresh)) rewrapped += 1;
    }
    if (page.length < pageSize) return { rewrapped, alreadyCurrent };
  }
}
