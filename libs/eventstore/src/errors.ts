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

/**
 * The store refused recert's own credentials (or a stream's ACL): a deployment fault, not the caller's and not
 * a passing outage. Retrying does not help, so it is a 500 with the cause logged, never a 503.
 */
export class EventStoreAccessDeniedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreAccessDeniedError';
  }
}

/** The stream was deleted or tombstoned outside recert (recert never deletes): what it held is gone for good. */
export class StreamDeletedError extends Error {
  constructor(
    readonly stream: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream ${stream} was deleted`, options);
    this.name = 'StreamDeletedError';
  }
}

/** The append is larger than the store accepts in one write (EventStoreDB's MaxAppendSize): the caller sent too much. */
export class AppendTooLargeError extends Error {
  constructor(
    readonly stream: string,
    readonly maxAppendSize: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`Append to ${stream} exceeds the store's maximum append size${maxAppendSize ? ` (${maxAppendSize} bytes)` : ''}`, options);
    this.name = 'AppendTooLargeError';
  }
}

/** A global position that is not one of the log's own (a caller's `from`/`to`, a checkpoint of another store). */
export class InvalidPositionError extends Error {
  constructor(
    readonly position: number,
    options?: { cause?: unknown },
  ) {
    super(`${position} is not a position in this event store's log`, options);
    this.name = 'InvalidPositionError';
  }
}

/**
 * The store refused a value of this call as malformed (PostgreSQL's data exceptions: a NUL or an invalid byte sequence
 * in text, an event id given twice in one append): the caller's fault, a 400, and only this call fails (#24.6).
 */
export class InvalidStoreInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidStoreInputError';
  }
}
