import type { ExpectedRevision } from './event-store.port';

/** The one typed error every adapter raises when the expected revision does not hold. */
export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** Actual revision of the stream's last event, `-1` when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`Stream ${stream}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

/** Some, but not all, of an append's event ids are already stored in the stream: not a plain retry. */
export class PartialDuplicateError extends Error {
  constructor(readonly stream: string) {
    super(`Stream ${stream}: some events of this append were already stored, some not`);
    this.name = 'PartialDuplicateError';
  }
}

export class EventStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return error instanceof ConcurrencyError;
}
