import { isUtf8 } from 'node:buffer';

/** Deepest nesting of arrays and objects a request body may have: the contract's bodies need 3. */
export const MAX_JSON_DEPTH = 32;

/** Refused at parse time: body-parser answers it as a 400, which the problem filter maps to VALIDATION_FAILED. */
class BodyRefused extends Error {
  readonly status = 400;
  readonly type = 'entity.verify.failed';
}

/**
 * Scans the raw JSON for nesting deeper than `max` before it is parsed (#16.6): deep bodies overflowed the
 * validation pipe's recursion. Brackets inside strings do not count.
 */
export function assertJsonDepth(buffer: Buffer, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buffer.length; i += 1) {
    const byte = buffer[i];
    if (inString) {
      if (byte === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > max) throw new BodyRefused(`The body is nested deeper than ${max} levels`);
    } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
  }
}

/**
 * Refuses a UTF-8 body (the default charset) whose bytes are not UTF-8 (#22.8): decoded, they would turn into
 * replacement characters stored as if sent, and the import refuses such lines, so the two paths agree.
 */
export function assertUtf8(buffer: Buffer, encoding: string | undefined): void {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if ((charset === 'utf-8' || charset === 'utf8') && !isUtf8(buffer)) throw new BodyRefused('The body is not valid UTF-8');
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** JSON.parse reviver: refuses ill-formed UTF-16 (lone surrogates) in any string, key or value (#16.8). */
export function wellFormedStrings(key: string, value: unknown): unknown {
  if (!isWellFormedText(key) || (typeof value === 'string' && !isWellFormedText(value))) {
    throw new BodyRefused('The body holds a string with a lone surrogate (ill-formed UTF-16)');
  }
  return value;
}
