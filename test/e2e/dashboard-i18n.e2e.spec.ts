/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, buildWeb, chromiumAvailable, CHROMIUM, launchChromium, missingKeys } from '../support/browser';
import { Harness, seedProfile, startApp } from '../support/harness';

/**
 * #15 round two of the pages, in a real browser: languages and time zones, what needs attention first, the program
 * page's filters, pager, CSV and per-card states, the calendar file, and axe-core on every state, at 1366 and 390 px.
 */
if (!chromiumAvailable) process.stdout.write(`Browser tests (languages) SKIPPED: no Chromium at ${CHROMIUM}\n`);
const WIDTHS = [1366, 390] as const;

(chromiumAvailable ? describe : describe.skip)('#15 pages in the holder language and time zone', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const holderToken = (profileId: string): string => h.token(['candidate'], { sub: profileId, profileId });

  beforeAll(async () => {
    buildWeb();
    h = await startApp({ clockStart: '2026-02-10T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    // Six certifications in different states: renewable now, cooling down, expired, active, never expires.
    await seedProfile(h, 'six', {
      linked: true,
      displayName: '林怡君',
      earn: [
        { code: 'azure-administrator-associate', earnedAt: '2025-03-01T00:00:00Z' }, // expires 2026-03-01: window open, closing
        { code: 'azure-developer-associate', earnedAt: '2025-05-01T00:00:00Z' }, // window open since 2025-11-01
        { code: 'azure-virtual-desktop-specialty', earnedAt: '2024-06-01T00:00:00Z' }, // expired 2025-06-01
        { code: 'azure-fundamentals', earnedAt: '2023-03-01T00:00:00Z' },
        { code: 'azure-solutions-architect-expert', earnedAt: '2026-01-15T00:00:00Z' },
      ],
    });
    const attempt = (passed: boolean) =>
      h.http
        .post('/certification-profiles/six/certifications/azure-developer-associate/renewal-attempts')
        .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
        .send({ passed, language: 'en', score: 512 });
    expect((await attempt(false)).status).toBe(201);
    expect((await attempt(false)).status).toBe(201); // the second failure starts the cooldown
    // The scheduler records what is due (windows opened, the expiry), as it would have in production.
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    for (let i = 0; i < 45; i += 1) {
      await seedProfile(h, `many-${i}`, {
        earn: [
          {
            code: i % 3 ? 'azure-developer-associate' : 'azure-administrator-associate',
            earnedAt: `2025-0${3 + (i % 6)}-1${i % 10}T00:00:00Z`,
          },
        ],
      });
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  const open = async (
    options: { locale: string; timezoneId?: string; width: number },
    path: string,
    ready: string,
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({
      locale: options.locale,
      timezoneId: options.timezoneId ?? 'UTC',
      viewport: { width: options.width, height: 900 },
      bypassCSP: true, // only so axe-core can be evaluated in the page
    });
    const page = await context.newPage();
    await page.goto(`${base}${path}`);
    await page.waitForSelector(ready);
    return { context, page };
  };

  for (const [locale, language, active, attentionTitle] of [
    ['en-GB', 'en', 'Active', 'Needs your attention'],
    ['zh-TW', 'zh-Hant', '有效', '需要您處理'],
    ['ja-JP', 'ja', '有効', '対応が必要です'],
  ] as const) {
    it(`#15.3 (${language}): the holder page renders from Accept-Language with no untranslated key, needs-attention first, and no axe violation`, async () => {
      for (const width of WIDTHS) {
        const { context, page } = await open(
          { locale, timezoneId: 'Asia/Taipei', width },
          `/dashboard#token=${holderToken('six')}`,
          'li.cert',
        );
        expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
        expect(await missingKeys(page)).toBe('0');
        expect(await page.getByTestId('attention').locator('h2').textContent()).toBe(attentionTitle);
        expect(await page.locator('li.cert[data-code="azure-solutions-architect-expert"] .badge').textContent()).toBe(active);
        // Ordered by urgency: renewable now, then the cool-down, then the expired one.
        expect(
          await page
            .getByTestId('attention')
            .locator('li')
            .evaluateAll((items) => items.map((i) => i.getAttribute('data-urgency'))),
        ).toEqual(['renewable', 'cooldown', 'expired']);
        expect(await page.locator('li.cert').first().getAttribute('data-code')).toBe('azure-administrator-associate');
        // Local time with the zone named (Taipei is UTC+8).
        expect(await page.getByTestId('attention').textContent()).toContain('Asia/Taipei');
        expect(await page.locator('li.cert[data-code="azure-developer-associate"]').getByTestId('next-attempt').textContent()).toMatch(
          /08:00|8:00/,
        );
        expect(await axeViolations(page)).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(
          0,
        );
        await context.close();
      }
    }, 120_000);
  }

  it('#15.3: the language can be switched on the page and the choice is kept over Accept-Language', async () => {
    const { context, page } = await open({ locale: 'en-US', width: 1366 }, `/dashboard#token=${holderToken('six')}`, 'li.cert');
    expect(await page.locator('h1').textContent()).toBe('My certifications');
    await page.getByTestId('language').selectOption('zh-Hant');
    // The lang attribute may flip before the page re-renders in the new language: wait for the heading itself.
    await page.waitForFunction(
      () => document.documentElement.lang === 'zh-Hant' && document.querySelector('h1')?.textContent === '我的認證',
    );
    expect(await page.locator('h1').textContent()).toBe('我的認證');
    expect(await page.locator('li.cert[data-code="azure-administrator-associate"] h3').textContent()).toBe(
      'Microsoft 認證：Azure 系統管理員助理',
    );
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${holderToken('six')}`);
    await page.waitForSelector('li.cert');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-Hant');
    await context.close();
    // #15.3: the holder's switch is kept by the server too; back to English for the specs below.
    const kept = await h.http.get('/certification-profiles/six/preferences').set('Authorization', `Bearer ${holderToken('six')}`);
    expect(kept.body).toMatchObject({ language: 'zh-Hant' });
    await h.http
      .put('/certification-profiles/six/preferences')
      .set('Authorization', `Bearer ${holderToken('six')}`)
      .send({ language: 'en', timeZone: 'UTC', reminders: 'all' })
      .expect(200);
  }, 60_000);

  it('#15.2: history tells when each fact happened, newest first, in words with the score, and pages', async () => {
    // English whatever an earlier spec left saved for this holder (#15.3 saves the page's language server-side).
    await h.http
      .put('/certification-profiles/six/preferences')
      .set('Authorization', `Bearer ${holderToken('six')}`)
      .send({ language: 'en', timeZone: 'UTC', reminders: 'all' })
      .expect(200);
    const { context, page } = await open({ locale: 'en-GB', width: 1366 }, `/dashboard#token=${holderToken('six')}`, 'li.cert');
    const items = page.getByTestId('history').locator('li');
    const times = await items.locator('time').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);
    expect(await items.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('not passed, scored 512 (attempt 2)')]));
    const shown = await items.count();
    expect(shown).toBe(10);
    await page.getByRole('button', { name: /older event/ }).click();
    expect(await items.count()).toBeGreaterThan(shown);
    // The fundamentals earned on 1 Mar 2023 reads that date, not the day it was recorded.
    expect(await page.locator('li[data-type="CertificationEarned"] time[datetime="2023-03-01T00:00:00.000Z"]').count()).toBe(1);
    await context.close();
  }, 60_000);

  it('#15.4: the program page filters, pages, links holders, says what blocks them, exports what it shows, and keeps each card to itself', async () => {
    const admin = h.token(['admin'], { sub: 'program-admin' });
    for (const locale of ['en-GB', 'zh-TW']) {
      for (const width of WIDTHS) {
        const { context, page } = await open({ locale, width }, `/dashboard/program#token=${admin}`, '[data-testid="soonest"]');
        expect(await missingKeys(page)).toBe('0');
        expect(await axeViolations(page)).toEqual([]);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(
          0,
        );
        await context.close();
      }
    }
    const { context, page } = await open({ locale: 'en-GB', width: 1366 }, `/dashboard/program#token=${admin}`, '[data-testid="soonest"]');
    const api = (await h.http.get('/reports/expiring?withinDays=182&pageSize=500').set('Authorization', `Bearer ${admin}`)).body as {
      total: number;
    };
    expect(api.total).toBeGreaterThan(20);
    expect(await page.getByTestId('page-of').textContent()).toBe(`Page 1 of ${Math.ceil(api.total / 20)}`);
    await page.getByRole('navigation', { name: 'Pages of the list' }).getByRole('button', { name: 'Next' }).click(); // the roster has its own pager (#27.2)
    await page.waitForFunction(() => document.querySelector('[data-testid="page-of"]')?.textContent?.startsWith('Page 2'));
    expect(await page.locator('[data-testid="soonest"] tbody tr').count()).toBeGreaterThan(0);
    // Filter by certification: every row is of it.
    await page.getByTestId('filters').locator('select[name="certification"]').selectOption('azure-administrator-associate');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="page-of"]')?.textContent?.startsWith('Page 1'));
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('[data-testid="soonest"] tbody tr td:nth-child(2)')).every((td) =>
        td.textContent?.includes('Administrator'),
      ),
    );
    const rows = await page.locator('[data-testid="soonest"] tbody tr').count();
    const filtered = (
      await h.http
        .get('/reports/expiring?withinDays=182&pageSize=500&certification=azure-administrator-associate')
        .set('Authorization', `Bearer ${admin}`)
    ).body as { total: number; items: { profileId: string; blockedBy: string[] }[] };
    expect(rows).toBe(Math.min(20, filtered.total));
    // Holder links and the blocked-by column.
    const firstLink = page.locator('[data-testid="soonest"] tbody tr').first().locator('a');
    expect(await firstLink.getAttribute('href')).toBe(`/dashboard?profile=${filtered.items[0]?.profileId}`);
    expect(await page.getByTestId('blocked-by').first().textContent()).not.toBe('');
    // CSV of what the filters show.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('profileId,certification,name,status,expiresAt,daysUntilExpiry,blockedBy');
    expect(csv.length - 1).toBe(filtered.total);
    await context.close();

    // One failing report shows its own error; the others still answer.
    const broken = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const brokenPage = await broken.newPage();
    await brokenPage.route('**/reports/expiring-by-week*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ title: 'Unavailable', detail: 'try later', status: 503, code: 'SERVICE_UNAVAILABLE' }),
      }),
    );
    await brokenPage.goto(`${base}/dashboard/program#token=${admin}`);
    await brokenPage.waitForSelector('[data-testid="summary"]');
    expect(await brokenPage.locator('section[aria-labelledby="chart-heading"] [role="alert"]').textContent()).toContain('try later');
    expect(await brokenPage.locator('[data-testid="soonest"]').count()).toBe(1);
    await broken.close();
  }, 180_000);

  it('#15.2: a calendar file (RFC 5545) carries the window and the expiry, for the holder only', async () => {
    const ics = await h.http
      .get('/certification-profiles/six/certifications/azure-administrator-associate/calendar.ics?lang=zh-Hant')
      .set('Authorization', `Bearer ${holderToken('six')}`);
    expect(ics.status).toBe(200);
    expect(ics.headers['content-type']).toContain('text/calendar');
    expect(ics.text).toContain('BEGIN:VCALENDAR');
    // #26.5: the window opened in 2025, so no event for it; the last day to renew is the holder's (UTC) local day
    // before the midnight expiry of 1 March.
    expect(ics.text.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(ics.text).toContain('DTSTART;VALUE=DATE:20260228');
    expect(ics.text).toContain('續期最後一天');
    expect(ics.text).toContain('UID:expiry.1.azure-administrator-associate.six@recert');
    const other = await h.http
      .get('/certification-profiles/six/certifications/azure-administrator-associate/calendar.ics')
      .set('Authorization', `Bearer ${holderToken('many-1')}`);
    expect(other.status).toBe(403);
    const unknown = await h.http
      .get('/certification-profiles/six/certifications/devops-engineer-expert/calendar.ics')
      .set('Authorization', `Bearer ${holderToken('six')}`);
    expect(unknown.status).toBe(404);
    const badLanguage = await h.http
      .get('/certification-profiles/six/certifications/azure-administrator-associate/calendar.ics?lang=xx')
      .set('Authorization', `Bearer ${holderToken('six')}`);
    expect(badLanguage.status).toBe(400);
  });
});
