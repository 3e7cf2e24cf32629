import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { EVENT_STORE, EventStore, RecordedEvent, Subscription } from '@recert/eventstore';
import { parsePolicy, POLICY_ADOPTION_EVENT_TYPES, POLICY_ADOPTION_EVENTS, PolicyBook, policyStream } from '@recert/domain';
import { PolicyRegistry } from '../renewals.tokens';

/**
 * Keeps this process's policy book in step with the log: adopted (and withdrawn, R14b) versions are loaded at
 * start-up, and new ones (from any process) arrive through a subscription. `changed$` tells the read side to rebuild.
 */
@Injectable()
export class PolicyAdoptions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('PolicyAdoptions');
  readonly changed$ = new Subject<PolicyBook>();
  private subscription?: Subscription;
  /** Withdrawn versions: a late or repeated PolicyAdopted of one of them never re-enters the book. */
  private readonly withdrawn = new Set<string>();

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
      for (const event of await this.store.readStream(policyStream())) this.apply(event);
      this.loaded = true;
      this.subscription = this.store.subscribe(
        { after: head, filter: { eventTypes: [...POLICY_ADOPTION_EVENT_TYPES] } },
        {
          onEvents: (events) => events.forEach((event) => this.apply(event)),
          onError: (error) => this.logger.error(`policy adoptions subscription stopped: ${error.message}`),
        },
      );
    } catch (error) {
      if (this.closed) return;
      this.logger.error(`cannot read policy adoptions yet (${error instanceof Error ? error.message : String(error)}); retrying in 5 s`);
      this.retry = setTimeout(() => void this.load(), 5000);
    }
  }

  /** One event of the policy-adoptions stream, from the log or just stored by this process; idempotent. */
  apply(event: RecordedEvent): void {
    if (!POLICY_ADOPTION_EVENTS.is(event)) return;
    if (event.type === 'PolicyAdoptionWithdrawn') this.withdraw(event.data.version);
    // Parsed again: a stored adoption is checked for shape whatever its type says.
    else this.adopt(event.data.policy);
  }

  /** Idempotent: a version already in the book (or withdrawn) changes nothing. */
  adopt(raw: unknown): void {
    // Shape only: a stored adoption is a fact, kept even if it predates R14a's bounds (those are the decider's).
    const policy = parsePolicy(raw);
    if (this.withdrawn.has(policy.version) || this.registry.book().byVersion(policy.version)) return;
    this.registry.adopt(policy);
    this.logger.log(`policy ${policy.version} adopted, effective from ${policy.effectiveFrom}`);
    this.changed$.next(this.registry.book());
  }

  /** R14b: takes a withdrawn version out of the book; idempotent. */
  withdraw(version: string): void {
    this.withdrawn.add(version);
    if (!this.registry.book().byVersion(version)) return;
    this.registry.withdraw(version);
    this.logger.log(`policy ${version} withdrawn before taking effect`);
    this.changed$.next(this.registry.book());
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.subscription?.stop();
    this.changed$.complete();
  }
}
