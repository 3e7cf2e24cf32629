import { addDuration, eventList, subtractDuration } from '@recert/kernel/pure';
import { ReminderPreference, WINDOW_OPENS } from './reminder-offsets';

export * from './reminder-offsets';
import type { HoldingState } from '../holding';
import type { Policy, PolicyBook } from '../policy';
import type { Decider } from '../decider';
import { remindersStream } from '../streams';

/**
 * Renewal reminders (#14.4): a policy version lists offsets before expiry (`window-opens` or an ISO 8601 duration);
 * each is due at `expiresAt - offset` and sent once per cycle. Reminders live in their own stream
 * `reminders-<holdingId>`, so the holding's decider and its projections are untouched; the holding's state (its
 * current expiry) is the reminder decider's context.
 */
/** R32: a failed delivery is retried after 5 min, 10, 20, … and given up after the sixth attempt. */
export const REMINDER_MAX_ATTEMPTS = 6;
const FIRST_RETRY_MS = 5 * 60_000;

export function reminderOffsetsOf(policy: Policy): readonly string[] {
  return policy.reminders ?? [];
}

export interface ScheduledReminder {
  offset: string;
  dueAt: string;
  policyVersion: string;
}

function dueAtOf(offset: string, expiresAt: Date, policies: PolicyBook): Date {
  return offset === WINDOW_OPENS ? policies.windowOpensAt(expiresAt).opensAt : subtractDuration(expiresAt, offset);
}

/**
 * R31: the reminders of the cycle ending at `expiresAt`, soonest first. Each offset is judged under the policy in
 * force at its own due instant, so an adoption changes only reminders not yet due: an offset it drops is not sent
 * if its instant comes after the adoption, one it adds is sent only if its instant comes after.
 */
export function reminderSchedule(expiresAt: Date, policies: PolicyBook): ScheduledReminder[] {
  const offsets = new Set(policies.versions.flatMap((policy) => reminderOffsetsOf(policy)));
  const schedule: ScheduledReminder[] = [];
  for (const offset of offsets) {
    const dueAt = dueAtOf(offset, expiresAt, policies);
    const policy = policies.atOrFirst(dueAt);
    if (dueAt.getTime() < expiresAt.getTime() && reminderOffsetsOf(policy).includes(offset)) {
      schedule.push({ offset, dueAt: dueAt.toISOString(), policyVersion: policy.version });
    }
  }
  return schedule.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.offset.localeCompare(b.offset));
}

/** The instant after which no reminder of any version can be due for a holding expiring later: the scheduler's horizon. */
export function reminderHorizon(now: Date, policies: PolicyBook): Date {
  let horizon = now;
  for (const policy of policies.versions) {
    for (const offset of reminderOffsetsOf(policy)) {
      const until = addDuration(now, offset === WINDOW_OPENS ? policy.window.beforeExpiry : offset);
      if (until > horizon) horizon = until;
    }
  }
  return horizon;
}

type ReminderKey = {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  reminderId: string;
  expiresAt: string;
  offset: string;
};

export type RenewalReminderSent = {
  type: 'RenewalReminderSent';
  data: ReminderKey & { dueAt: string; sentAt: string; attempt: number; language: string; policyVersion: string };
};
export type RenewalReminderDeliveryFailed = {
  type: 'RenewalReminderDeliveryFailed';
  data: ReminderKey & { dueAt: string; failedAt: string; attempt: number; error: string; nextAttemptAt: string | null };
};
export type RenewalReminderBounced = {
  type: 'RenewalReminderBounced';
  data: ReminderKey & { dueAt: string; bouncedAt: string; attempt: number; reason: string };
};
export type ReminderEvent = RenewalReminderSent | RenewalReminderDeliveryFailed | RenewalReminderBounced;
export const REMINDER_EVENTS = eventList<ReminderEvent>({
  RenewalReminderSent: true,
  RenewalReminderDeliveryFailed: true,
  RenewalReminderBounced: true,
});
export const REMINDER_EVENT_TYPES = REMINDER_EVENTS.types;

export interface ReminderRecord {
  status: 'sent' | 'bounced' | 'failed' | 'retrying';
  attempts: number;
  nextAttemptAt: string | null;
}
/** Reminders recorded, by `expiresAt|offset`: a cycle's offset is sent once (R30). */
export type ReminderState = { records: Record<string, ReminderRecord> };
export const initialReminderState: ReminderState = { records: {} };

const keyOf = (expiresAt: string, offset: string): string => `${expiresAt}|${offset}`;

export function evolveReminders(state: ReminderState, event: ReminderEvent): ReminderState {
  const key = keyOf(event.data.expiresAt, event.data.offset);
  const record = ((): ReminderRecord => {
    switch (event.type) {
      case 'RenewalReminderSent':
        return { status: 'sent', attempts: event.data.attempt, nextAttemptAt: null };
      case 'RenewalReminderBounced':
        return { status: 'bounced', attempts: event.data.attempt, nextAttemptAt: null };
      case 'RenewalReminderDeliveryFailed':
        return {
          status: event.data.nextAttemptAt === null ? 'failed' : 'retrying',
          attempts: event.data.attempt,
          nextAttemptAt: event.data.nextAttemptAt,
        };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  })();
  return { records: { ...state.records, [key]: record } };
}

export interface ReminderContext {
  now: Date;
  policies: PolicyBook;
  holding: HoldingState;
  preference: ReminderPreference;
  reminderId: (holdingId: string, expiresAt: string, offset: string) => string;
}

export interface DueReminder extends ScheduledReminder {
  holdingId: string;
  profileId: string;
  certificationCode: string;
  expiresAt: string;
  reminderId: string;
  attempt: number;
}

/**
 * The reminder to send now, or null (R30-R33): the holding is held and not expired; of the offsets due by now (only the
 * last one under `last-only`), the latest is taken, the earlier ones being superseded (a late run never sends a stale
 * "90 days left"); it is not sent, bounced or given up yet, and a retry waits for its backoff.
 */
export function dueReminder(state: ReminderState, context: ReminderContext): DueReminder | null {
  const holding = context.holding;
  if (context.preference === 'none') return null;
  if (holding.status !== 'held' || holding.expired || holding.expiresAt === null) return null;
  const expiresAt = new Date(holding.expiresAt);
  const now = context.now.getTime();
  if (now >= expiresAt.getTime()) return null;
  const schedule = reminderSchedule(expiresAt, context.policies);
  const wanted = context.preference === 'last-only' ? schedule.slice(-1) : schedule;
  const due = wanted.filter((reminder) => Date.parse(reminder.dueAt) <= now);
  const latest = due[due.length - 1];
  if (!latest) return null;
  const record = state.records[keyOf(holding.expiresAt, latest.offset)];
  if (record && record.status !== 'retrying') return null;
  if (record?.nextAttemptAt && Date.parse(record.nextAttemptAt) > now) return null;
  return {
    ...latest,
    holdingId: holding.holdingId,
    profileId: holding.profileId,
    certificationCode: holding.certificationCode,
    expiresAt: holding.expiresAt,
    reminderId: context.reminderId(holding.holdingId, holding.expiresAt, latest.offset),
    attempt: (record?.attempts ?? 0) + 1,
  };
}

export type ReminderOutcome = { kind: 'sent'; language: string } | { kind: 'failed'; error: string } | { kind: 'bounced'; reason: string };

export type ReminderCommand = { type: 'RecordReminderOutcome'; data: { reminder: DueReminder; outcome: ReminderOutcome } };

/** R32: the delay before attempt n+1 after n failures: 5 min doubled each time. */
export function reminderRetryDelayMs(failures: number): number {
  return FIRST_RETRY_MS * 2 ** (failures - 1);
}

/** Records a delivery's outcome (R30, R32); a repeat of an outcome already recorded is a no-op. */
export function decideReminders(command: ReminderCommand, state: ReminderState, context: ReminderContext): ReminderEvent[] {
  const { reminder, outcome } = command.data;
  const record = state.records[keyOf(reminder.expiresAt, reminder.offset)];
  if ((record && record.status !== 'retrying') || (record?.attempts ?? 0) >= reminder.attempt) return [];
  const key: ReminderKey = {
    holdingId: reminder.holdingId,
    profileId: reminder.profileId,
    certificationCode: reminder.certificationCode,
    reminderId: reminder.reminderId,
    expiresAt: reminder.expiresAt,
    offset: reminder.offset,
  };
  const at = context.now.toISOString();
  switch (outcome.kind) {
    case 'sent':
      return [
        {
          type: 'RenewalReminderSent',
          data: {
            ...key,
            dueAt: reminder.dueAt,
            sentAt: at,
            attempt: reminder.attempt,
            language: outcome.language,
            policyVersion: reminder.policyVersion,
          },
        },
      ];
    case 'bounced':
      return [
        {
          type: 'RenewalReminderBounced',
          data: { ...key, dueAt: reminder.dueAt, bouncedAt: at, attempt: reminder.attempt, reason: outcome.reason },
        },
      ];
    case 'failed': {
      const giveUp = reminder.attempt >= REMINDER_MAX_ATTEMPTS;
      const next = giveUp ? null : new Date(context.now.getTime() + reminderRetryDelayMs(reminder.attempt)).toISOString();
      return [
        {
          type: 'RenewalReminderDeliveryFailed',
          data: {
            ...key,
            dueAt: reminder.dueAt,
            failedAt: at,
            attempt: reminder.attempt,
            error: outcome.error.slice(0, 500),
            nextAttemptAt: next,
          },
        },
      ];
    }
    default: {
      const unknown: never = outcome;
      return unknown;
    }
  }
}

/**
 * What-if (R31): how the reminders not yet due at `asOf` differ between the live and the candidate side of one holding,
 * counted as offsets (with their instants) added and removed.
 */
export function reminderChanges(
  live: { expiresAt: string | null; book: PolicyBook },
  candidate: { expiresAt: string | null; book: PolicyBook },
  asOf: Date,
): { added: number; removed: number } {
  const pending = (side: typeof live): Set<string> => {
    if (side.expiresAt === null || Date.parse(side.expiresAt) <= asOf.getTime()) return new Set();
    return new Set(
      reminderSchedule(new Date(side.expiresAt), side.book)
        .filter((reminder) => Date.parse(reminder.dueAt) > asOf.getTime())
        .map((reminder) => `${reminder.offset}@${reminder.dueAt}`),
    );
  };
  const before = pending(live);
  const after = pending(candidate);
  return { added: [...after].filter((r) => !before.has(r)).length, removed: [...before].filter((r) => !after.has(r)).length };
}

/** A holding's reminders (`reminders-<holdingId>`): what was sent, failed or bounced per offset (#14.4). */
export const reminderDecider: Decider<string, ReminderCommand, ReminderState, ReminderEvent, Omit<ReminderContext, 'now'>> = {
  streamOf: (holdingId) => remindersStream(holdingId),
  events: REMINDER_EVENTS,
  initialState: initialReminderState,
  evolve: evolveReminders,
  decide: decideReminders,
};
