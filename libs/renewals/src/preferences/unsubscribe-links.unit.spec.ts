import type { AppConfig } from '@recert/kernel';
import { UnsubscribeLinks } from './unsubscribe-links';

const links = (jwtSecret: string, linkSecret?: string): UnsubscribeLinks =>
  new UnsubscribeLinks({
    jwtSecret,
    messages: { templatesDir: '', defaultLanguage: 'en', linkSecret },
    credentials: { publicBaseUrl: 'https://recert.example' },
  } as unknown as AppConfig);

describe('one-click unsubscribe links (#29)', () => {
  const a = links('a'.repeat(40));

  it('R81: a link names its profile and opens only with the key that signed it', () => {
    const token = a.token('林-1');
    expect(a.url('林-1')).toBe(`https://recert.example/unsubscribe/${token}`);
    expect(a.profileOf(token)).toBe('林-1');
    expect(links('b'.repeat(40)).profileOf(token)).toBeNull();
  });

  it('R81: a tampered id or signature, or anything else, names no profile', () => {
    const token = a.token('p-1');
    const [version, , mac] = token.split('.') as [string, string, string];
    expect(a.profileOf(`${version}.${Buffer.from('p-2').toString('base64url')}.${mac}`)).toBeNull();
    expect(a.profileOf(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    for (const junk of ['', 'u1', 'u1..', `u2.${token.slice(3)}`, `${token}.x`, 'x'.repeat(500)]) expect(a.profileOf(junk)).toBeNull();
  });

  it('R81: MESSAGE_LINK_SECRET, when set, signs instead of AUTH_JWT_SECRET', () => {
    const own = links('a'.repeat(40), 'm'.repeat(40));
    expect(own.token('p-1')).not.toBe(a.token('p-1'));
    expect(own.profileOf(a.token('p-1'))).toBeNull();
    expect(links('z'.repeat(40), 'm'.repeat(40)).profileOf(own.token('p-1'))).toBe('p-1');
  });
});
