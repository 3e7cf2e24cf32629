import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { EVENT_STORE, EventStore, Subscription } from '@recert/eventstore';
import { parsePolicy, Policy } from '../policy';
import { PolicyRegistry } from '../renewals.tokens';
import { policyStream } from '../streams';

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

  async onModuleInit(): Promise<void> {
    for (const event of await this.store.readStream(policyStream())) this.adopt(event.data['policy']);
    this.subscription = this.store.subscribe(
      { after: await this.store.headPosition(), filter: { eventTypes: ['PolicyAdopted'] } },
      {
        onEvents: (events) => events.forEach((event) => this.adopt(event.data['policy'])),
        onError: (error) => this.logger.error(`policy adoptions subscription stopped: ${error.message}`),
      },
    );
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
    await this.subscription?.stop();
    this.adopted$.complete();
  }
}
