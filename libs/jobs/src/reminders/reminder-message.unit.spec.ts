import { catalogLanguage, renderReminder } from './reminder-message';

const facts = {
  reminderId: 'r1',
  offset: 'P30D',
  certificationCode: 'azure-developer-associate',
  certificationName: 'Azure Developer Associate',
  displayName: 'Ada',
  windowOpensAt: '2026-07-01T20:00:00.000Z',
  expiresAt: '2027-01-01T20:00:00.000Z',
  now: new Date('2026-12-02T20:00:00.000Z'),
};

describe('reminder messages (#14.4)', () => {
  it('R33: a tag finds its catalog exactly, then by its language, then falls back to en', () => {
    expect(['zh-Hant', 'zh-hant-TW', 'en-GB', 'fr', 'zh'].map(catalogLanguage)).toEqual(['zh-Hant', 'zh-Hant', 'en', 'en', 'en']);
  });

  it('R33: dates are written in the holder’s time zone and language', () => {
    const utc = renderReminder(facts, { language: 'en', timeZone: 'UTC', reminders: 'all' });
    expect(utc.subject).toBe('Azure Developer Associate: 30 days left to renew');
    expect(utc.text).toContain('expires on January 1, 2027');
    const taipei = renderReminder(facts, { language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    expect(taipei).toMatchObject({ language: 'zh-Hant', subject: 'Azure Developer Associate：距離續證期限還有 30 天' });
    expect(taipei.text).toContain('將於 2027年1月2日 到期');
    expect(taipei.text).toContain('僅最後一次提醒');
  });

  it('R33: an unknown time zone falls back to UTC rather than failing the reminder', () => {
    expect(renderReminder(facts, { language: 'en', timeZone: 'Mars/Olympus', reminders: 'all' }).text).toContain('January 1, 2027');
  });
});
