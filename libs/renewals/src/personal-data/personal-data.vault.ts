import { Inject, Injectable } from '@nestjs/common';
import { KEY_VAULT_STORE, KeyVaultStore } from '@recert/kernel';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedData } from '@recert/domain';

export interface PersonalData {
  displayName: string;
  email: string;
}

export const PERSONAL_DATA_VAULT = Symbol('PERSONAL_DATA_VAULT');

/**
 * Crypto-shredding: each profile's personal data is sealed in its events with a key of its own, kept outside the
 * log in the shared state's key vault (ADR 0004, 0008), which every process of the deployment reads. Erasing the
 * key makes every copy of those events unreadable for that person, without deleting or rewriting an event. Keys
 * are not cached: an erasure on one instance must hold on all of them at once.
 */
@Injectable()
export class PersonalDataVault {
  constructor(@Inject(KEY_VAULT_STORE) private readonly keys: KeyVaultStore) {}

  /** Seals any JSON value; webhook signing secrets use it too (#14.5), under a subject of their own. */
  async seal(subject: string, data: PersonalData | Record<string, string>): Promise<SealedData> {
    const key = await this.keys.keyOrCreate(subject, randomBytes(32));
    if (!key) throw new Error(`The personal data of ${subject} was erased`);
    return sealWith(key, subject, data);
  }

  /** Seals many subjects' data with their keys made in one transaction (#14.3: an import seals thousands of holders). */
  async sealMany(items: readonly { subject: string; data: PersonalData }[]): Promise<SealedData[]> {
    const keys = await this.keys.keysOrCreate(items.map(({ subject }) => ({ subject, fresh: randomBytes(32) })));
    return items.map(({ subject, data }, index) => {
      const key = keys[index];
      if (!key) throw new Error(`The personal data of ${subject} was erased`);
      return sealWith(key, subject, data);
    });
  }

  /** The data, or null once erased (or if the seal does not verify). */
  async open<T = PersonalData>(sealed: SealedData): Promise<T | null> {
    const key = await this.keys.key(sealed.keyId);
    if (!key) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  isErased(subject: string): Promise<boolean> {
    return this.keys.isErased(subject);
  }

  erase(subject: string, at: Date): Promise<void> {
    return this.keys.erase(subject, at);
  }
}

function sealWith(key: Buffer, subject: string, data: PersonalData | Record<string, string>): SealedData {
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
