import { addDuration, isDuration, subtractDuration } from '@recert/kernel/pure';

/** The reminder offsets of a policy version (#14.4): checked here, where the policy parser can reach without a cycle. */
export const WINDOW_OPENS = 'window-opens';
export const MAX_REMINDER_OFFSETS = 8;
/** R30: offsets lie between one hour and two years before expiry. */
const SHORTEST = 'PT1H';
const LONGEST = 'P2Y';
/** `none` (R80): the holder unsubscribed from reminders; R4's notice and the status messages still go. */
export type ReminderPreference = 'all' | 'last-only' | 'none';

/** Checks a policy's `reminders` (R30); throws with the field at fault. Absent: no reminders beyond R4's notice. */
export function parseReminderOffsets(raw: unknown, where: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where}: an array of offsets is required`);
  if (raw.length > MAX_REMINDER_OFFSETS) throw new Error(`${where}: at most ${MAX_REMINDER_OFFSETS} offsets`);
  const anchor = new Date('2000-01-01T00:00:00Z');
  const seen = new Set<string>();
  for (const [index, offset] of raw.entries()) {
    if (typeof offset !== 'string' || (offset !== WINDOW_OPENS && !isDuration(offset))) {
      throw new Error(`${where}[${index}]: "${WINDOW_OPENS}" or an ISO 8601 duration is required`);
    }
    if (offset !== WINDOW_OPENS) {
      const before = anchor.getTime() - subtractDuration(anchor, offset).getTime();
      const min = addDuration(anchor, SHORTEST).getTime() - anchor.getTime();
      const max = addDuration(anchor, LONGEST).getTime() - anchor.getTime();
      if (before < min || before > max) throw new Error(`${where}[${index}]: an offset from ${SHORTEST} to ${LONGEST} is required`);
    }
    if (seen.has(offset)) throw new Error(`${where}[${index}]: ${offset} is listed twice`);
    seen.add(offset);
  }
  return raw as string[];
}
