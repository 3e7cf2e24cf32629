export const LEVELS = ['fundamentals', 'associate', 'expert', 'specialty'] as const;
export type Level = (typeof LEVELS)[number];

export interface Certification {
  code: string;
  exam: string;
  name: string;
  level: Level;
  /** Any-of list of certification codes; experts only. */
  prerequisites: string[];
  languages: string[];
  assessmentVersion: string;
  /** The certification's name in other languages (BCP 47 tag -> name); `name` is the English one. */
  names?: Record<string, string>;
  /** Where a holder takes the renewal assessment: `{code}` and `{language}` are filled in by the page. */
  renewalAssessmentUrl?: string;
  /** Where the exam that earns the certification is taken (an expired holding earns it again): `{code}`, `{language}`. */
  examUrl?: string;
  /** Free modules that prepare for the renewal assessment, per language (BCP 47 tag), #29. */
  preparation?: Record<string, PreparationModule[]>;
}

/** One free, self-paced learning module (#29): what the holder may study before the renewal assessment. */
export interface PreparationModule {
  title: string;
  url: string;
  /** How long it takes, in minutes. */
  minutes: number;
}

/** What a holder needs to renew or earn again, in one language: the links filled in and the modules (#29). */
export interface RenewalGuide {
  assessmentUrl: string | null;
  examUrl: string | null;
  modules: PreparationModule[];
}

/** The catalog's language for a tag: exact (case-insensitive), else English, else the first one given. */
function pick<T>(byLanguage: Record<string, T> | undefined, language: string): T | undefined {
  if (!byLanguage) return undefined;
  const exact = Object.keys(byLanguage).find((tag) => tag.toLowerCase() === language.toLowerCase());
  const key = exact ?? ('en' in byLanguage ? 'en' : Object.keys(byLanguage)[0]);
  return key === undefined ? undefined : byLanguage[key];
}

const fillUrl = (template: string | undefined, code: string, language: string): string | null =>
  template ? template.replaceAll('{code}', encodeURIComponent(code)).replaceAll('{language}', encodeURIComponent(language)) : null;

/** #29: the renewal assessment and exam links and the preparation modules of a certification for one language. */
export function renewalGuide(certification: Certification, language: string): RenewalGuide {
  return {
    assessmentUrl: fillUrl(certification.renewalAssessmentUrl, certification.code, language),
    examUrl: fillUrl(certification.examUrl, certification.code, language),
    modules: pick(certification.preparation, language) ?? [],
  };
}

/** The certification's name in a language, where the catalog gives one, else its English name. */
export function certificationNameIn(certification: Certification, language: string): string {
  const names = certification.names ?? {};
  const exact = Object.keys(names).find((tag) => tag.toLowerCase() === language.toLowerCase());
  return (exact ? names[exact] : undefined) ?? certification.name;
}

/** The catalog of certifications, loaded from CATALOG_FILE and checked once at start-up. */
export class Catalog {
  private readonly byCode: Map<string, Certification>;

  constructor(readonly entries: readonly Certification[]) {
    this.byCode = new Map(entries.map((entry) => [entry.code, entry]));
  }

  get(code: string): Certification | undefined {
    return this.byCode.get(code);
  }

  codes(): string[] {
    return [...this.byCode.keys()];
  }

  static parse(raw: unknown, source = 'catalog'): Catalog {
    if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${source}: the catalog must be a non-empty array`);
    const entries = raw.map((item: unknown, index): Certification => {
      const where = `${source}[${index}]`;
      if (typeof item !== 'object' || item === null) throw new Error(`${where}: not an object`);
      const e = item as Record<string, unknown>;
      const text = (key: string): string => {
        const value = e[key];
        if (typeof value !== 'string' || value.length === 0) throw new Error(`${where}.${key}: a non-empty string is required`);
        return value;
      };
      const list = (key: string): string[] => {
        const value = e[key] ?? [];
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
          throw new Error(`${where}.${key}: a list of strings is required`);
        return value as string[];
      };
      const level = text('level');
      if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`${where}.level: one of ${LEVELS.join(', ')}`);
      const code = text('code');
      if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(code)) throw new Error(`${where}.code: lower-case letters, digits and dashes`);
      return {
        code,
        exam: typeof e['exam'] === 'string' ? e['exam'] : code,
        name: text('name'),
        level: level as Level,
        prerequisites: list('prerequisites'),
        languages: list('languages'),
        assessmentVersion: typeof e['assessmentVersion'] === 'string' ? e['assessmentVersion'] : '1',
        ...optionalPresentation(e, where),
      };
    });
    const catalog = new Catalog(entries);
    if (catalog.byCode.size !== entries.length) throw new Error(`${source}: certification codes must be unique`);
    for (const entry of entries) {
      if (entry.prerequisites.length > 0 && entry.level !== 'expert')
        throw new Error(`${source}: only experts have prerequisites (${entry.code})`);
      for (const prerequisite of entry.prerequisites) {
        if (!catalog.byCode.has(prerequisite)) throw new Error(`${source}: ${entry.code} names unknown prerequisite ${prerequisite}`);
      }
      if (entry.languages.length === 0) throw new Error(`${source}: ${entry.code} offers no language`);
    }
    return catalog;
  }
}

/** The optional fields the pages and messages use: per-language names, URL templates, preparation modules. */
function optionalPresentation(
  e: Record<string, unknown>,
  where: string,
): Pick<Certification, 'names' | 'renewalAssessmentUrl' | 'examUrl' | 'preparation'> {
  const names = e['names'];
  if (names !== undefined && (typeof names !== 'object' || names === null || Object.values(names).some((v) => typeof v !== 'string')))
    throw new Error(`${where}.names: an object of language -> name strings is required`);
  const url = e['renewalAssessmentUrl'];
  if (url !== undefined && (typeof url !== 'string' || !/^https:\/\/[^\s]+$/.test(url)))
    throw new Error(`${where}.renewalAssessmentUrl: an https URL template is required`);
  const examUrl = e['examUrl'];
  if (examUrl !== undefined && (typeof examUrl !== 'string' || !/^https:\/\/[^\s]+$/.test(examUrl)))
    throw new Error(`${where}.examUrl: an https URL template is required`);
  return {
    ...(names !== undefined ? { names: names as Record<string, string> } : {}),
    ...(url !== undefined ? { renewalAssessmentUrl: url } : {}),
    ...(examUrl !== undefined ? { examUrl } : {}),
    ...(e['preparation'] !== undefined ? { preparation: parsePreparation(e['preparation'], `${where}.preparation`) } : {}),
  };
}

/** #29: `{ "<language>": [{ "title", "url" (https), "minutes" (1-6000) }] }`. */
function parsePreparation(raw: unknown, where: string): Record<string, PreparationModule[]> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${where}: an object of language -> modules is required`);
  const result: Record<string, PreparationModule[]> = {};
  for (const [language, modules] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(modules)) throw new Error(`${where}.${language}: a list of modules is required`);
    result[language] = modules.map((item: unknown, index): PreparationModule => {
      const m = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      const at = `${where}.${language}[${index}]`;
      if (typeof m['title'] !== 'string' || m['title'].length === 0) throw new Error(`${at}.title: a non-empty string is required`);
      if (typeof m['url'] !== 'string' || !/^https:\/\/[^\s]+$/.test(m['url'])) throw new Error(`${at}.url: an https URL is required`);
      const minutes = m['minutes'];
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 6000)
        throw new Error(`${at}.minutes: a whole number of minutes (1-6000) is required`);
      return { title: m['title'], url: m['url'], minutes };
    });
  }
  return result;
}
