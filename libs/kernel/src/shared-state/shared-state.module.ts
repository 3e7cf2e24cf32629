import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { importLegacyPersonalDataKeys, openSharedState } from './open-shared-state';
import {
  IDEMPOTENCY_STORE,
  KEY_VAULT_STORE,
  LEASE_STORE,
  RATE_COUNTER_STORE,
  SHARED_STATE,
  SharedState,
  WEBHOOK_STATE_STORE,
} from './shared-state.ports';

/** Sweeps ended windows, leases and old answers at start and hourly; closes the connection last. */
@Injectable()
export class SharedStateLifecycle implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  constructor(@Inject(SHARED_STATE) private readonly state: SharedState) {}

  async onModuleInit(): Promise<void> {
    await this.state.sweep(Date.now());
    this.timer = setInterval(() => {
      this.state.sweep(Date.now()).catch((error: unknown) => new Logger('SharedState').warn(`sweep failed: ${String(error)}`));
    }, 3600_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.state.close();
  }
}

/** The shared state's providers (ADR 0008), part of the global KernelModule: SHARED_STATE and one token per port. */
export function sharedStateProviders(): Provider[] {
  const port = (token: symbol, pick: (state: SharedState) => unknown): Provider => ({
    provide: token,
    inject: [SHARED_STATE],
    useFactory: pick,
  });
  return [
    {
      provide: SHARED_STATE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<SharedState> => {
        const state = await openSharedState(config.sharedStateUrl, config.personalDataKeks, config.postgres);
        const moved = await importLegacyPersonalDataKeys(config.dataDir, state);
        const logger = new Logger('SharedState');
        if (config.personalDataKekIsDevelopment) {
          logger.warn(
            'PERSONAL_DATA_KEK_FILE is unset: personal-data keys are wrapped under the PUBLIC development KEK, so an erasure does not reach copies of the shared state (backups, WAL). Set it outside development (ADR 0008).',
          );
        }
        if (moved > 0) logger.log(`moved ${moved} personal-data keys from ${config.dataDir}/personal-data.db`);
        logger.log(`shared state: ${state.description}`);
        if (config.eventStoreConnectionString?.startsWith('esdb') && config.sharedStateUrl.startsWith('file:')) {
          logger.warn('EventStoreDB with a file shared state: processes on other machines need SHARED_STATE_URL=postgres://… (ADR 8)');
        }
        return state;
      },
    },
    port(KEY_VAULT_STORE, (state) => state.keys),
    port(IDEMPOTENCY_STORE, (state) => state.idempotency),
    port(LEASE_STORE, (state) => state.leases),
    port(RATE_COUNTER_STORE, (state) => state.rateCounters),
    port(WEBHOOK_STATE_STORE, (state) => state.webhooks),
    SharedStateLifecycle,
  ];
}

export const SHARED_STATE_TOKENS = [SHARED_STATE, KEY_VAULT_STORE, IDEMPOTENCY_STORE, LEASE_STORE, RATE_COUNTER_STORE, WEBHOOK_STATE_STORE];
