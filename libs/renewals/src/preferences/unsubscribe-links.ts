import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { DEVELOPMENT_JWT_SECRET, settingsProvider } from '@recert/kernel';

const VERSION = 'u1';

/** What the links read of the settings (#28.4): their secrets and the public base URL they point at. */
export interface UnsubscribeLinkSettings {
  messages: { linkSecret?: string | undefined };
  jwtSecret: string | undefined;
  credentials: { publicBaseUrl: string };
}
export const UNSUBSCRIBE_LINK_SETTINGS = Symbol('UNSUBSCRIBE_LINK_SETTINGS');
export const unsubscribeLinkSettings = settingsProvider(
  UNSUBSCRIBE_LINK_SETTINGS,
  (c): UnsubscribeLinkSettings => ({
    messages: { linkSecret: c.messages.linkSecret },
    jwtSecret: c.jwtSecret,
    credentials: { publicBaseUrl: c.credentials.publicBaseUrl },
  }),
);

/**
 * R81: the one-click unsubscribe link of a holder's messages (RFC 8058): `/unsubscribe/u1.<profileId>.<mac>`, the
 * profile id base64url-encoded and an HMAC-SHA256 of it under a key derived (HKDF) for this use only from
 * MESSAGE_LINK_SECRET, else AUTH_JWT_SECRET, so no one can unsubscribe a holder whose link they have not received, and
 * the link is no bearer token for anything else. Rotating the secret retires the links already sent (they answer 404).
 */
@Injectable()
export class UnsubscribeLinks {
  private readonly key: Buffer;
  private readonly base: string;

  constructor(@Inject(UNSUBSCRIBE_LINK_SETTINGS) config: UnsubscribeLinkSettings) {
    this.key = Buffer.from(
      hkdfSync('sha256', config.messages.linkSecret ?? config.jwtSecret ?? DEVELOPMENT_JWT_SECRET, 'recert', 'recert/unsubscribe/v1', 32),
    );
    this.base = config.credentials.publicBaseUrl;
  }

  token(profileId: string): string {
    const id = Buffer.from(profileId, 'utf8').toString('base64url');
    return `${VERSION}.${id}.${this.mac(id).toString('base64url')}`;
  }

  url(profileId: string): string {
    return `${this.base}/unsubscribe/${this.token(profileId)}`;
  }

  /** The profile a token names, or null for anything not minted here (compared in constant time). */
  profileOf(token: string): string | null {
    const match = /^u1\.([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, id, mac] = match as unknown as [string, string, string];
    // Compared as text: base64url's last character carries spare bits, so decoding would accept other spellings.
    const given = Buffer.from(mac);
    const expected = Buffer.from(this.mac(id).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return Buffer.from(id, 'base64url').toString('utf8');
  }

  private mac(id: string): Buffer {
    return createHmac('sha256', this.key).update(`${VERSION}.${id}`).digest();
  }
}
