import { CommandBus } from '@nestjs/cqrs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore, RecordedEvent } from '@recert/eventstore';
import { CLOCK, Clock, deterministicId, LEASE_STORE, LeaseStore } from '@recert/kernel';
import { HoldingsModel, READ_STORE, ReadStore } from '@recert/projections';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, PolicyRegistry, ReminderWrite, StreamReader } from '@recert/renewals';
import {
  Catalog,
  DueReminder,
  dueReminder,
  evolveHolding,
  evolveReminders,
  HoldingEvent,
  HoldingState,
  holdingStream,
  initialHoldingState,
  initialReminderState,
  ReminderEvent,
  reminderHorizon,
  reminderSchedule,
  ReminderContext,
  ReminderOutcome,
  ReminderState,
  remindersStream,
} from '@recert/domain';
import { HOLDER_MESSAGES, HolderMessages } from '../messages/holder-messages';
import { MessageSender, REMINDER_SENDER } from '../messages/mail-transport';
import { ReminderCandidate, ReminderMarks } from './reminder-marks';
import { REMINDER_PREFERENCES, ReminderPreferences } from './reminder-preferences';
import { RunLeaseOwners } from '../run-lease-owners';
import { recipientOf } from '../outbox-table';

const PAGE = 1000;
/** A failure whose record found nothing to append (recorded by a twin): look again at once on the next run. */
const nowRetry = (now: Date): string => now.toISOString();

const reminderIdOf = (holdingId: string, expiresAt: string, offset: string): string =>
  deterministicId('reminder', holdingId, expiresAt, offset);

/** The lease one reminder is sent under (R44), by its id: one process at a time sends it. */
export const reminderLeaseName = (reminderId: string): string => `reminder:${reminderId}`;
// Outlives one send and its record by far; a process killed while holding it delays that reminder this long, no more.
const LEASE_MS = 60_000;

/**
 * Sends the renewal reminders due (#14.4, R30-R33): asks the holdings read model which holdings expire within the
 * policies' longest offset, decides from each holding's and reminder stream which reminder is due, sends it in the
 * holder's language, then records the outcome. Each reminder is claimed first with a lease in the shared LeaseStore
 * (by reminder id) and decided again from its stream under the lease, so of several workers exactly one sends it and
 * the others find it recorded (R44). Send-then-record: a crash in between sends once more with the same reminder id
 * once the lease runs out (the sender drops the repeat); nothing is lost.
 */
@Injectable()
export class ReminderDispatcher {
  private readonly logger = new Logger('Reminders');

  constructor(
    @Inject(READ_STORE) readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REMINDER_SENDER) private readonly sender: MessageSender,
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(REMINDER_PREFERENCES) private readonly preferences: ReminderPreferences,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly holdings: HoldingsModel,
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
    private readonly policies: PolicyRegistry,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
  ) {
    this.owners = new RunLeaseOwners(leases);
    this.marks = new ReminderMarks(readStore);
  }

  private readonly marks: ReminderMarks;

  private readonly owners: RunLeaseOwners;

  /** On shutdown, once no run is under way: hand back the leases still held (none, unless a run was cut short). */
  releaseLeases(): Promise<number> {
    return this.owners.releaseAll();
  }

  /**
   * Sends what is due now; returns how many reminders were recorded sent. The schedule is computed from each row's
   * expiry in memory; a holding's streams are read only when its latest due reminder is not marked done in
   * `reminder_marks` (a cache in the read store of outcomes already recorded: losing it costs reads, never a reminder,
   * since the decider re-checks the stream).
   */
  runOnce(): Promise<number> {
    // Each run leases as an owner of its own: two runs of one process exclude each other as two processes do.
    return this.owners.during((owner) => this.run(owner));
  }

  private async run(owner: string): Promise<number> {
    const now = this.clock.now();
    const book = this.policies.book();
    const horizon = reminderHorizon(now, book);
    if (horizon.getTime() === now.getTime()) return 0;
    await this.marks.setup();
    const holdings = this.holdings.tables().holdings;
    const latestByExpiry = new Map<string, string | undefined>();
    const nowIso = now.toISOString();
    let sent = 0;
    for (let after = ''; ; ) {
      const candidates = await this.marks.candidates(holdings, nowIso, horizon.toISOString(), after, PAGE);
      for (const candidate of candidates) {
        if (!latestByExpiry.has(candidate.expiresAt)) {
          const due = reminderSchedule(new Date(candidate.expiresAt), book).filter((r) => r.dueAt <= nowIso);
          latestByExpiry.set(candidate.expiresAt, due[due.length - 1]?.offset);
        }
        const latest = latestByExpiry.get(candidate.expiresAt);
        if (latest === undefined) continue;
        const mark = await this.marks.find(candidate.holdingId, candidate.expiresAt, latest);
        if (mark && (mark.retry_at === null || mark.retry_at > nowIso)) continue;
        try {
          sent += await this.remind(candidate, latest, owner);
        } catch (error) {
          // One holding's failure must not stop the others; it is due again on the next run.
          this.logger.error(`reminder ${candidate.holdingId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const last = candidates[candidates.length - 1];
      if (!last || candidates.length < PAGE) return sent;
      after = last.holdingId;
    }
  }

  /**
   * Claims the reminder the streams say is due, then decides again from the streams read under the lease: another
   * process may have sent and recorded it in between (R44). Returns how many events recorded it sent.
   */
  private async remind(candidate: ReminderCandidate, latest: string, owner: string): Promise<number> {
    const first = await this.decide(candidate);
    if (!first) {
      // Done already (another process), or not wanted (last-only): nothing to read again until the next offset.
      await this.marks.mark(candidate.holdingId, candidate.expiresAt, latest, null);
      return 0;
    }
    const name = reminderLeaseName(first.reminder.reminderId);
    const [lease] = await this.leases.acquire([name], owner, LEASE_MS);
    if (!lease) return 0;
    try {
      const decided = await this.decide(candidate);
      if (!decided || decided.reminder.reminderId !== first.reminder.reminderId) return 0;
      // The fence (R56): reading took so long that the lease passed to another sender: that one sends.
      if (!(await this.leases.holds(lease, owner))) return 0;
      return await this.send(candidate, decided.reminder, decided.context);
    } finally {
      await this.leases.release(name, owner);
    }
  }

  private async decide(candidate: ReminderCandidate): Promise<{ reminder: DueReminder; context: ReminderContext } | null> {
    const { holdingId, profileId, code } = candidate;
    const certification = this.catalog.get(code);
    if (!certification) return null;
    const holding = await this.reader.load<HoldingState, HoldingEvent>(holdingStream(profileId, code), evolveHolding, initialHoldingState);
    const reminders = await this.reader.load<ReminderState, ReminderEvent>(
      remindersStream(holdingId),
      evolveReminders,
      initialReminderState,
    );
    const preferences = await this.preferences.forProfile(profileId);
    const context: ReminderContext = {
      now: this.clock.now(),
      policies: this.policies.book(),
      holding: holding.state,
      preference: preferences.reminders,
      reminderId: reminderIdOf,
    };
    const reminder = dueReminder(reminders.state, context);
    return reminder ? { reminder, context } : null;
  }

  private async send(candidate: ReminderCandidate, reminder: DueReminder, context: ReminderContext): Promise<number> {
    const { holdingId, profileId, code } = candidate;
    const certification = this.catalog.get(code);
    if (!certification) return 0;
    const { recipient } = await recipientOf({ store: this.store, vault: this.vault, preferences: this.preferences }, profileId);
    let outcome: ReminderOutcome;
    try {
      const message = await this.messages.compose(
        {
          kind: 'reminder',
          messageId: reminder.reminderId,
          certification,
          offset: reminder.offset,
          windowOpensAt: context.policies.windowOpensAt(new Date(reminder.expiresAt)).opensAt.toISOString(),
          expiresAt: reminder.expiresAt,
        },
        recipient,
        context.now,
      );
      // Already there (a retry after a crash between sending and recording): it was sent. No address (erased): a
      // bounce, since nothing can ever be delivered, not a retry.
      const result = await this.sender.send(reminder.reminderId, message);
      outcome = result === 'no-address' ? { kind: 'bounced', reason: 'no address' } : { kind: 'sent', language: message.language };
    } catch (error) {
      outcome = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    const recorded = await this.record(reminder, outcome);
    const failed = recorded.find((event) => event.type === 'RenewalReminderDeliveryFailed');
    const retryAt = failed ? ((failed.data['nextAttemptAt'] as string | null) ?? null) : null;
    // A failure leaves the mark due again at its retry instant; anything else marks this offset done.
    await this.marks.mark(
      holdingId,
      reminder.expiresAt,
      reminder.offset,
      outcome.kind === 'failed' && !failed ? nowRetry(context.now) : retryAt,
    );
    return outcome.kind === 'sent' ? recorded.length : 0;
  }

  private async record(reminder: DueReminder, outcome: ReminderOutcome): Promise<RecordedEvent[]> {
    const result = await this.bus.execute(
      new ReminderWrite(
        reminder.holdingId,
        { type: 'RecordReminderOutcome', data: { reminder, outcome } },
        {
          commandId: `${reminder.reminderId}:${reminder.attempt}`,
          correlationId: reminder.reminderId,
          causationId: reminder.holdingId,
          actor: 'reminder-dispatcher',
        },
        // The holding is not consulted when recording; the schedule was decided a moment ago.
        {
          deps: () => ({ policies: this.policies.book(), holding: initialHoldingState, preference: 'all', reminderId: reminderIdOf }),
        },
      ),
    );
    return result.events;
  }
}
