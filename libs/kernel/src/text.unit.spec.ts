import { canonicalSubject, isSafeText, sameActor, unsafeTextFields } from './text';

describe('stored text (#22.10)', () => {
  it.each([
    'a\u0000b',
    'a\nb',
    'a\tb',
    'a\u007fb',
    'a\u0085b',
    'a\u061cb',
    'a\u200eb',
    'a\u202eb',
    'a\u2067b',
    'a\u2028b',
    'a\ud800b',
    'a\udc00b',
    '\udbff',
  ])('R45: %j is refused', (text) => expect(isSafeText(text)).toBe(false));

  it.each(['Ada Lovelace', 'Prüfung 審查', '👩‍💻', 'न्‍', 'مرحبا', ''])('R45: %j is accepted (any script, joiners, emoji)', (text) =>
    expect(isSafeText(text)).toBe(true),
  );

  it('R45: every string of a body is checked, keys too, by its path', () => {
    expect(unsafeTextFields({ reason: 'ok', policy: { version: 'v\u0000', list: ['a', 'b\u202e'] }, 'k\u2066': 1 })).toEqual([
      { field: 'policy.version', message: expect.stringContaining('control character (U+0000)') },
      { field: 'policy.list[1]', message: expect.stringContaining('bidirectional') },
      { field: 'body', message: expect.stringContaining('a field name') },
    ]);
  });

  it('R45: a token subject is refused with unsafe characters or blank, and kept as NFC without surrounding white space', () => {
    expect(canonicalSubject(' Jose\u0301 ')).toBe('Jos\u00e9');
    expect(canonicalSubject('Alice')).toBe('Alice');
    for (const bad of ['', '  ', 'a\u0000', 'a\ud800', 'a\u202e', 'x'.repeat(201), 42, undefined])
      expect(() => canonicalSubject(bad)).toThrow();
  });

  it('R45 R22: four eyes compare actors folded (NFKC, white space, case), failing closed', () => {
    expect(sameActor('alice', ' ALICE ')).toBe(true);
    expect(sameActor('Jos\u00e9', 'jose\u0301')).toBe(true);
    expect(sameActor('\uff41lice', 'alice')).toBe(true);
    expect(sameActor('ann  smith', 'Ann Smith')).toBe(true);
    expect(sameActor('alice', 'bob')).toBe(false);
  });
});
