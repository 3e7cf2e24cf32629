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

/** The optional fields only the pages use: per-language names and the renewal assessment's URL template. */
function optionalPresentation(e: Record<string, unknown>, where: string): Pick<Certification, 'names' | 'renewalAssessmentUrl'> {
  const names = e['names'];
  if (names !== undefined && (typeof names !== 'object' || names === null || Object.values(names).some((v) => typeof v !== 'string')))
    throw new Error(`${where}.names: an object of language -> name strings is required`);
  const url = e['renewalAssessmentUrl'];
  if (url !== undefined && (typeof url !== 'string' || !/^https:\/\/[^\s]+$/.test(url)))
    throw new Error(`${where}.renewalAssessmentUrl: an https URL template is required`);
  return {
    ...(names !== undefined ? { names: names as Record<string, string> } : {}),
    ...(url !== undefined ? { renewalAssessmentUrl: url } : {}),
  };
}
