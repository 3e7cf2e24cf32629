import type { FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from './config';

/**
 * A narrow slice of the settings as a provider of its own (#28.4): a class injects the few settings it reads, under
 * a token declared beside it, instead of the whole `AppConfig`, so its constructor says what it depends on and a
 * test builds it from a small object. Usage, in the slice's file:
 *
 *   export type ReminderSettings = Pick<AppConfig, 'reminderDays' | 'clock'>;
 *   export const REMINDER_SETTINGS = Symbol('REMINDER_SETTINGS');
 *   export const reminderSettings = settingsProvider(REMINDER_SETTINGS, (c): ReminderSettings => ({ ... }));
 *
 * and `reminderSettings` in the module's providers.
 */
export function settingsProvider<T>(token: symbol, pick: (config: AppConfig) => T): FactoryProvider<T> {
  return { provide: token, inject: [APP_CONFIG], useFactory: pick };
}
