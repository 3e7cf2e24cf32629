import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { CLOCK, Clock, isManualClock, ManualClock, SystemClock } from '../clock';
import { restoreManualClock } from '../clock-file';
import { APP_CONFIG, AppConfig, loadConfig } from '../config';
import { SHARED_STATE_TOKENS, sharedStateProviders } from '../shared-state/shared-state.module';
import { Metrics } from '../metrics/metrics';
import { GracefulShutdown } from './graceful-shutdown';
import { TokenVerifier } from '../http/token-verifier';

/** Configuration, the one clock and the shared state, for every module of every app. */
@Global()
@Module({})
export class KernelModule {
  static forRoot(config: AppConfig = loadConfig(), clock?: Clock): DynamicModule {
    if (config.oidc) {
      const also = config.jwtSecret === undefined ? '' : ', and HS256 tokens with AUTH_JWT_SECRET';
      new Logger('Config').log(`tokens: the issuer ${config.oidc.issuer} for audience ${config.oidc.audience}${also} (ADR 0015)`);
    }
    if (config.jwtSecretIsDevelopment) {
      new Logger('Config').warn(
        '!!! AUTH_JWT_SECRET is not set: tokens are checked with the PUBLIC DEVELOPMENT SECRET. Never run like this in production. !!!',
      );
    }
    const theClock = clock ?? (config.clock === 'manual' ? new ManualClock(config.clockStart ?? new Date()) : new SystemClock());
    // A simulation goes on where it was before a restart (#16.15).
    if (config.clock === 'manual' && isManualClock(theClock)) {
      const saved = restoreManualClock(theClock, config.dataDir);
      if (saved) new Logger('Clock').log(`manual clock restored to ${theClock.now().toISOString()} (saved ${saved.toISOString()})`);
    }
    return {
      module: KernelModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: theClock },
        ...sharedStateProviders(),
        GracefulShutdown,
        Metrics,
        TokenVerifier,
      ],
      exports: [APP_CONFIG, CLOCK, ...SHARED_STATE_TOKENS, GracefulShutdown, Metrics, TokenVerifier],
    };
  }
}
