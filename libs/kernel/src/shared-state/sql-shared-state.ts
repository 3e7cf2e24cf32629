import { SqlRunner, sqlWebhookState } from './sql-webhook-state';
import { IdempotencyStore, KeyVaultStore, LeaseStore, RateCounterStore, SharedState, WebhookStateStore } from './shared-state.ports';

/**
 * What the SQLite and PostgreSQL adapters share: the port's five stores as fields, built in one order from the
 * adapter's factories. The subclass calls `openStores` at the end of its constructor, once its database is open
 * and migrated (the factories read its fields, which do not exist yet while this constructor runs).
 */
export abstract class SqlSharedState implements SharedState {
  abstract readonly description: string;
  // Definite (!): every subclass constructor calls openStores before it returns.
  readonly keys!: KeyVaultStore;
  readonly idempotency!: IdempotencyStore;
  readonly leases!: LeaseStore;
  readonly rateCounters!: RateCounterStore;
  readonly webhooks!: WebhookStateStore;

  protected openStores(): void {
    const stores: Omit<SharedState, 'description' | 'sweep' | 'close'> = {
      keys: this.keyVault(),
      idempotency: this.idempotencyStore(),
      leases: this.leaseStore(),
      rateCounters: this.rateCounterStore(),
      webhooks: sqlWebhookState(this.runner()),
    };
    // Object.assign: the fields are readonly to everyone, this one assignment included.
    Object.assign(this, stores);
  }

  protected abstract keyVault(): KeyVaultStore;
  protected abstract idempotencyStore(): IdempotencyStore;
  protected abstract leaseStore(): LeaseStore;
  protected abstract rateCounterStore(): RateCounterStore;
  /** Statements for the webhook state, run by the adapter's own connection(s). */
  protected abstract runner(): SqlRunner;
  abstract sweep(nowMs: number): Promise<void>;
  abstract close(): Promise<void>;
}
