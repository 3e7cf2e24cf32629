import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { CLOCK, Clock } from '@recert/kernel';
import { Deadline, DeadlineQueries, HoldingsModel, PROJECTOR, Projector } from '@recert/projections';
import { CATALOG, holdingDeps, MergeCompleter, OverrideRequests, PolicyRegistry, StreamCommands } from '@recert/renewals';
import { Catalog, HoldingCommand, holdingDecider } from '@recert/domain';
import { HolderMessageDispatcher } from '../messages/holder-message-dispatcher';
import { NotificationDispatcher } from '../notifications/notification-dispatcher';
import { ReminderDispatcher } from '../reminders/reminder-dispatcher';
import { WebhookDeliveries } from '../webhooks/webhook-deliveries';

export interface SchedulerRun {
  windowsOpened: number;
  expired: number;
  notified: number;
  /** Renewal reminders recorded sent by this run (#14.4). */
  reminded: number;
  /** Webhook deliveries that succeeded in this run (#14.5). */
  webhooksDelivered: number;
  /** Status messages (expired, revoked, suspended, reinstated, override applied) recorded sent by this run (#29). */
  messaged: number;
  /** Merges a crash had left half-done, finished by this run (#16.3). */
  mergesCompleted: number;
  /** Override requests left undecided 7 days, recorded expired by this run (R24). */
  overridesExpired: number;
  /** Approved overrides whose effect or completion a crash left missing, finished by this run (R26). */
  overridesCompleted: number;
  asOf: string;
}

/**
 * Asks the deadlines read model what is due at now and sends ordinary commands (R3, R4, R9). Deciders ignore
 * what is already done and appends carry expected revisions, so two runs, or two processes, at once open each
 * window and expire each holding exactly once.
 */
@Injectable()
export class Scheduler {
  private readonly logger = new Logger('Scheduler');

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly deadlines: DeadlineQueries,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly holdings: HoldingsModel,
    private readonly commands: StreamCommands,
    private readonly policies: PolicyRegistry,
    private readonly dispatcher: NotificationDispatcher,
    private readonly merges: MergeCompleter,
    private readonly reminders: ReminderDispatcher,
    private readonly webhooks: WebhookDeliveries,
    private readonly overrides: OverrideRequests,
    private readonly messages: HolderMessageDispatcher,
  ) {}

  async runOnce(): Promise<SchedulerRun> {
    // Decide from a read model that has seen everything written so far.
    await this.runner.waitFor(await this.store.headPosition(), 5000, [this.holdings.tables().projection]);
    // First: a holding still half-way through a torn merge is renewable nowhere until it completes.
    const mergesCompleted = await this.merges.completeStarted();
    // An approved override finishes before deadlines are judged: its extension may move an expiry that is due now.
    const overridesCompleted = await this.overrides.completeApproved();
    const overridesExpired = await this.overrides.expireDue();
    const now = this.clock.now();
    let windowsOpened = 0;
    let expired = 0;
    for (const due of await this.deadlines.windowsDue(now)) {
      windowsOpened += await this.send(due, { type: 'OpenRenewalWindow' }, 'open-window');
    }
    for (const due of await this.deadlines.expiriesDue(now)) {
      expired += await this.send(due, { type: 'ExpireHolding' }, 'expire');
    }
    // The outbox is fed by the projection: let it take the windows just opened before dispatching.
    await this.runner.waitFor(await this.store.headPosition(), 5000, ['outbox', 'holder-messages']);
    const notified = await this.dispatcher.dispatchOnce();
    const messaged = await this.messages.dispatchOnce();
    const reminded = await this.reminders.runOnce();
    const webhooksDelivered = await this.webhooks.runOnce();
    if (windowsOpened + expired + notified + reminded > 0)
      this.logger.log(`windows opened ${windowsOpened}, expired ${expired}, notified ${notified}, reminded ${reminded}`);
    return {
      windowsOpened,
      expired,
      notified,
      reminded,
      webhooksDelivered,
      messaged,
      mergesCompleted,
      overridesExpired,
      overridesCompleted,
      asOf: now.toISOString(),
    };
  }

  private async send(due: Deadline, command: HoldingCommand, kind: string): Promise<number> {
    const certification = this.catalog.get(due.code);
    if (!certification) return 0;
    try {
      const meta = {
        commandId: `${kind}:${due.holdingId}`,
        correlationId: `scheduler:${kind}`,
        causationId: due.holdingId,
        actor: 'scheduler',
      };
      const outcome = await this.commands.handle(
        holdingDecider,
        { profileId: due.profileId, certificationCode: certification.code },
        command,
        meta,
        holdingDeps(certification, this.policies),
      );
      return outcome.events.length > 0 ? 1 : 0;
    } catch (error) {
      // One holding's failure must not stop the others; it is due again on the next run.
      this.logger.error(`${kind} ${due.holdingId}: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }
}
