import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import { deterministicId } from '@recert/kernel';
import type { StatusMessageKind } from '@recert/domain';
import type { Projection } from '../runtime/projection';
import { Statements } from '../runtime/statements';

/** What a status message tells, kept with its row so the dispatcher needs no other read to write it (#29). */
export interface StatusMessageFacts {
  at: string;
  expiresAt: string | null;
  until?: string | null;
  reason?: string;
  override?: { kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts'; from?: string | null; to?: string | null; attempts?: number };
}

export interface HolderMessageRow {
  id: string;
  holding_id: string;
  profile_id: string;
  code: string;
  kind: StatusMessageKind;
  cause_event_id: string;
  occurred_at: string;
  facts: string;
  state: 'pending' | 'sent' | 'dropped';
  deliveries: number;
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

/**
 * The status messages' outbox (#29, R83), beside R4's: one row per holding event a holder is told of (expired,
 * revoked, suspended, reinstated, an override applied), keyed by a message id derived from the event's id, so an
 * event can never queue two. HolderMessageSent / HolderMessageDropped mark the row done; a rebuild from zero finds
 * them in the log again, so it sends nothing twice. PersonalDataErased flags the profile's rows so the dispatcher
 * deletes what the sender kept of them (#16.5).
 */
export class HolderMessagesProjection implements Projection {
  readonly name = 'holder-messages';
  readonly version = 1;
  private readonly sql = new Statements();
  readonly eventTypes: readonly string[] = [...Object.keys(MESSAGES), 'HolderMessageSent', 'HolderMessageDropped', 'PersonalDataErased'];

  setup(db: Database.Database): void {
    db.exec(`CREATE TABLE IF NOT EXISTS rm_holder_messages (
      id TEXT PRIMARY KEY, holding_id TEXT NOT NULL, profile_id TEXT NOT NULL, code TEXT NOT NULL, kind TEXT NOT NULL,
      cause_event_id TEXT NOT NULL, occurred_at TEXT NOT NULL, facts TEXT NOT NULL, state TEXT NOT NULL,
      claimed_until INTEGER, deliveries INTEGER NOT NULL DEFAULT 0, last_error TEXT, done_at TEXT,
      personal_data_erased INTEGER NOT NULL DEFAULT 0, forgotten INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS rm_holder_messages_profile ON rm_holder_messages (profile_id);
      CREATE INDEX IF NOT EXISTS rm_holder_messages_pending ON rm_holder_messages (state, claimed_until);`);
  }

  reset(db: Database.Database): void {
    this.sql.clear();
    db.exec('DROP TABLE IF EXISTS rm_holder_messages');
  }

  apply(db: Database.Database, event: RecordedEvent): void {
    const message = MESSAGES[event.type];
    if (message) {
      const { kind, facts } = message(event.data);
      this.sql
        .get(
          db,
          `INSERT INTO rm_holder_messages (id, holding_id, profile_id, code, kind, cause_event_id, occurred_at, facts, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT(id) DO NOTHING`,
        )
        .run(
          holderMessageIdOf(event.id),
          text(event.data, 'holdingId'),
          text(event.data, 'profileId'),
          text(event.data, 'certificationCode'),
          kind,
          event.id,
          facts.at,
          JSON.stringify(facts),
        );
    } else if (event.type === 'HolderMessageSent' || event.type === 'HolderMessageDropped') {
      const state = event.type === 'HolderMessageSent' ? 'sent' : 'dropped';
      const at = text(event.data, event.type === 'HolderMessageSent' ? 'sentAt' : 'droppedAt');
      this.sql.get(db, 'UPDATE rm_holder_messages SET state = ?, done_at = ? WHERE id = ?').run(state, at, text(event.data, 'messageId'));
    } else if (event.type === 'PersonalDataErased') {
      this.sql.get(db, 'UPDATE rm_holder_messages SET personal_data_erased = 1 WHERE profile_id = ?').run(text(event.data, 'profileId'));
    }
  }
}

export function holderMessageIdOf(causeEventId: string): string {
  return deterministicId('holder-message', causeEventId);
}
