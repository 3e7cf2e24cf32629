import { canonicalTimeZone, PREFERENCE_LANGUAGES, PreferenceLanguage } from '@recert/domain';
import en from './locales/en.json';
import ja from './locales/ja.json';
import zhHant from './locales/zh-Hant.json';

/**
 * What recert hands a holder or a visitor outside the pages (the verification page, the PDF certificate, the
 * calendar file) in their language: catalogs are data (locales/*.json) a translator edits, typed against English so
 * a missing key fails the build; dates go through Intl in a named time zone (#26.4–6).
 */
export type Language = PreferenceLanguage;
export type Messages = typeof en;
const CATALOGS: Record<Language, Messages> = { en, 'zh-Hant': zhHant, ja };
/** The regional form Intl formats each language with: the one the holder's pages use. */
const LOCALES: Record<Language, string> = { en: 'en-GB', 'zh-Hant': 'zh-Hant-TW', ja: 'ja-JP' };

export function messages(language: Language): Messages {
  return CATALOGS[language];
}

/** `{name}` placeholders filled from `values`; an unknown one is left as written. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** The language a BCP 47 tag names: its primary language, and for Chinese a Traditional script or region. */
export function matchLanguage(tag: string): Language | undefined {
  const t = tag.trim().toLowerCase();
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (t === 'ja' || t.startsWith('ja-')) return 'ja';
  if (t === 'zh-hant' || t.startsWith('zh-hant-') || /^zh-(tw|hk|mo)(-|$)/.test(t)) return 'zh-Hant';
  return PREFERENCE_LANGUAGES.find((language) => language.toLowerCase() === t);
}

/**
 * The best of our languages for an Accept-Language header (RFC 9110 §12.5.4): by q-value, ties in the order given;
 * `q=0` refuses a language, `*` takes English; nothing acceptable, or no header, is English too.
 */
export function languageOfAcceptLanguage(header: string | undefined): Language {
  const ranges = (header ?? '')
    .split(',')
    .map((part, order) => {
      const [range = '', ...params] = part.split(';').map((p) => p.trim());
      const q = params.map((p) => /^q=([01](?:\.\d{0,3})?)$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { range, q: q === undefined ? 1 : Number(q), order };
    })
    .filter((r) => r.range.length > 0 && r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { range } of ranges) {
    if (range === '*') return 'en';
    const language = matchLanguage(range);
    if (language) return language;
  }
  return 'en';
}

/** A zone Intl knows (canonically spelled), else the fallback. */
export function zoneOr(zone: string | null | undefined, fallback = 'UTC'): string {
  return (zone && canonicalTimeZone(zone)) || fallback;
}

/** A calendar day in `zone`, e.g. 31 December 2026 / 2026年12月31日. */
export function formatDay(iso: string, language: Language, zone: string): string {
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'long', timeZone: zone }).format(new Date(iso));
}

/** The time of day in `zone`, 24-hour, e.g. 16:00. */
export function formatTime(iso: string, language: Language, zone: string): string {
  return new Intl.DateTimeFormat(LOCALES[language], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }).format(
    new Date(iso),
  );
}

/** Day and time in `zone`, with the zone named, so a reader anywhere knows which moment it is. */
export function formatDateTime(iso: string, language: Language, zone: string): string {
  return `${formatDay(iso, language, zone)} ${formatTime(iso, language, zone)} (${zone})`;
}

/** The calendar date (YYYY-MM-DD) that the instant falls on in `zone`. */
export function localDate(instant: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: zone }).formatToParts(
    instant,
  );
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The instant local midnight of `date` (YYYY-MM-DD) is in `zone` (the first instant of that day there). */
export function startOfLocalDay(date: string, zone: string): Date {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  // The zone's offset at a moment near that midnight, applied twice so a DST change on the day itself is honoured.
  let guess = utcMidnight;
  for (let i = 0; i < 2; i++) guess = utcMidnight - offsetMs(new Date(guess), zone);
  return new Date(guess);
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetMs(instant: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const n = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
