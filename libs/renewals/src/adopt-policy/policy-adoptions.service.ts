import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { EVENT_STORE, EventStore, Subscription } from '@recert/eventstore';
import { parsePolicy, Policy, policyStream } from '@recert/domain';
import { PolicyRegistry } from '../renewals.tokens';

/**
 * Keeps this process's policy book in step with the log: adopted versions are loaded at start-up, and new
 * adoptions (from any process) arrive through a subscription. `adopted$` tells the read side to rebuild.
 */
@Injectable()
export class PolicyAdoptions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PolicyAdoptions');
  readonly adopted$ = new Subject<Policy>();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly registry: PolicyRegistry,
  ) {}

  /** True once the adopted versions are in the book: until then no decision may be taken. */
  loaded = false;
  private retry?: NodeJS.Timeout;
  private closed = false;

  /** Never fails start-up: an unreachable store is retried in the background while commands answer 503. */
  async onModuleInit(): Promise<void> {
    await this.load();
  }

  private async load(): Promise<void> {
    try {
      const head = await this.store.headPosition();
      for (const event of await this.store.readStream(policyStream())) this.adopt(event.data['policy']);
      this.loaded = true;
      this.subscription = this.store.subscribe(
        { after: head, filter: { eventTypes: ['PolicyAdopted'] } },
        {
          onEvents: (events) => events.forEach((event) => this.adopt(event.data['policy'])),
          onError: (error) => this.logger.error(`policy adoptions subscription stopped: ${error.message}`),
        },
      );
    } catch (error) {
      if (this.closed) return;
      this.logger.error(`cannot read policy adoptions yet (${error instanceof Error ? error.message : String(error)}); retrying in 5 s`);
      this.retry = setTimeout(() => void this.load(), 5000);
    }
  }

  /** Idempotent: a version already in the book changes nothing. */
  adopt(raw: unknown): void {
    const policy = parsePolicy(raw);
    if (this.registry.book().byVersion(policy.version)) return;
    this.registry.adopt(policy);
    this.logger.log(`policy ${policy.version} adopted, effective from ${policy.effectiveFrom}`);
    this.adopted$.next(policy);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.subscription?.stop();
    this.adopted$.complete();
  }
}
