/**
 * The pages' languages: message catalogs are data files (locales/*.json) a translator edits, loaded lazily, one per
 * language; dates, numbers and durations go through Intl in the visitor's own time zone.
 */
import i18next from 'i18next';
import { remaining } from './urgency';

export const LANGUAGES = ['en', 'zh-Hant', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Each language's own name, for the switcher (never translated). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-Hant': '繁體中文', ja: '日本語' };
/** The regional form Intl formats each language with (day-month-year for English, as the product always has). */
const LOCALES: Record<Language, string> = { en: 'en-GB', 'zh-Hant': 'zh-Hant-TW', ja: 'ja-JP' };
const PREFERENCE_KEY = 'recert.language';

/** BCP 47 tags compare without regard to case; Traditional Chinese is zh-Hant or a region that writes it. */
export function matchLanguage(tag: string): Language | undefined {
  const t = tag.trim().toLowerCase();
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (t === 'ja' || t.startsWith('ja-')) return 'ja';
  if (t === 'zh-hant' || t.startsWith('zh-hant-') || t === 'zh-tw' || t === 'zh-hk' || t === 'zh-mo') return 'zh-Hant';
  return undefined;
}

/**
 * The holder's preference kept by the server first (`preferred`), then a choice made in this browser, then the
 * browser's languages (what it sends as Accept-Language), then English.
 */
export function chooseLanguage(preferred?: string | null): Language {
  const fromPreference = preferred ? matchLanguage(preferred) : undefined;
  if (fromPreference) return fromPreference;
  const chosen = localStorage.getItem(PREFERENCE_KEY);
  const fromChoice = chosen ? matchLanguage(chosen) : undefined;
  if (fromChoice) return fromChoice;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const match = matchLanguage(tag);
    if (match) return match;
  }
  return 'en';
}

export function rememberLanguage(language: Language): void {
  localStorage.setItem(PREFERENCE_KEY, language);
}

const missing = new Set<string>();

/** Loads the language's catalog (and English, the fallback) and makes it current. */
export async function useLanguage(language: Language): Promise<void> {
  if (!i18next.isInitialized) {
    await i18next.init({
      lng: language,
      fallbackLng: 'en',
      resources: {},
      interpolation: { escapeValue: false }, // Preact escapes what it renders
      saveMissing: true,
      missingKeyHandler: (lngs, _ns, key) => {
        missing.add(`${lngs.join(',')}:${key}`);
        document.documentElement.dataset['missingKeys'] = String(missing.size);
      },
    });
  }
  for (const lng of language === 'en' ? ['en'] : [language, 'en']) {
    if (i18next.hasResourceBundle(lng, 'translation')) continue;
    const module = (await import(`./locales/${lng}.json`)) as { default: Record<string, unknown> };
    i18next.addResourceBundle(lng, 'translation', module.default, true, true);
  }
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
  document.documentElement.dataset['missingKeys'] = String(missing.size);
}

export function currentLanguage(): Language {
  return matchLanguage(i18next.language ?? 'en') ?? 'en';
}

/** A message of the current language (English where a key is missing, which the missing-key count reports). */
export function t(key: string, values: Record<string, unknown> = {}): string {
  return String(i18next.t(key, values as { defaultValue?: string }));
}

function locale(): string {
  return LOCALES[currentLanguage()];
}

let preferredZone: string | null = null;

/** The holder's preferred zone (from the server), or null for the browser's own. */
export function useTimeZone(zone: string | null): void {
  preferredZone = zone;
}

/** The browser's own zone. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The zone every time on the pages is shown in, and named: the holder's preference, else the browser's. */
export function timeZone(): string {
  return preferredZone ?? browserTimeZone();
}

/** Zones most holders live in, offered first (#27.5); the rest follow in Intl's order. */
const COMMON_ZONES = [
  'UTC',
  'Asia/Taipei',
  'Asia/Hong_Kong',
  'Asia/Tokyo',
  'Asia/Shanghai',
  'Asia/Singapore',
  'Asia/Seoul',
  'Asia/Kolkata',
  'Australia/Sydney',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Sao_Paulo',
];

/** Every IANA zone the browser knows, for the preference's choice. */
export function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: 'timeZone') => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return supported.includes(timeZone()) ? supported : [timeZone(), ...supported];
}

/**
 * The zone picker's two groups: the holder's own zone, the browser's and the common ones first (those Intl knows),
 * then every other zone; both narrowed to the ones whose id or short name contains `search` (case-insensitive).
 */
export function zoneChoices(search: string, at: string): { common: string[]; others: string[] } {
  const all = timeZones();
  const known = new Set([...all, 'UTC']);
  const first = [...new Set([timeZone(), browserTimeZone(), ...COMMON_ZONES])].filter((zone) => known.has(zone));
  const wanted = search.trim().toLowerCase().replaceAll(' ', '_');
  const matches = (zone: string): boolean =>
    wanted === '' || zone.toLowerCase().includes(wanted) || zoneName(at, zone).toLowerCase().includes(wanted);
  return { common: first.filter(matches), others: all.filter((zone) => !first.includes(zone) && matches(zone)) };
}

export function date(iso: string | null | undefined): string {
  return iso
    ? new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: timeZone() }).format(new Date(iso))
    : '—';
}

/** The zone's short name at that instant ("GMT+8", "EST", "GMT"), as the page's language writes it. */
export function zoneName(iso: string, zone: string = timeZone()): string {
  const parts = new Intl.DateTimeFormat(locale(), { timeZoneName: 'short', timeZone: zone }).formatToParts(new Date(iso));
  return parts.find((part) => part.type === 'timeZoneName')?.value ?? zone;
}

/**
 * A moment to the minute, in the visitor's zone, with the zone's short name after it: the hour as the language
 * writes it (zh-Hant "下午4:00", not "下午04:00"), and the zone apart, never bracketed ("[GMT+8]").
 */
export function dateTime(iso: string): string {
  const at = new Intl.DateTimeFormat(locale(), {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: timeZone(),
  }).format(new Date(iso));
  return `${at} ${zoneName(iso)}`;
}

/** A calendar month (UTC, as the reports count them), "Jan 2026" or "January 2026" in the page's language. */
export function monthLabel(iso: string, style: 'short' | 'long'): string {
  return new Intl.DateTimeFormat(locale(), { month: style, year: 'numeric', timeZone: 'UTC' }).format(new Date(iso));
}

export function number(value: number): string {
  return new Intl.NumberFormat(locale()).format(value);
}

export function percent(value: number): string {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

/**
 * "in 3 days", "in 5 hours", "2 days ago": from the domain's now (the dashboard's asOf), not the browser's clock, in
 * the whole units R105's `remaining` counts (so "3 days left" and "in 3 days" agree).
 */
export function relative(iso: string, now: string): string {
  const left = remaining(iso, now);
  return new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' }).format(left.past ? -left.count : left.count, left.unit);
}

/** A certification's name in the page's language where the catalog gives one. */
export function localName(cert: { name: string; names?: Record<string, string> }): string {
  const names = cert.names ?? {};
  const wanted = currentLanguage().toLowerCase();
  const found = Object.keys(names).find((tag) => tag.toLowerCase() === wanted);
  return found ? (names[found] ?? cert.name) : cert.name;
}
