/**
 * Free text that recert stores and shows (#22.10): reasons, names, versions, every string of a command's body, and
 * the token's subject recorded as the actor. Pure, so the domain compares actors with the same rules.
 */

/**
 * What no stored text may hold: control characters (C0, DEL, C1: NUL, escapes, line feeds), bidirectional
 * formatting (ALM, LRM, RLM, embeddings, overrides, isolates) that can disguise what a reader sees, line and
 * paragraph separators, and unpaired surrogates (ill-formed UTF-16: no UTF-8 encodes them, so PostgreSQL, JSON
 * exports and browsers each treat them differently). Joiners (ZWJ, ZWNJ) stay: some scripts and emoji need them.
 */
const UNSAFE = /[\p{Cc}\p{Cs}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/u;

/** Why a text may not be stored, or undefined when it may. */
export function unsafeTextProblem(text: string): string | undefined {
  const match = UNSAFE.exec(text);
  if (!match) return undefined;
  const code = (match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  const what = /\p{Cs}/u.test(match[0])
    ? 'an unpaired surrogate'
    : /\p{Cc}/u.test(match[0])
      ? 'a control character'
      : 'a bidirectional or line formatting character';
  return `holds ${what} (U+${code}): control, bidirectional formatting and unpaired surrogate characters are not allowed`;
}

export function isSafeText(text: string): boolean {
  return !UNSAFE.test(text);
}

/**
 * Every string of a parsed JSON value (keys included) that may not be stored, by its path (`a.b[2].c`).
 * JSON bodies are at most 32 levels deep (`assertJsonDepth`), so the recursion is bounded.
 */
export function unsafeTextFields(value: unknown, path = ''): { field: string; message: string }[] {
  if (typeof value === 'string') {
    const problem = unsafeTextProblem(value);
    return problem ? [{ field: path || 'body', message: `${path || 'body'} ${problem}` }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => unsafeTextFields(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const field = path ? `${path}.${key}` : key;
      const keyProblem = unsafeTextProblem(key);
      return keyProblem ? [{ field: path || 'body', message: `a field name ${keyProblem}` }] : unsafeTextFields(item, field);
    });
  }
  return [];
}

/**
 * A token's `sub` as the actor recorded in events: a string of 1-200 characters that holds none of the characters
 * above, in its canonical form (Unicode NFC, surrounding white space removed). Case is kept: an identity provider's
 * subjects are case-sensitive (OpenID Connect Core 2), so recording them as given keeps them traceable.
 * Throws when the claim cannot name an actor: the caller refuses the token (401).
 */
export function canonicalSubject(sub: unknown): string {
  if (typeof sub !== 'string') throw new Error('The token has no valid sub claim');
  const problem = unsafeTextProblem(sub);
  if (problem) throw new Error(`The token's sub claim ${problem}`);
  const canonical = sub.normalize('NFC').trim();
  if (canonical.length === 0 || canonical.length > 200) throw new Error('The token has no valid sub claim');
  return canonical;
}

/**
 * Whether two recorded actors are the same person for four eyes (R22). Fails closed: besides the canonical form,
 * compatibility variants (NFKC: full-width letters), runs of white space and case count as the same, so no admin
 * approves their own request under a second spelling of their name. Two distinct subjects that differ only so
 * cannot decide each other's requests: rare, and safer than the reverse.
 */
export function sameActor(a: string, b: string): boolean {
  return actorKey(a) === actorKey(b);
}

function actorKey(actor: string): string {
  // toUpperCase then toLowerCase folds case as far as JavaScript can without tables (ß and SS, ſ and s).
  return actor.normalize('NFKC').trim().replace(/\s+/gu, ' ').toUpperCase().toLowerCase();
}
