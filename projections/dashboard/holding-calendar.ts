import icalGenerator, { ICalAlarmType, ICalCalendarMethod } from 'ical-generator';
import { fill, formatDateTime, Language, localDate, messages, startOfLocalDay } from '../i18n/holder-i18n';

/** The facts of one holding's cycle a calendar states. */
export interface HoldingCalendarFacts {
  profileId: string;
  code: string;
  cycle: number;
  /** The certification's name in the calendar's language. */
  name: string;
  renewalWindowOpensAt: string | null;
  expiresAt: string | null;
  renewalUrl: string | null;
}

export interface CalendarReader {
  language: Language;
  /** IANA zone the whole-day dates are taken in: the holder's own (#26.5). */
  timeZone: string;
  now: Date;
}

/** Reminders before the last day to renew, in days; each at 09:00 local, and only those still ahead. */
export const REMINDER_DAYS = [30, 7, 1] as const;
const REMINDER_HOUR = 9;

const DAY_MS = 86_400_000;
const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
/** A whole day for ical-generator, which writes an all-day date from the instant's UTC fields. */
const wholeDay = (date: string): Date => new Date(`${date}T00:00:00Z`);

/**
 * A holding's renewal dates as an RFC 5545 calendar (#15.2, #26.5). Whole-day dates are the holder's local days:
 * the window opens on the day its instant falls on in their zone, and the last day to renew is the local day of the
 * last instant before expiry (for Los Angeles a midnight-UTC expiry's eve, for Tokyo its day). Only what lies ahead:
 * no "window opens" once it is open, nothing once expired, and only reminders whose moment is still to come.
 */
export function holdingCalendar(facts: HoldingCalendarFacts, reader: CalendarReader): string {
  const words = messages(reader.language).calendar;
  const { timeZone: zone, now, language } = reader;
  const values = { name: facts.name, url: facts.renewalUrl ?? '' };
  const calendar = icalGenerator({ name: fill(words.name, values), prodId: { company: 'recert', product: 'dashboard' } });
  calendar.method(ICalCalendarMethod.PUBLISH);
  // Stable UIDs: importing the file again updates the same events instead of adding copies.
  const uid = (what: string): string => `${what}.${facts.cycle}.${facts.code}.${facts.profileId}@recert`;
  const renew = facts.renewalUrl ? `\n\n${fill(words.renew, values)}` : '';
  const expired = facts.expiresAt !== null && Date.parse(facts.expiresAt) <= now.getTime();
  if (facts.renewalWindowOpensAt && !expired && Date.parse(facts.renewalWindowOpensAt) > now.getTime()) {
    const expires = facts.expiresAt ? formatDateTime(facts.expiresAt, language, zone) : '';
    calendar.createEvent({
      id: uid('window'),
      stamp: now,
      start: wholeDay(localDate(new Date(facts.renewalWindowOpensAt), zone)),
      allDay: true,
      summary: fill(words.opens, values),
      description: fill(words.opensDescription, { ...values, expires }) + renew,
      url: facts.renewalUrl ?? undefined,
    });
  }
  if (facts.expiresAt && !expired) {
    const expiresAt = Date.parse(facts.expiresAt);
    const lastDay = localDate(new Date(expiresAt - 1), zone);
    const expires = formatDateTime(facts.expiresAt, language, zone);
    const alarms = REMINDER_DAYS.filter((days) => reminderAt(lastDay, days, zone).getTime() > now.getTime()).map((days) => ({
      type: ICalAlarmType.display,
      // Seconds before the event's start (local midnight of the last day): `days` days earlier, at 09:00.
      trigger: days * 86_400 - REMINDER_HOUR * 3_600,
      description: fill(words.lastDay, { ...values, time: expires }),
    }));
    calendar.createEvent({
      id: uid('expiry'),
      stamp: now,
      start: wholeDay(lastDay),
      allDay: true,
      summary: fill(words.lastDay, { ...values, time: expires }),
      description: fill(words.lastDayDescription, { ...values, expires }) + renew,
      url: facts.renewalUrl ?? undefined,
      alarms,
    });
  }
  return calendar.toString();
}

/** The instant a reminder `days` before the local `lastDay` rings: 09:00 that day in `zone`. */
export function reminderAt(lastDay: string, days: number, zone: string): Date {
  return new Date(startOfLocalDay(addDays(lastDay, -days), zone).getTime() + REMINDER_HOUR * 3_600_000);
}
