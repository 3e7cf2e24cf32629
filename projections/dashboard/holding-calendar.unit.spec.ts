import ICAL from 'ical.js';
import { holdingCalendar, HoldingCalendarFacts } from './holding-calendar';

const FACTS: HoldingCalendarFacts = {
  profileId: 'p-1',
  code: 'azure-administrator-associate',
  cycle: 2,
  name: 'Azure Administrator',
  renewalWindowOpensAt: '2026-07-01T00:00:00.000Z',
  expiresAt: '2027-01-01T00:00:00.000Z',
  renewalUrl: 'https://learn.example/renew',
};

interface ParsedEvent {
  uid: string;
  summary: string;
  date: string;
  isDate: boolean;
  /** Each reminder's floating local date and time (the event's day plus the trigger). */
  reminders: string[];
}

/** Parsed by ical.js (Mozilla's, used by Thunderbird), not by the generator that wrote it. */
function parse(ics: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(ics) as unknown[]);
  return calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      summary: event.summary,
      date: event.startDate.toString().slice(0, 10),
      isDate: event.startDate.isDate,
      reminders: component.getAllSubcomponents('valarm').map((alarm) => {
        const at = event.startDate.clone();
        at.isDate = false;
        at.addDuration(alarm.getFirstPropertyValue('trigger') as ICAL.Duration);
        return at.toString().slice(0, 16);
      }),
    };
  });
}

/** The local date and time ("YYYY-MM-DDTHH:mm") of an instant in a zone, by Intl: an oracle independent of the code. */
const local = (iso: string, timeZone: string): string =>
  new Date(iso).toLocaleString('sv-SE', { timeZone, hour12: false }).replace(' ', 'T').slice(0, 16);

describe('#26.5 a holding calendar in the holder zone (R75)', () => {
  // A midnight-UTC expiry is 16:00 on 31 December in Los Angeles and 09:00 on 1 January in Tokyo; the window's
  // midnight-UTC opening is the evening of 30 June in Los Angeles.
  it.each([
    {
      timeZone: 'America/Los_Angeles',
      language: 'en' as const,
      window: { date: '2026-06-30', summary: 'Renewal window opens: Azure Administrator' },
      expiresLocally: '2026-12-31T16:00',
      lastDay: '2026-12-31',
      title: 'Last day to renew Azure Administrator: it expires 31 December 2026 16:00 (America/Los_Angeles)',
      reminders: ['2026-12-01T09:00', '2026-12-24T09:00', '2026-12-30T09:00'],
    },
    {
      timeZone: 'Asia/Tokyo',
      language: 'ja' as const,
      window: { date: '2026-07-01', summary: '更新期間の開始: Azure Administrator' },
      expiresLocally: '2027-01-01T09:00',
      lastDay: '2027-01-01',
      title: 'Azure Administrator の更新最終日: 2027年1月1日 09:00 (Asia/Tokyo) に失効',
      reminders: ['2026-12-02T09:00', '2026-12-25T09:00', '2026-12-31T09:00'],
    },
  ])(
    'R75: in $timeZone the window opens on $window.date, the last day to renew is $lastDay, reminders on earlier local days, all before expiry',
    (c) => {
      const events = parse(holdingCalendar(FACTS, { language: c.language, timeZone: c.timeZone, now: new Date('2026-06-01T00:00:00Z') }));
      expect(events.find((e) => e.uid.startsWith('window.'))).toMatchObject({ ...c.window, isDate: true });
      const last = events.find((e) => e.uid.startsWith('expiry.'));
      expect(local(FACTS.expiresAt as string, c.timeZone)).toBe(c.expiresLocally);
      expect(last).toMatchObject({ date: c.lastDay, isDate: true, summary: c.title, reminders: c.reminders });
      for (const reminder of last?.reminders ?? []) expect(reminder < c.expiresLocally).toBe(true);
    },
  );

  it('R75: an expiry at local midnight has the day before as its last day', () => {
    const events = parse(holdingCalendar(FACTS, { language: 'en', timeZone: 'UTC', now: new Date('2026-06-01T00:00:00Z') }));
    expect(events.find((e) => e.uid.startsWith('expiry.'))?.date).toBe('2026-12-31');
  });

  it('R76: an open window gets no "window opens" event in the past, and only reminders still ahead are kept', () => {
    const events = parse(holdingCalendar(FACTS, { language: 'zh-Hant', timeZone: 'Asia/Taipei', now: new Date('2026-12-10T00:00:00Z') }));
    expect(events.map((e) => e.uid)).toEqual(['expiry.2.azure-administrator-associate.p-1@recert']);
    expect(events[0]?.summary).toContain('續期最後一天');
    // The 30-day reminder (1 December) is past; 7 days and 1 day before 1 January remain.
    expect(events[0]?.reminders).toEqual(['2026-12-25T09:00', '2026-12-31T09:00']);
  });

  it('R76: nothing lies ahead of an expired cycle, and a cycle that never expires has no last day', () => {
    expect(parse(holdingCalendar(FACTS, { language: 'en', timeZone: 'UTC', now: new Date('2027-01-01T00:00:00Z') }))).toEqual([]);
    const never = { ...FACTS, expiresAt: null, renewalWindowOpensAt: null };
    expect(parse(holdingCalendar(never, { language: 'en', timeZone: 'UTC', now: new Date('2026-06-01T00:00:00Z') }))).toEqual([]);
  });
});
