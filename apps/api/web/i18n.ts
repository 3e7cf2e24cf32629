/**
 * The pages' languages: message catalogs are data files (locales/*.json) a translator edits, loaded lazily, one per
 * language; dates, numbers and durations go through Intl in the visitor's own time zone.
 */
import i18next from 'i18next';

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

/** Every IANA zone the browser knows, for the preference's choice. */
export function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: 'timeZone') => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return supported.includes(timeZone()) ? supported : [timeZone(), ...supported];
}

export function date(iso: string | null | undefined): string {
  return iso
    ? new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: timeZone() }).format(new Date(iso))
    : '—';
}

/** A moment to the minute, in the visitor's zone, with the zone named. */
export function dateTime(iso: string): string {
  // dateStyle/timeStyle cannot be combined with timeZoneName: spell the parts out.
  return new Intl.DateTimeFormat(locale(), {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone: timeZone(),
  }).format(new Date(iso));
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

/** "in 3 days", "in 5 hours", "2 days ago": from the domain's now (the dashboard's asOf), not the browser's clock. */
export function relative(iso: string, now: string): string {
  const ms = Date.parse(iso) - Date.parse(now);
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(ms);
  if (abs >= 86_400_000) return format.format(Math.round(ms / 86_400_000), 'day');
  if (abs >= 3_600_000) return format.format(Math.round(ms / 3_600_000), 'hour');
  return format.format(Math.max(1, Math.round(ms / 60_000)) * Math.sign(ms || 1), 'minute');
}

/** A certification's name in the page's language where the catalog gives one. */
export function localName(cert: { name: string; names?: Record<string, string> }): string {
  const names = cert.names ?? {};
  const wanted = currentLanguage().toLowerCase();
  const found = Object.keys(names).find((tag) => tag.toLowerCase() === wanted);
  return found ? (names[found] ?? cert.name) : cert.name;
}
