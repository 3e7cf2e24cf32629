import { WINDOW_OPENS } from '@recert/domain';
import en from './messages/en.json';
import zhHant from './messages/zh-Hant.json';
import type { HolderReminderPreferences } from './reminder-preferences';

type MessageCatalog = typeof en;
/** Message catalogs are data (messages/*.json): a language is added by adding a file and a line here. */
const CATALOGS: Record<string, MessageCatalog> = { en, 'zh-Hant': zhHant };
const PREFERENCE_NAMES: Record<string, Record<HolderReminderPreferences['reminders'], string>> = {
  en: { all: 'every reminder', 'last-only': 'the last reminder only' },
  'zh-Hant': { all: '所有提醒', 'last-only': '僅最後一次提醒' },
};

/** The catalog's language for a tag: exact (case-insensitive), then the tag without its last subtag, then `en`. */
export function catalogLanguage(tag: string): string {
  const known = Object.keys(CATALOGS);
  for (let candidate = tag; candidate.length > 0; candidate = candidate.slice(0, Math.max(0, candidate.lastIndexOf('-')))) {
    const found = known.find((language) => language.toLowerCase() === candidate.toLowerCase());
    if (found) return found;
  }
  return 'en';
}

export interface ReminderFacts {
  reminderId: string;
  offset: string;
  certificationCode: string;
  certificationName: string;
  displayName: string | null;
  windowOpensAt: string;
  expiresAt: string;
  now: Date;
}

export interface RenderedReminder {
  language: string;
  subject: string;
  text: string;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** A reminder in the holder's language, its dates in the holder's time zone (Intl); an unknown zone falls back to UTC. */
export function renderReminder(facts: ReminderFacts, preferences: HolderReminderPreferences): RenderedReminder {
  const language = catalogLanguage(preferences.language);
  const catalog = CATALOGS[language] as MessageCatalog;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: preferences.timeZone });
  } catch {
    format = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: 'UTC' });
  }
  const values = {
    certificationName: facts.certificationName,
    certificationCode: facts.certificationCode,
    displayName: facts.displayName ?? '',
    expiresOn: format.format(new Date(facts.expiresAt)),
    windowOpensOn: format.format(new Date(facts.windowOpensAt)),
    daysLeft: String(Math.max(0, Math.ceil((Date.parse(facts.expiresAt) - facts.now.getTime()) / 86_400_000))),
    preference: (PREFERENCE_NAMES[language] ?? (PREFERENCE_NAMES['en'] as Record<string, string>))[preferences.reminders] ?? '',
  };
  const lines = [
    fill(catalog.greeting, values).trim(),
    '',
    fill(facts.offset === WINDOW_OPENS ? catalog.windowOpens : catalog.body, values),
    '',
    fill(catalog.signOff, values),
    '',
  ];
  return { language, subject: fill(catalog.subject, values), text: lines.join('\r\n') };
}
