import fc from 'fast-check';
import { formatDateTime, languageOfAcceptLanguage, localDate, startOfLocalDay } from './holder-i18n';

describe('#26.6 the visitor language from Accept-Language (R78)', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['ja', 'ja'],
    ['ja-JP,ja;q=0.9,en-US;q=0.8', 'ja'],
    ['zh-TW,zh;q=0.9', 'zh-Hant'],
    ['zh-Hant-HK', 'zh-Hant'],
    ['zh-CN, ja;q=0.5', 'ja'],
    ['fr, ja;q=0.5, en;q=0.7', 'en'],
    ['en;q=0.2, ja;q=0.8', 'ja'],
    ['ja;q=0, en', 'en'],
    ['ja;q=0', 'en'],
    ['de, *;q=0.5', 'en'],
    ['EN-gb', 'en'],
    ['ja ; q=0.5 , zh-Hant ; q=0.6', 'zh-Hant'],
  ])('R78: %p chooses %p (q-values first, ties in order; q=0 refuses; nothing acceptable is English)', (header, language) => {
    expect(languageOfAcceptLanguage(header)).toBe(language);
  });

  it('R78: any header, however hostile, gives one of the three languages and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (header) => {
        expect(['en', 'zh-Hant', 'ja']).toContain(languageOfAcceptLanguage(header));
      }),
      { numRuns: 500 },
    );
  });
});

describe('#26 dates in a named zone', () => {
  it('R75: the local date and the start of a local day follow the zone, across a DST change', () => {
    expect(localDate(new Date('2027-01-01T00:00:00Z'), 'America/Los_Angeles')).toBe('2026-12-31');
    expect(localDate(new Date('2027-01-01T00:00:00Z'), 'Asia/Tokyo')).toBe('2027-01-01');
    expect(startOfLocalDay('2026-12-24', 'America/Los_Angeles').toISOString()).toBe('2026-12-24T08:00:00.000Z');
    expect(startOfLocalDay('2026-07-01', 'America/Los_Angeles').toISOString()).toBe('2026-07-01T07:00:00.000Z');
    // 8 March 2026: Los Angeles springs forward at 02:00, after the day's midnight (still PST).
    expect(startOfLocalDay('2026-03-08', 'America/Los_Angeles').toISOString()).toBe('2026-03-08T08:00:00.000Z');
    expect(startOfLocalDay('2026-03-09', 'America/Los_Angeles').toISOString()).toBe('2026-03-09T07:00:00.000Z');
  });

  it('R78: a date and time says its zone, in each language', () => {
    expect(formatDateTime('2027-01-01T00:00:00Z', 'en', 'UTC')).toBe('1 January 2027 00:00 (UTC)');
    expect(formatDateTime('2027-01-01T00:00:00Z', 'ja', 'Asia/Tokyo')).toBe('2027年1月1日 09:00 (Asia/Tokyo)');
    expect(formatDateTime('2027-01-01T00:00:00Z', 'zh-Hant', 'Asia/Taipei')).toBe('2027年1月1日 08:00 (Asia/Taipei)');
  });
});
