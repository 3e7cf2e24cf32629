import { Logger } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CredentialsConfig } from '@recert/kernel';

/** One Ed25519 key of the issuer as the key file holds it (a private JWK), with its key id. */
export interface StoredIssuerKey {
  kid: string;
  createdAt: string;
  privateJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };
}

export interface IssuerKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

/**
 * The issuer's signing keys, from ISSUER_KEY_FILE (`{ "keys": [ … ] }`, oldest first): the newest signs, and every one
 * stays in the DID document so that credentials signed before a rotation still verify. Without ISSUER_KEY_FILE a
 * development key is generated on first start in DATA_DIR, with a loud warning (like the JWT secret).
 */
export class IssuerKeys {
  readonly keys: readonly IssuerKey[];

  constructor(stored: readonly StoredIssuerKey[]) {
    if (stored.length === 0) throw new Error('The issuer key file holds no key');
    this.keys = stored.map((key) => {
      if (
        key.privateJwk?.kty !== 'OKP' ||
        key.privateJwk.crv !== 'Ed25519' ||
        typeof key.kid !== 'string' ||
        !/^[\w.-]{1,64}$/.test(key.kid)
      )
        throw new Error(`Issuer key ${String(key.kid)}: an Ed25519 private JWK and a kid of letters, digits, dots and dashes are needed`);
      const privateKey = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
      const { x } = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string };
      return { kid: key.kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x } };
    });
  }

  /** The key that signs: the newest, last in the file. */
  get signing(): IssuerKey {
    return this.keys[this.keys.length - 1] as IssuerKey;
  }

  static generate(kid: string, createdAt: Date): StoredIssuerKey {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' }) as StoredIssuerKey['privateJwk'];
    return { kid, createdAt: createdAt.toISOString(), privateJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d } };
  }

  static load(config: CredentialsConfig, now: Date): IssuerKeys {
    const file = config.issuerKeyFile;
    if (config.issuerKeyIsDevelopment) {
      new Logger('Config').warn(
        `!!! ISSUER_KEY_FILE is not set: credentials are signed with a DEVELOPMENT KEY kept in ${file}. Never run like this in production. !!!`,
      );
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify({ keys: [IssuerKeys.generate('dev-1', now)] }, null, 2), { mode: 0o600, flag: 'wx' });
      }
    }
    if (!existsSync(file)) throw new Error(`ISSUER_KEY_FILE does not exist: ${file}`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: StoredIssuerKey[] };
    return new IssuerKeys(parsed.keys ?? []);
  }
}

export const ISSUER_KEYS = Symbol('ISSUER_KEYS');
