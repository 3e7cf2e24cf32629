import { createHash } from 'node:crypto';
import { type CredentialsConfig, settingsProvider } from '@recert/kernel';

/** The settings verification, credentials and certificates read (#28.4): where they are published, and by whom. */
export type IssuerSettings = Pick<CredentialsConfig, 'publicBaseUrl' | 'issuerName'>;
export const ISSUER_SETTINGS = Symbol('ISSUER_SETTINGS');
export const issuerSettings = settingsProvider(
  ISSUER_SETTINGS,
  (config): IssuerSettings => ({ publicBaseUrl: config.credentials.publicBaseUrl, issuerName: config.credentials.issuerName }),
);

/**
 * The issuer's did:web identity, from PUBLIC_BASE_URL: `https://example.org` is `did:web:example.org`, a port is
 * percent-encoded (`did:web:localhost%3A3000`) and a path adds segments (did:web method specification, section 3.1).
 * Its document is served at `/.well-known/did.json` (without a path) or `<path>/did.json`.
 */
export function didWebOf(publicBaseUrl: string): string {
  const url = new URL(publicBaseUrl);
  const host = url.port ? `${url.hostname}%3A${url.port}` : url.hostname;
  const path = url.pathname.split('/').filter((segment) => segment.length > 0);
  return ['did:web', host, ...path].join(':');
}

export interface IssuerProfile {
  id: string;
  type: ['Profile'];
  name: string;
  url: string;
}

export function issuerProfile(publicBaseUrl: string, name: string): IssuerProfile {
  return { id: didWebOf(publicBaseUrl), type: ['Profile'], name, url: publicBaseUrl };
}

/** A fixed namespace for recert's subject ids (RFC 9562 name-based UUIDs). */
const SUBJECT_NAMESPACE = Buffer.from('6f1d0c2e9b4a4f1e8a3c5d7e9f0b1c2d', 'hex');

/**
 * R70: `credentialSubject.id` (and the JWT's `sub`), a `urn:uuid` derived (UUID v5, SHA-1 name-based) from the
 * cycle's public verification id: stable for the credential's cycle, one per holding (two credentials of one holder
 * cannot be linked by it), and one-way: neither the verification id nor any profile, account, name or e-mail can be
 * read back from it. A `mailto:` or the holder's own DID would name the person in every copy of every credential.
 */
export function subjectIdOf(verificationId: string): string {
  const hash = createHash('sha1').update(SUBJECT_NAMESPACE).update(verificationId, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
