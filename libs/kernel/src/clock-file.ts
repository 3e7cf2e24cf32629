import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from './clock';
import { ConfigError } from './config';

/**
 * The manual clock survives a restart (#16.15): each move through POST /admin/clock is written to
 * `DATA_DIR/manual-clock.json`, and a manual clock starts from it when it is later than CLOCK_START (never backwards).
 * A file rather than an event: simulated time is no domain fact, the clock must be right synchronously before any
 * module reads it (scheduler, projections), and it works the same whichever event store is configured.
 */
export const MANUAL_CLOCK_FILE = 'manual-clock.json';

/** Moves `clock` forward to the instant saved in `dataDir`, if any; a damaged file stops start-up. */
export function restoreManualClock(clock: ManualClock, dataDir: string): Date | undefined {
  const file = join(dataDir, MANUAL_CLOCK_FILE);
  if (!existsSync(file)) return undefined;
  let saved: Date;
  try {
    const now = (JSON.parse(readFileSync(file, 'utf8')) as { now?: unknown }).now;
    saved = new Date(typeof now === 'string' ? now : Number.NaN);
  } catch {
    saved = new Date(Number.NaN);
  }
  if (Number.isNaN(saved.getTime())) throw new ConfigError(`${file} does not hold a saved instant: fix or remove it`);
  if (saved.getTime() > clock.now().getTime()) clock.set(saved);
  return saved;
}

/** Saves the clock's instant atomically (written beside, synced, renamed): a crash leaves the old or the new one. */
export function saveManualClock(clock: ManualClock, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, MANUAL_CLOCK_FILE);
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify({ now: clock.now().toISOString() })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}
