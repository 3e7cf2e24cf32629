/**
 * ISO 8601 durations (`P2Y`, `P6M`, `P180D`, `PT24H`, `P1Y2M3DT4H5M6S`) and calendar arithmetic in UTC:
 * years and months move the calendar date and clamp to the month's last day (31 Aug - 6 months = 28/29 Feb),
 * days are calendar days, hours, minutes and seconds are exact.
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PATTERN = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export function parseDuration(text: string): Duration {
  const match = PATTERN.exec(text);
  if (!match) throw new Error(`Not an ISO 8601 duration: ${text}`);
  const n = (i: number): number => Number(match[i] ?? 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

export function isDuration(text: string): boolean {
  return PATTERN.test(text);
}

function shift(instant: Date, duration: Duration, sign: 1 | -1): Date {
  const totalMonths = sign * (duration.years * 12 + duration.months);
  const y = instant.getUTCFullYear();
  const m = instant.getUTCMonth() + totalMonths;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(instant.getUTCDate(), lastDay);
  const moved = new Date(
    Date.UTC(
      targetYear,
      targetMonth,
      day,
      instant.getUTCHours(),
      instant.getUTCMinutes(),
      instant.getUTCSeconds(),
      instant.getUTCMilliseconds(),
    ),
  );
  const days = sign * (duration.weeks * 7 + duration.days);
  moved.setUTCDate(moved.getUTCDate() + days);
  const exactMs = sign * ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000;
  return new Date(moved.getTime() + exactMs);
}

export function addDuration(instant: Date, duration: string | Duration): Date {
  return shift(instant, typeof duration === 'string' ? parseDuration(duration) : duration, 1);
}

export function subtractDuration(instant: Date, duration: string | Duration): Date {
  return shift(instant, typeof duration === 'string' ? parseDuration(duration) : duration, -1);
}
