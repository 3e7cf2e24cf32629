import { join } from 'node:path';
import type { Harness } from './harness';

/** The policy file whose 2021-06-30 version lists reminders: window-opens, P90D, P30D, P7D. */
export const REMINDER_POLICY_FILE = join(__dirname, '..', 'fixtures', 'policies', 'reminders.json');

/** The api app (harness) under the reminder policies, its manual clock at `clockStart`. */
export async function startWithReminderPolicies(clockStart: string): Promise<Harness> {
  // Loaded when asked: the topology spec takes only the file name and must not load the whole app.
  const { startApp } = await import('./harness');
  return startApp({ clockStart, env: { POLICY_FILE: REMINDER_POLICY_FILE } });
}
