import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig, DEVELOPMENT_JWT_SECRET } from '@recert/kernel';

const VERSION = 'u1';

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

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
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
    // The pattern has both groups: the defaults never apply.
    const [, id = '', mac = ''] = match;
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
