import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { HoldingsModel, PROJECTOR, type Projector } from '@recert/projections';
import { DeadlineTicks } from './deadline-ticks';
import { OutboundDeliveries } from './outbound-deliveries';
import { ProcessCompletions } from './process-completions';

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
 * One run of the worker's beat, in order (#28.4): finish torn processes, keep the holdings' deadlines, then send
 * what they made due. Each part is a class of its own; this one orders them on a read model that has seen the log.
 */
@Injectable()
export class Scheduler {
  private readonly logger = new Logger('Scheduler');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly runner: Projector,
    private readonly holdings: HoldingsModel,
    private readonly processes: ProcessCompletions,
    private readonly deadlines: DeadlineTicks,
    private readonly deliveries: OutboundDeliveries,
  ) {}

  async runOnce(): Promise<SchedulerRun> {
    // Decide from a read model that has seen everything written so far.
    await this.runner.waitFor(await this.store.headPosition(), 5000, [this.holdings.tables().projection]);
    const completions = await this.processes.runOnce();
    const { windowsOpened, expired, asOf } = await this.deadlines.runOnce();
    const sent = await this.deliveries.runOnce();
    const { notified, reminded } = sent;
    if (windowsOpened + expired + notified + reminded > 0)
      this.logger.log(`windows opened ${windowsOpened}, expired ${expired}, notified ${notified}, reminded ${reminded}`);
    return { windowsOpened, expired, ...sent, ...completions, asOf: asOf.toISOString() };
  }
}
