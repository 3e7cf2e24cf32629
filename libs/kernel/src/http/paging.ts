import { ValidationProblem } from './problem';

/**
 * Payload discipline (#23.5, R110): a list that grows with holders or events is answered by pages of a bounded size,
 * each naming the cursor of the next. A limit past the maximum is refused (400), never clamped silently, so a client
 * learns the bound instead of believing it got everything.
 */
export interface PageBounds {
  /** Used when the request names no limit. */
  defaultLimit: number;
  /** The largest limit accepted. */
  maxLimit: number;
  /** The smallest limit accepted: 0 where a summary without items is useful. */
  minLimit?: number;
}

/** A key a list is sorted by, ascending and unique: an id (compared by code point) or a position. */
export type PageKey = string | number;

export interface PageRequest {
  limit: number;
  /** The key after which this page starts (decoded from the cursor); null for the first page. */
  after: PageKey | null;
}

export interface PageInfo {
  limit: number;
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE: PageBounds = { defaultLimit: 50, maxLimit: 500 };

/** An opaque cursor: the last key of a page, base64url, so clients do not build or parse one. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

const badCursor = (): ValidationProblem => new ValidationProblem([{ field: 'cursor', message: 'a cursor returned by a previous page' }]);

export function decodeCursor(cursor: string): PageKey {
  const invalid = badCursor();
  if (cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const after = typeof parsed === 'object' && parsed !== null ? (parsed as { after?: unknown }).after : undefined;
  if (typeof after === 'string' || (typeof after === 'number' && Number.isSafeInteger(after))) return after;
  throw invalid;
}

/** `?limit=&cursor=` of a request, checked against the bounds: 400 VALIDATION_FAILED when out of them. */
export function parsePage(limit: string | undefined, cursor: string | undefined, bounds: PageBounds = DEFAULT_PAGE): PageRequest {
  const min = bounds.minLimit ?? 1;
  let n = bounds.defaultLimit;
  if (limit !== undefined) {
    n = /^\d{1,6}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > bounds.maxLimit)
      throw new ValidationProblem([{ field: 'limit', message: `a whole number from ${min} to ${bounds.maxLimit}` }]);
  }
  return { limit: n, after: cursor === undefined ? null : decodeCursor(cursor) };
}

/**
 * One page of a list sorted ascending by a unique string key (compared as `<` does): the items after the cursor's
 * key, at most `limit` of them. Binary search, so a late page costs no more than the first.
 */
export function pageOfSorted<T>(sorted: readonly T[], keyOf: (item: T) => PageKey, page: PageRequest): { items: T[]; page: PageInfo } {
  let start = 0;
  const first = sorted[0];
  // A cursor of another list's kind of key (an id where positions are paged) is not one of ours.
  if (page.after !== null && first !== undefined && typeof keyOf(first) !== typeof page.after) throw badCursor();
  if (page.after !== null) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keyOf(sorted[mid] as T) <= page.after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const items = sorted.slice(start, start + page.limit);
  const last = items.at(-1);
  const more = start + page.limit < sorted.length && last !== undefined;
  return { items, page: { limit: page.limit, nextCursor: more ? encodeCursor(keyOf(last)) : null } };
}
