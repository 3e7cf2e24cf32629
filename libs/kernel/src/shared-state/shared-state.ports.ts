/**
 * State every process of one deployment must agree on, kept out of DATA_DIR (which is per process): the
 * personal-data keys, Idempotency-Key claims and answers, leases (outbox, reminders, webhooks), the rate limiter's
 * counters and the webhook state (endpoints, deliveries, attempts).
 * Two adapters implement these ports: embedded SQLite (one file shared by the processes of one machine) and
 * PostgreSQL (any number of machines). See docs/adr/0008-shared-state-behind-ports.md.
 */

/** Per-subject encryption keys for crypto-shredding (ADR 0004). No cache: an erased key must be gone everywhere at once. */
export interface KeyVaultStore {
  /** The subject's key, or null when it has none or it was erased. */
  key(subject: string): Promise<Buffer | null>;
  /** The subject's key, storing `fresh` when it has none yet (the first stored wins); null once erased. */
  keyOrCreate(subject: string, fresh: Buffer): Promise<Buffer | null>;
  /** `keyOrCreate` of many subjects in one transaction (one fsync): a bulk import seals thousands of holders (#14.3). */
  keysOrCreate(entries: readonly { subject: string; fresh: Buffer }[]): Promise<(Buffer | null)[]>;
  isErased(subject: string): Promise<boolean>;
  /** Destroys the key (its bytes overwritten where the medium allows) and remembers the erasure. */
  erase(subject: string, at: Date): Promise<void>;
  /** KEK rotation (#24.3): stored keys (wrapped bytes as stored, erased ones left out) after `afterSubject`, by subject. */
  storedKeys(afterSubject: string, limit: number): Promise<{ subject: string; key: Buffer }[]>;
  /** Stores `to` for the subject if its stored key is still `from` (not erased nor changed meanwhile); true when replaced. */
  replaceKey(subject: string, from: Buffer, to: Buffer): Promise<boolean>;
}

export type IdempotencyLookup =
  | { kind: 'new' }
  | { kind: 'done'; status: number; body: unknown; sameRequest: boolean }
  | { kind: 'in-progress' };

/** Answers given to requests with an Idempotency-Key (ADR 0002), claimed before the command runs. */
export interface IdempotencyStore {
  /**
   * Looks the key up and, when it is new (or its claim went stale after a crash), claims it atomically. A claim's age
   * is measured on the store's own clock (#24.4, R56), never the caller's: a process whose clock runs ahead must not
   * take a claim another still works under. `nowMs` (the caller's) is kept for the port's other timestamps;
   * `staleAfterMs` (default IDEMPOTENCY_CLAIM_TTL_MS) is how old a claim must be to count as abandoned.
   */
  claim(key: string, requestHash: string, nowMs: number, staleAfterMs?: number): Promise<IdempotencyLookup>;
  complete(key: string, status: number, body: unknown, nowMs: number): Promise<void>;
  /** A refused or failed request leaves no answer behind: the same key may be tried again. */
  release(key: string): Promise<void>;
  /** Deletes answers older than the retention; returns how many. */
  purge(nowMs: number): Promise<number>;
}

/** A lease as taken: its name and version, the fencing token (R56) that grows each time the lease is taken or renewed. */
export interface Lease {
  name: string;
  version: number;
}

/** The lease a piece of work was done under, as its record presents it (R56). */
export interface LeaseFence {
  lease: Lease;
  owner: string;
}

/** A record made under a lease another has taken (or renewed) since: refused, nothing stored (R56). */
export class StaleLeaseError extends Error {
  constructor(readonly leaseName: string) {
    super(`The lease ${leaseName} was taken by another holder since: this record is refused`);
    this.name = 'StaleLeaseError';
  }
}

/** Named, expiring leases (the outbox's: one dispatcher at a time per notification). */
export interface LeaseStore {
  /**
   * Takes every named lease that is free, expired or already this owner's, for `ttlMs` of the store's own clock
   * (`clock_timestamp()`, SQLite's clock), never the caller's: processes' clocks differ (#24.4, R56). Returns those
   * taken, each with its new version.
   */
  acquire(names: readonly string[], owner: string, ttlMs: number): Promise<Lease[]>;
  /**
   * The fence (R56): whether `owner` still holds the lease at this version, i.e. nobody took (or renewed) it since.
   * Checked before recording what was done under the lease; a stale holder's record is refused.
   */
  holds(lease: Lease, owner: string): Promise<boolean>;
  /** Ends this owner's lease early (its work is done). */
  release(name: string, owner: string): Promise<void>;
  /** Ends every lease this owner holds (a process shutting down hands its claims back); returns how many. */
  releaseOwner(owner: string): Promise<number>;
}

/** Fixed-window request counters, shared so N instances enforce one limit, not N. */
export interface RateCounterStore {
  /** Counts one request for `key` in the window starting at `windowStartMs`; returns the window's count so far. */
  hit(key: string, windowStartMs: number): Promise<number>;
}

/** A webhook endpoint as every process sees it (R35, R38): `events` and `secret` are JSON (the secret sealed). */
export interface WebhookEndpointRecord {
  id: string;
  url: string;
  events: string;
  secret: string;
  status: 'active' | 'disabled';
  registered_at: string;
  registered_position: number;
  failing_since: string | null;
  disabled_reason: string | null;
}

/** One event to send to one endpoint, made from the log on ingest (R36). */
export interface NewWebhookDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  holding: string;
  position: number;
  payload: string;
}

export interface WebhookDeliveryRecord extends NewWebhookDelivery {
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  first_attempt_at: string | null;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export interface WebhookAttemptRecord {
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
}

/** What one attempt changed: the delivery's new state, its log line and the endpoint's failing streak. */
export interface WebhookAttemptOutcome {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
  state: WebhookDeliveryRecord['state'];
  firstAttemptAt: string;
  nextAttemptAt: string | null;
}

/**
 * Outbound webhook state (#14.5) every process of a deployment sees (R43): endpoints, deliveries with their attempt
 * log, and the cursor in the log up to which deliveries were made. Who sends a delivery is decided by a lease in the
 * LeaseStore, not here.
 */
/** Where the webhook cursor stands, with what tells a rewound log (#24.2): the event there and the log's epoch. */
export interface WebhookCursorMark {
  position: number;
  /** Null before #24.2 or when the store cannot tell. */
  eventId: string | null;
  epoch: string | null;
}

export interface WebhookStateStore {
  cursor(): Promise<number>;
  cursorMark(): Promise<WebhookCursorMark>;
  /**
   * Back to zero (the log was rewound, #24.2): ingesting again from the start makes only deliveries not made yet,
   * since every row is keyed. `from` is the mark the caller saw: another process that moved the cursor since wins.
   */
  rewindCursor(from: WebhookCursorMark, epoch: string | null): Promise<void>;
  /**
   * One batch of the log, atomically: endpoints registered and disabled in it, the deliveries made of it, and the cursor
   * moved to `position` (never back). Everything is keyed, so a batch applied twice (two processes, a crash) changes nothing.
   */
  ingest(
    batch: {
      registered: WebhookEndpointRecord[];
      disabled: { endpointId: string; reason: string }[];
      /** R97: endpoints re-enabled (active again, failure and reason cleared). */
      enabled?: string[];
      deliveries: NewWebhookDelivery[];
    },
    position: number | null,
    mark?: { eventId: string | null; epoch: string | null },
  ): Promise<void>;
  endpoints(): Promise<WebhookEndpointRecord[]>;
  endpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** Newest first, each with its attempts. */
  deliveries(endpointId: string, limit: number): Promise<(WebhookDeliveryRecord & { log: WebhookAttemptRecord[] })[]>;
  delivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Pending deliveries due at `nowIso` of active endpoints, each the first pending one of its endpoint and holding (R36). */
  due(nowIso: string, limit: number): Promise<WebhookDeliveryRecord[]>;
  /**
   * Records one attempt atomically; returns the endpoint's failing_since afterwards. With a fence, the record is
   * refused (StaleLeaseError, nothing stored) when the lease is no longer at that version and owner (R56).
   */
  recordAttempt(outcome: WebhookAttemptOutcome, fence?: LeaseFence): Promise<string | null>;
  /** R37: pending again, due now, with a fresh retry span; undefined when the endpoint has no such delivery. */
  redeliver(endpointId: string, deliveryId: string): Promise<WebhookDeliveryRecord | undefined>;
}

export interface SharedState {
  /** `sqlite:<file>` or `postgres://host/db` (never with a password), for logs and health. */
  readonly description: string;
  readonly keys: KeyVaultStore;
  readonly idempotency: IdempotencyStore;
  readonly leases: LeaseStore;
  readonly rateCounters: RateCounterStore;
  readonly webhooks: WebhookStateStore;
  /** Drops rate windows and leases that ended long ago, and idempotency answers past their retention. */
  sweep(nowMs: number): Promise<void>;
  close(): Promise<void>;
}

export const SHARED_STATE = Symbol('SHARED_STATE');
export const KEY_VAULT_STORE = Symbol('KEY_VAULT_STORE');
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
export const LEASE_STORE = Symbol('LEASE_STORE');
export const RATE_COUNTER_STORE = Symbol('RATE_COUNTER_STORE');
export const WEBHOOK_STATE_STORE = Symbol('WEBHOOK_STATE_STORE');

/** How long idempotency answers are kept, and how long a claim blocks its key before it counts as abandoned. */
export const IDEMPOTENCY_RETENTION_MS = 7 * 24 * 3600_000;
export const IDEMPOTENCY_CLAIM_TTL_MS = 60_000;
/** Schema version both adapters migrate to at start. */
export const SHARED_STATE_SCHEMA_VERSION = 4;
