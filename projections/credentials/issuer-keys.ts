import { Logger } from '@nestjs/common';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CredentialsConfig } from '@recert/kernel';

type Ed25519Jwk = { kty: 'OKP'; crv: 'Ed25519'; x: string };
type P256Jwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string };

/** One key of the issuer as the key file holds it (a private JWK: P-256 signs, Ed25519 only still verifies), with its key id. */
export interface StoredIssuerKey {
  kid: string;
  createdAt: string;
  privateJwk: (Ed25519Jwk | P256Jwk) & { d: string };
}

export interface IssuerKey {
  kid: string;
  /** ES256 for P-256, EdDSA for Ed25519. */
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  publicJwk: Ed25519Jwk | P256Jwk;
}

interface KeyFile {
  keys?: StoredIssuerKey[];
  /** R72: the secret the status-list indexes are drawn with (32+ bytes, base64url); default: derived from the oldest key. */
  statusIndexKey?: string;
}

function publicOf(stored: StoredIssuerKey): IssuerKey {
  const jwk = stored.privateJwk;
  const ed25519 = jwk?.kty === 'OKP' && jwk.crv === 'Ed25519';
  const p256 = jwk?.kty === 'EC' && jwk.crv === 'P-256';
  if ((!ed25519 && !p256) || typeof stored.kid !== 'string' || !/^[\w.-]{1,64}$/.test(stored.kid))
    throw new Error(
      `Issuer key ${String(stored.kid)}: a P-256 (or Ed25519) private JWK and a kid of letters, digits, dots and dashes are needed`,
    );
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string; y?: string };
  return ed25519
    ? { kid: stored.kid, alg: 'EdDSA', privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x: exported.x } }
    : { kid: stored.kid, alg: 'ES256', privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y as string } };
}

/**
 * The issuer's keys, from ISSUER_KEY_FILE (`{ "keys": [ … ] }`, oldest first): the newest P-256 key signs with ES256,
 * the algorithm Open Badges 3.0 verifiers accept (R70); every key, Ed25519 ones of earlier versions included, stays in
 * the DID document so that credentials signed before a rotation still verify. Without ISSUER_KEY_FILE a development
 * key is generated on first start in DATA_DIR, with a loud warning (like the JWT secret).
 */
export class IssuerKeys {
  readonly keys: readonly IssuerKey[];
  /** R72: the key of the status-list index permutation; stable for as long as the file keeps its oldest key. */
  readonly statusIndexKey: Buffer;

  constructor(stored: readonly StoredIssuerKey[], statusIndexKey?: string) {
    if (stored.length === 0) throw new Error('The issuer key file holds no key');
    this.keys = stored.map(publicOf);
    if (!this.keys.some((key) => key.alg === 'ES256'))
      throw new Error(
        'The issuer key file holds no P-256 key: Open Badges 3.0 verifiers accept ES256 or RS256 only. Add one (IssuerKeys.generate) after the Ed25519 keys.',
      );
    const explicit = statusIndexKey === undefined ? undefined : Buffer.from(statusIndexKey, 'base64url');
    if (explicit && explicit.length < 32) throw new Error('statusIndexKey: at least 32 bytes, base64url');
    const oldest = stored[0] as StoredIssuerKey;
    this.statusIndexKey =
      explicit ?? createHmac('sha256', Buffer.from(oldest.privateJwk.d, 'base64url')).update('recert status list indexes v1').digest();
  }

  /** The key that signs: the newest P-256 key. */
  get signing(): IssuerKey {
    return [...this.keys].reverse().find((key) => key.alg === 'ES256') as IssuerKey;
  }

  /** A new P-256 key (ES256), or an Ed25519 one for tests of files written before R70. */
  static generate(kid: string, createdAt: Date, type: 'P-256' | 'Ed25519' = 'P-256'): StoredIssuerKey {
    if (type === 'Ed25519') {
      const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { x: string; d: string };
      return { kid, createdAt: createdAt.toISOString(), privateJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d } };
    }
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as {
      x: string;
      y: string;
      d: string;
    };
    return { kid, createdAt: createdAt.toISOString(), privateJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d } };
  }

  static load(config: CredentialsConfig, now: Date): IssuerKeys {
    const file = config.issuerKeyFile;
    if (config.issuerKeyIsDevelopment) {
      new Logger('Config').warn(
        `!!! ISSUER_KEY_FILE is not set: credentials are signed with a DEVELOPMENT KEY kept in ${file}. Never run like this in production. !!!`,
      );
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        const fresh: KeyFile = { keys: [IssuerKeys.generate('dev-1', now)], statusIndexKey: randomBytes(32).toString('base64url') };
        writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
      } else {
        // A development key file of an earlier version holds Ed25519 keys only: a P-256 key joins them (R70).
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
        const keys = parsed.keys ?? [];
        if (!keys.some((key) => key.privateJwk?.kty === 'EC')) {
          writeFileSync(file, JSON.stringify({ ...parsed, keys: [...keys, IssuerKeys.generate(`dev-${keys.length + 1}`, now)] }, null, 2), {
            mode: 0o600,
          });
        }
      }
    }
    if (!existsSync(file)) throw new Error(`ISSUER_KEY_FILE does not exist: ${file}`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
    return new IssuerKeys(parsed.keys ?? [], parsed.statusIndexKey);
  }
}

export const ISSUER_KEYS = Symbol('ISSUER_KEYS');
