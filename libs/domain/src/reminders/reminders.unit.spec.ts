import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog, Certification } from '../catalog';
import { PolicyBook, parsePolicy, Policy } from '../policy';
import { foldHolding, HoldingEvent, HoldingState } from '../holding/holding';
import { decideHolding } from '../holding/holding.decide';
import { specification } from '../testing/specification';
import {
  decideReminders,
  DueReminder,
  dueReminder,
  evolveReminders,
  initialReminderState,
  ReminderCommand,
  ReminderContext,
  ReminderEvent,
  reminderChanges,
  reminderSchedule,
  ReminderState,
  REMINDER_MAX_ATTEMPTS,
} from './reminders';

const root = join(__dirname, '..', '..', '..', '..', 'config');
const catalog = Catalog.parse(JSON.parse(readFileSync(join(root, 'catalog.json'), 'utf8')));
const base = (JSON.parse(readFileSync(join(root, 'policy.json'), 'utf8')) as Policy[])[1] as Policy;
const code = 'azure-administrator-associate';
const cert = catalog.get(code) as Certification;
const withReminders = (reminders: string[], version = 'r1', effectiveFrom = base.effectiveFrom): Policy =>
  parsePolicy({ ...base, version, effectiveFrom, reminders });
const book = new PolicyBook([withReminders(['window-opens', 'P90D', 'P30D', 'P7D'])]);

const spec = specification<ReminderCommand, ReminderEvent, ReminderState, ReminderContext>({
  decide: decideReminders,
  evolve: evolveReminders,
  initialState: initialReminderState,
});

/** A holding earned 2026-01-01 (expiring 2027-01-01 under the shipped policy), optionally renewed. */
function holding(policies: PolicyBook, renewedAt?: string): HoldingState {
  const context = (now: string) => ({ now: new Date(now), policies, certification: cert });
  const events: HoldingEvent[] = decideHolding(
    {
      type: 'EarnCertification',
      data: { holdingId: `p1.${code}`, profileId: 'p1', earnedAt: new Date('2026-01-01T00:00:00Z'), prerequisiteActive: true },
    },
    { status: 'none' },
    context('2026-01-01T00:00:00Z'),
  );
  if (renewedAt) {
    const state = foldHolding(events);
    events.push(
      ...decideHolding(
        { type: 'AttemptRenewal', data: { attemptId: 'a1', passed: true, score: 800, language: 'en', profileLinked: true } },
        state,
        context(renewedAt),
      ),
    );
  }
  return foldHolding(events);
}

const ctx = (now: string, policies = book, preference: 'all' | 'last-only' | 'none' = 'all', renewedAt?: string): ReminderContext => ({
  now: new Date(now),
  policies,
  holding: holding(policies, renewedAt),
  preference,
  reminderId: (holdingId, expiresAt, offset) => `${holdingId}|${expiresAt}|${offset}`,
});

const due = (state: ReminderState, context: ReminderContext): DueReminder => {
  const reminder = dueReminder(state, context);
  if (!reminder) throw new Error('a reminder was expected to be due');
  return reminder;
};
const sent = (context: ReminderContext, state: ReminderState = initialReminderState): ReminderEvent[] =>
  decideReminders(
    { type: 'RecordReminderOutcome', data: { reminder: due(state, context), outcome: { kind: 'sent', language: 'en' } } },
    state,
    context,
  );
const fold = (events: ReminderEvent[]): ReminderState => events.reduce(evolveReminders, initialReminderState);

describe('reminder schedule (#14.4)', () => {
  it('R30: a policy lists at most 8 distinct offsets, each window-opens or a duration from PT1H to P2Y', () => {
    expect(() => withReminders(['P3Y'])).toThrow(/reminders\[0\]: an offset from PT1H to P2Y/);
    expect(() => withReminders(['PT30M'])).toThrow(/PT1H/);
    expect(() => withReminders(['P7D', 'P7D'])).toThrow(/listed twice/);
    expect(() => withReminders(['soon'])).toThrow(/window-opens/);
    expect(() => withReminders(Array.from({ length: 9 }, (_, i) => `P${i + 1}D`))).toThrow(/at most 8/);
    expect(withReminders(['window-opens', 'P7D']).reminders).toEqual(['window-opens', 'P7D']);
  });

  it('R31: the schedule of a cycle is each offset before expiry, soonest first; window-opens is R3s opening', () => {
    expect(reminderSchedule(new Date('2027-01-01T00:00:00Z'), book).map((r) => [r.offset, r.dueAt])).toEqual([
      ['window-opens', '2026-07-01T00:00:00.000Z'],
      ['P90D', '2026-10-03T00:00:00.000Z'],
      ['P30D', '2026-12-02T00:00:00.000Z'],
      ['P7D', '2026-12-25T00:00:00.000Z'],
    ]);
  });

  it('R30: nothing is due before the first offset; each due reminder is recorded sent once', () => {
    expect(dueReminder(initialReminderState, ctx('2026-06-30T23:59:59Z'))).toBeNull();
    const first = sent(ctx('2026-10-03T00:00:00Z'));
    expect(first).toMatchObject([
      { type: 'RenewalReminderSent', data: { offset: 'P90D', expiresAt: '2027-01-01T00:00:00.000Z', attempt: 1 } },
    ]);
    expect(dueReminder(fold(first), ctx('2026-10-04T00:00:00Z'))).toBeNull();
    expect(due(initialReminderState, ctx('2026-07-01T00:00:00Z')).offset).toBe('window-opens');
    spec
      .given(first)
      .when(
        {
          type: 'RecordReminderOutcome',
          data: { reminder: { ...due(initialReminderState, ctx('2026-10-03T00:00:00Z')) }, outcome: { kind: 'sent', language: 'en' } },
        },
        ctx('2026-10-03T00:00:00Z'),
      )
      .thenNothing();
  });

  it('R33: a late run sends only the latest due reminder; the earlier ones are superseded, never sent stale', () => {
    expect(due(initialReminderState, ctx('2026-12-03T00:00:00Z')).offset).toBe('P30D');
  });

  it('R80: a holder who unsubscribed (none) gets no reminder at all, not even the last', () => {
    for (const at of ['2026-07-01T00:00:00Z', '2026-12-03T00:00:00Z', '2026-12-25T00:00:00Z']) {
      expect(dueReminder(initialReminderState, ctx(at, book, 'none'))).toBeNull();
    }
  });

  it('R33: last-only sends the last offset and nothing before it', () => {
    expect(dueReminder(initialReminderState, ctx('2026-12-03T00:00:00Z', book, 'last-only'))).toBeNull();
    expect(due(initialReminderState, ctx('2026-12-25T00:00:00Z', book, 'last-only')).offset).toBe('P7D');
  });

  it('R30: a renewal cancels the rest of the cycle: the next reminder is the new cycle’s', () => {
    const renewed = ctx('2026-12-03T00:00:00Z', book, 'all', '2026-10-10T00:00:00Z');
    expect(dueReminder(initialReminderState, renewed)).toBeNull();
    expect(due(initialReminderState, ctx('2027-10-03T00:00:00Z', book, 'all', '2026-10-10T00:00:00Z'))).toMatchObject({
      offset: 'P90D',
      expiresAt: '2028-01-01T00:00:00.000Z',
    });
  });

  it('R31: an adoption changes only reminders not yet due', () => {
    const adopted = new PolicyBook([...book.versions, withReminders(['P60D', 'P7D'], 'r2', '2026-10-15T00:00:00Z')]);
    expect(reminderSchedule(new Date('2027-01-01T00:00:00Z'), adopted).map((r) => `${r.offset}:${r.policyVersion}`)).toEqual([
      'window-opens:r1',
      'P90D:r1',
      'P60D:r2',
      'P7D:r2',
    ]);
    // The what-if counts it: P30D removed, P60D added, for a holding seen before both instants.
    expect(
      reminderChanges(
        { expiresAt: '2027-01-01T00:00:00.000Z', book },
        { expiresAt: '2027-01-01T00:00:00.000Z', book: adopted },
        new Date('2026-10-01T00:00:00Z'),
      ),
    ).toEqual({
      added: 1,
      removed: 1,
    });
  });

  it('R32: a failed delivery is retried with exponential backoff, then given up', () => {
    const context = ctx('2026-10-03T00:00:00Z');
    let state = initialReminderState;
    let now = new Date('2026-10-03T00:00:00Z');
    const delays: number[] = [];
    for (let attempt = 1; attempt <= REMINDER_MAX_ATTEMPTS; attempt += 1) {
      const at = { ...context, now };
      const reminder = due(state, at);
      expect(reminder.attempt).toBe(attempt);
      const events = decideReminders(
        { type: 'RecordReminderOutcome', data: { reminder, outcome: { kind: 'failed', error: 'smtp down' } } },
        state,
        at,
      );
      state = events.reduce(evolveReminders, state);
      const next = (events[0] as Extract<ReminderEvent, { type: 'RenewalReminderDeliveryFailed' }>).data.nextAttemptAt;
      if (attempt < REMINDER_MAX_ATTEMPTS) {
        expect(dueReminder(state, { ...context, now: new Date(Date.parse(next as string) - 1) })).toBeNull();
        delays.push(Date.parse(next as string) - now.getTime());
        now = new Date(next as string);
      } else expect(next).toBeNull();
    }
    expect(delays).toEqual([5, 10, 20, 40, 80].map((m) => m * 60_000));
    expect(dueReminder(state, { ...context, now: new Date('2026-10-20T00:00:00Z') })).toBeNull();
  });

  it('R32: a bounce is final: no retry', () => {
    const context = ctx('2026-10-03T00:00:00Z');
    const events = decideReminders(
      {
        type: 'RecordReminderOutcome',
        data: { reminder: due(initialReminderState, context), outcome: { kind: 'bounced', reason: '550 no such user' } },
      },
      initialReminderState,
      context,
    );
    expect(events).toMatchObject([{ type: 'RenewalReminderBounced', data: { reason: '550 no such user', attempt: 1 } }]);
    expect(dueReminder(fold(events), { ...context, now: new Date('2026-10-04T00:00:00Z') })).toBeNull();
  });
});
