import type { RecordedEvent } from '@recert/eventstore';
import { deterministicId } from '@recert/kernel';
import type { StatusMessageKind } from '@recert/domain';
import { ReadDbStatementProjection, StoreStatementProjection, Write } from '../runtime/statement-projection';
import type { RowOf, TableDefinition } from '../runtime/table-definition';

/** What a status message tells, kept with its row so the dispatcher needs no other read to write it (#29). */
export interface StatusMessageFacts {
  at: string;
  expiresAt: string | null;
  until?: string | null;
  reason?: string;
  override?: { kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts'; from?: string | null; to?: string | null; attempts?: number };
}

type Data = Record<string, unknown>;
const text = (data: Data, key: string): string => data[key] as string;

/** Each holding event that a holder is told of, as the message kind and facts it makes (#29). */
const MESSAGES: Record<string, (data: Data) => { kind: StatusMessageKind; facts: StatusMessageFacts }> = {
  CertificationExpired: (d) => ({ kind: 'expired', facts: { at: text(d, 'expiredAt'), expiresAt: text(d, 'expiredAt') } }),
  CertificationRevoked: (d) => ({ kind: 'revoked', facts: { at: text(d, 'revokedAt'), expiresAt: null, reason: text(d, 'reason') } }),
  CertificationSuspended: (d) => ({
    kind: 'suspended',
    facts: { at: text(d, 'suspendedAt'), expiresAt: null, until: (d['until'] as string | null) ?? null, reason: text(d, 'reason') },
  }),
  CertificationReinstated: (d) => ({
    kind: 'reinstated',
    facts: { at: text(d, 'reinstatedAt'), expiresAt: null, reason: text(d, 'reason') },
  }),
  HoldingExpiryExtended: (d) => ({
    kind: 'override-applied',
    facts: {
      at: text(d, 'extendedAt'),
      expiresAt: text(d, 'to'),
      reason: text(d, 'reason'),
      override: { kind: 'extend-expiry', from: text(d, 'from'), to: text(d, 'to') },
    },
  }),
  RenewalWindowReopened: (d) => ({
    kind: 'override-applied',
    facts: {
      at: text(d, 'reopenedAt'),
      expiresAt: text(d, 'to'),
      reason: text(d, 'reason'),
      override: { kind: 'reopen-window', from: text(d, 'from'), to: text(d, 'to') },
    },
  }),
  RenewalAttemptsGranted: (d) => ({
    kind: 'override-applied',
    facts: {
      at: text(d, 'grantedAt'),
      expiresAt: null,
      reason: text(d, 'reason'),
      override: { kind: 'grant-attempts', attempts: d['attempts'] as number },
    },
  }),
};

/** `rm_holder_messages`, declared once for both dialects; the dispatcher's job state (claims, deliveries) sits beside. */
export const HOLDER_MESSAGES_TABLE = {
  name: 'rm_holder_messages',
  columns: {
    id: { type: 'text', notNull: true },
    holding_id: { type: 'text', notNull: true },
    profile_id: { type: 'text', notNull: true },
    code: { type: 'text', notNull: true },
    kind: { type: 'text', notNull: true },
    cause_event_id: { type: 'text', notNull: true },
    occurred_at: { type: 'text', notNull: true },
    facts: { type: 'text', notNull: true },
    state: { type: 'text', notNull: true },
    // Epoch milliseconds: the end of a claim or of a failed delivery's back-off.
    claimed_until: { type: 'bigint' },
    deliveries: { type: 'integer', notNull: true, default: 0 },
    last_error: { type: 'text' },
    done_at: { type: 'text' },
    personal_data_erased: { type: 'integer', notNull: true, default: 0 },
    forgotten: { type: 'integer', notNull: true, default: 0 },
  },
  primaryKey: ['id'],
  indexes: { profile: ['profile_id'], pending: ['state', 'claimed_until'] },
} as const satisfies TableDefinition;

export type HolderMessageRow = RowOf<typeof HOLDER_MESSAGES_TABLE> & { kind: StatusMessageKind; state: 'pending' | 'sent' | 'dropped' };

/** What an event does to the status messages' outbox, for the projection on `read.db` and its read-store twin alike. */
function holderMessageWrites(event: RecordedEvent): Write[] {
  const message = MESSAGES[event.type];
  if (message) {
    const { kind, facts } = message(event.data);
    return [
      {
        sql: `INSERT INTO rm_holder_messages (id, holding_id, profile_id, code, kind, cause_event_id, occurred_at, facts, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (id) DO NOTHING`,
        params: [
          holderMessageIdOf(event.id),
          text(event.data, 'holdingId'),
          text(event.data, 'profileId'),
          text(event.data, 'certificationCode'),
          kind,
          event.id,
          facts.at,
          JSON.stringify(facts),
        ],
      },
    ];
  }
  if (event.type === 'HolderMessageSent' || event.type === 'HolderMessageDropped') {
    const state = event.type === 'HolderMessageSent' ? 'sent' : 'dropped';
    const at = text(event.data, event.type === 'HolderMessageSent' ? 'sentAt' : 'droppedAt');
    return [
      { sql: 'UPDATE rm_holder_messages SET state = ?, done_at = ? WHERE id = ?', params: [state, at, text(event.data, 'messageId')] },
    ];
  }
  if (event.type === 'PersonalDataErased') {
    return [
      { sql: 'UPDATE rm_holder_messages SET personal_data_erased = 1 WHERE profile_id = ?', params: [text(event.data, 'profileId')] },
    ];
  }
  return [];
}

/**
 * The status messages' outbox (#29, R83), beside R4's: one row per holding event a holder is told of (expired,
 * revoked, suspended, reinstated, an override applied), keyed by a message id derived from the event's id, so an
 * event can never queue two. HolderMessageSent / HolderMessageDropped mark the row done; a rebuild from zero finds
 * them in the log again, so it sends nothing twice. PersonalDataErased flags the profile's rows so the dispatcher
 * deletes what the sender kept of them (#16.5).
 */
export class HolderMessagesProjection extends ReadDbStatementProjection {
  readonly name = 'holder-messages';
  readonly version = 1;
  readonly eventTypes: readonly string[] = [...Object.keys(MESSAGES), 'HolderMessageSent', 'HolderMessageDropped', 'PersonalDataErased'];
  readonly tables = [HOLDER_MESSAGES_TABLE];

  writes(event: RecordedEvent): Write[] {
    return holderMessageWrites(event);
  }
}

/** The status messages' outbox through the read-store port (the PostgreSQL mode, #23.1): same rows as on read.db. */
export function holderMessagesStoreProjection(): StoreStatementProjection {
  return new StoreStatementProjection(new HolderMessagesProjection());
}

export function holderMessageIdOf(causeEventId: string): string {
  return deterministicId('holder-message', causeEventId);
}
