import { readFile } from 'node:fs/promises';
/// <reference lib="dom" />
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Harness, seedProfile, startApp, TEST_SECRET } from '../support/harness';
import { eventually } from '../support/wait';
import { ARTIFACTS, axeViolations, buildWeb, chromiumAvailable, CHROMIUM, launchChromium, missingKeys } from '../support/browser';
import { signDevelopmentToken } from '@recert/kernel';

/**
 * #15's leftovers in a real browser: the renewal rate on the program page (#15.4), a renewal on the holder's timeline,
 * the holder's preferences kept by the server (#15.3), the sharing buttons (#13.4 UI), and a screenshot of each state
 * at 1366 and 390 px in en and zh-Hant, committed under test/artifacts/.
 */
if (!chromiumAvailable) process.stdout.write(`Browser tests (#15 leftovers) SKIPPED: no Chromium at ${CHROMIUM}\n`);

const ADMIN_CODE = 'azure-administrator-associate';
const share = (profileId: string) => ({
  verificationUrl: `https://recert.example/verify/v-${profileId}`,
  credentialUrl: `https://recert.example/credentials/v-${profileId}.json`,
  certificateUrl: `https://recert.example/certificates/v-${profileId}.pdf`,
  linkedInUrl: `https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Azure&certId=v-${profileId}`,
});

(chromiumAvailable ? describe : describe.skip)('#15 leftovers: renewal rate, renewal on the timeline, preferences, sharing', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const holderToken = (profileId: string): string => h.token(['candidate'], { sub: `user-${profileId}`, profileId });
  const admin = (): string => h.token(['admin'], { sub: 'program-admin' });

  const attempt = (profileId: string, passed: boolean) =>
    h.http
      .post(`/certification-profiles/${profileId}/certifications/${ADMIN_CODE}/renewal-attempts`)
      .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
      .send({ passed, language: 'en', score: passed ? 810 : 512 });

  beforeAll(async () => {
    buildWeb();
    // Policy 2021-06-30: associates valid a year, the window six months before expiry.
    h = await startApp({ clockStart: '2025-12-01T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await seedProfile(h, 'six', {
      linked: true,
      displayName: '林怡君',
      earn: [
        { code: ADMIN_CODE, earnedAt: '2025-03-01T00:00:00Z' },
        { code: 'azure-virtual-desktop-specialty', earnedAt: '2024-06-01T00:00:00Z' },
        { code: 'azure-fundamentals', earnedAt: '2023-03-01T00:00:00Z' },
        { code: 'azure-solutions-architect-expert', earnedAt: '2025-11-15T00:00:00Z' },
      ],
    });
    for (const id of ['renewed', 'prefs', 'early', 'late']) {
      const earnedAt = { renewed: '2025-03-01', prefs: '2025-03-01', early: '2025-01-05', late: '2025-01-20' }[id];
      await seedProfile(h, id, {
        linked: true,
        displayName: `Holder ${id}`,
        earn: [{ code: ADMIN_CODE, earnedAt: `${earnedAt}T00:00:00Z` }],
      });
    }
    // Renewed on 1 Dec 2025: 'renewed' (its previous expiry 1 Mar 2026 still ahead) and 'early' (expiry 5 Jan 2026).
    expect((await attempt('renewed', true)).status).toBe(201);
    expect((await attempt('early', true)).status).toBe(201);
    h.clock.set(new Date('2026-02-10T00:00:00Z'));
    expect((await attempt('six', false)).status).toBe(201);
    expect((await attempt('six', false)).status).toBe(201); // the cooldown starts
    // 'late' expires (20 Jan 2026), unrenewed; the scheduler records it, and the virtual desktop one of 'six'.
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 150_000);

  const open = async (
    options: { locale?: string; width?: number; injectShare?: boolean; removeShare?: boolean; failChart?: boolean },
    path: string,
    ready: string,
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-GB',
      timezoneId: 'UTC',
      viewport: { width: options.width ?? 1366, height: 900 },
      bypassCSP: true, // only so axe-core can be evaluated in the page
    });
    const page = await context.newPage();
    if (options.injectShare) {
      // Fixed share links (#13.4), so the screenshots do not change with generated verification ids.
      await page.route('**/certification-profiles/*/dashboard*', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { profile: { profileId: string }; certifications: Record<string, unknown>[] };
        for (const cert of body.certifications) cert['share'] = share(body.profile.profileId);
        await route.fulfill({ response, json: body });
      });
    }
    if (options.removeShare) {
      // A holding with nothing to check publicly (private, revoked, expired) has `share: null`.
      await page.route('**/certification-profiles/*/dashboard*', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { certifications: Record<string, unknown>[] };
        for (const cert of body.certifications) cert['share'] = null;
        await route.fulfill({ response, json: body });
      });
    }
    if (options.failChart) {
      await page.route('**/reports/expiring-by-week*', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          body: JSON.stringify({ title: 'Unavailable', detail: 'try later', status: 503, code: 'SERVICE_UNAVAILABLE' }),
        }),
      );
    }
    await page.goto(`${base}${path}`);
    await page.waitForSelector(ready, { timeout: 90_000 }); // a loaded machine renders slowly: wait for the state, not a moment
    return { context, page };
  };

  it('#15.4: the program page shows the renewal rate per month as a chart and a table (renewed / windows closed)', async () => {
    const api = await h.http.get('/reports/renewal-rate?months=12').set('Authorization', `Bearer ${admin()}`);
    const january = (api.body as { months: { month: string; closed: number; renewed: number; rate: number | null }[] }).months.find(
      (m) => m.month === '2026-01',
    );
    expect(january).toEqual({ month: '2026-01', closed: 2, renewed: 1, rate: 0.5 });
    const { context, page } = await open({}, `/dashboard/program#token=${admin()}`, 'section[aria-labelledby="rate-heading"] figure');
    const section = page.locator('section[aria-labelledby="rate-heading"]');
    expect(await section.locator('h2').textContent()).toBe('Renewal rate by month');
    // #27.3: a month without a closed window is an empty slot (rect.no-data), never a 0 % bar.
    expect(await section.locator('svg rect.bar, svg rect.no-data').count()).toBe(12);
    expect(await section.locator('svg rect.bar').count()).toBe(
      (api.body as { months: { rate: number | null }[] }).months.filter((m) => m.rate !== null).length,
    );
    await section.locator('summary').click();
    const row = section.locator('tbody tr', { hasText: 'January 2026' });
    expect(await row.locator('td[data-rate]').getAttribute('data-rate')).toBe('0.5');
    expect(await row.locator('td[data-rate]').textContent()).toBe('50% (1 of 2)');
    expect(await section.locator('figcaption').textContent()).toContain('33.3% renewed: 1 of 3 windows closed');
    expect(await missingKeys(page)).toBe('0');
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 150_000);

  it('#15 timeline: a renewed holding shows the renewal and the cycle before it', async () => {
    const { context, page } = await open({}, `/dashboard#token=${holderToken('renewed')}`, 'li.cert');
    const card = page.locator(`li.cert[data-code="${ADMIN_CODE}"]`);
    expect(await card.getByTestId('renewed-marker').count()).toBe(1);
    expect(await card.getByTestId('previous-cycle').count()).toBe(1);
    expect(await card.getByTestId('renewed-label').textContent()).toBe('Renewed 1 Dec 2025');
    expect(await card.locator('.timeline').getAttribute('aria-label')).toContain('Renewed 1 Dec 2025; the cycle before ended 1 Mar 2026.');
    // The marker stands at the renewal's date, before the cycle before it ended.
    const left = async (testId: string): Promise<number> =>
      parseFloat(
        (await card.getByTestId(testId).evaluate((el) => (el as HTMLElement).style.width || (el as HTMLElement).style.left)) ?? '0',
      );
    expect(await left('renewed-marker')).toBeLessThan(await left('previous-cycle'));
    // A holding never renewed has neither.
    const plain = await open({}, `/dashboard#token=${holderToken('six')}`, 'li.cert');
    expect(await plain.page.getByTestId('renewed-marker').count()).toBe(0);
    await plain.context.close();
    await context.close();
  }, 150_000);

  it('#15.3: the page follows the preferences the server keeps (over Accept-Language and the browser zone) and saves changes', async () => {
    const set = await h.http
      .put('/certification-profiles/prefs/preferences')
      .set('Authorization', `Bearer ${holderToken('prefs')}`)
      .send({ language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'all' });
    expect(set.status).toBe(200);
    const { context, page } = await open({ locale: 'en-GB' }, `/dashboard#token=${holderToken('prefs')}`, 'li.cert');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-Hant');
    const form = page.getByTestId('preferences');
    expect(await form.locator('select[name="timeZone"]').inputValue()).toBe('Asia/Taipei');
    // Times are in the preferred zone (UTC+8), not the browser's UTC.
    expect(await page.getByTestId('attention').textContent()).toContain('Asia/Taipei');
    // The header's language switch is saved for the holder.
    await page.getByTestId('language').selectOption('ja');
    await page.waitForFunction(() => document.documentElement.lang === 'ja');
    const readPreferences = async () =>
      (await h.http.get('/certification-profiles/prefs/preferences').set('Authorization', `Bearer ${holderToken('prefs')}`)).body as {
        language: string;
        timeZone: string;
        reminders: string;
      };
    await eventually('the language switch is saved', async () => ((await readPreferences()).language === 'ja' ? true : undefined));
    // The zone and reminders from the page's own form.
    await form.locator('select[name="timeZone"]').selectOption('Asia/Tokyo');
    await form.locator('select[name="reminders"]').selectOption('last-only');
    await form.getByRole('button').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="preferences-status"]')?.textContent?.includes('Asia/Tokyo'));
    expect(await readPreferences()).toMatchObject({ language: 'ja', timeZone: 'Asia/Tokyo', reminders: 'last-only' });
    expect(await page.getByTestId('attention').textContent()).toContain('Asia/Tokyo');
    expect(await missingKeys(page)).toBe('0');
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 150_000);

  for (const [locale, language, copy, copied] of [
    ['en-GB', 'en', 'Copy verification link', 'Verification link copied.'],
    ['zh-TW', 'zh-Hant', '複製驗證連結', '已複製驗證連結。'],
  ] as const) {
    it(`#13.4 (${language}): sharing buttons copy the verification link, add to LinkedIn, download the credential and the PDF`, async () => {
      const { context, page } = await open(
        { locale, injectShare: true },
        `/dashboard#token=${holderToken('renewed')}`,
        '[data-testid="share"]',
      );
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      const links = share('renewed');
      const card = page.locator(`li.cert[data-code="${ADMIN_CODE}"]`);
      const copyButton = card.getByTestId('copy-link');
      expect(await copyButton.textContent()).toBe(copy);
      await copyButton.click();
      await page.waitForFunction((text) => document.querySelector('[data-testid="copy-status"]')?.textContent === text, copied);
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(links.verificationUrl);
      const linkedIn = card.getByTestId('linkedin');
      expect(await linkedIn.getAttribute('href')).toBe(links.linkedInUrl);
      expect(await linkedIn.getAttribute('target')).toBe('_blank');
      expect(await linkedIn.getAttribute('rel')).toBe('noopener');
      expect(await card.getByTestId('credential').getAttribute('href')).toBe(`${links.credentialUrl}?download=1`);
      expect(await card.getByTestId('certificate').getAttribute('href')).toBe(links.certificateUrl);
      expect(await missingKeys(page)).toBe('0');
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    }, 150_000);
  }

  it('#13.4: without `share` in the dashboard no sharing button shows', async () => {
    const { context, page } = await open({ removeShare: true }, `/dashboard#token=${holderToken('renewed')}`, 'li.cert');
    expect(await page.getByTestId('share').count()).toBe(0);
    await context.close();
  }, 150_000);

  it('#13.4: the server’s own `share` links render the sharing buttons (no injection)', async () => {
    const { context, page } = await open({}, `/dashboard#token=${holderToken('renewed')}`, '[data-testid="share"]');
    expect(await page.getByTestId('linkedin').first().getAttribute('href')).toMatch(/^https:\/\/www\.linkedin\.com\/profile\/add\?/);
    expect(await page.getByTestId('credential').first().getAttribute('href')).toMatch(/\/credential\?download=1$/);
    // The PDF needs the holder's token: the click fetches it with the token and hands the browser a PDF file.
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('certificate').first().click()]);
    expect(saved.suggestedFilename()).toMatch(/-certificate\.pdf$/);
    expect((await readFile(await saved.path())).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await context.close();
  }, 150_000);

  it('#15 screenshots: one per state at 1366 and 390 px in en and zh-Hant, each with no axe violation and no missing key', async () => {
    const expired = signDevelopmentToken({ sub: 'ada', roles: ['candidate'], profileId: 'six' }, TEST_SECRET, {
      nowSeconds: Math.floor(Date.now() / 1000) - 120,
      expiresInSeconds: 60,
    });
    const states: { name: string; path: string; ready: string; injectShare?: boolean; failChart?: boolean }[] = [
      { name: 'signin-expired', path: `/dashboard#token=${expired}`, ready: '[data-testid="signed-out-reason"]' },
      { name: 'holder-needs-attention', path: `/dashboard#token=${holderToken('six')}`, ready: '[data-testid="history"] li' },
      {
        name: 'holder-renewed-sharing',
        path: `/dashboard#token=${holderToken('renewed')}`,
        ready: '[data-testid="share"]',
        injectShare: true,
      },
      { name: 'program', path: `/dashboard/program#token=${admin()}`, ready: 'section[aria-labelledby="rate-heading"] figure' },
      {
        name: 'program-one-card-failed',
        path: `/dashboard/program#token=${admin()}`,
        ready: 'section[aria-labelledby="rate-heading"] figure',
        failChart: true,
      },
    ];
    const problems: string[] = [];
    for (const state of states) {
      for (const [locale, language] of [
        ['en-GB', 'en'],
        ['zh-TW', 'zh-Hant'],
      ] as const) {
        for (const width of [1366, 390]) {
          const { context, page } = await open(
            { locale, width, injectShare: state.injectShare, failChart: state.failChart },
            state.path,
            state.ready,
          );
          const where = `${state.name} ${language} ${width}`;
          if ((await page.evaluate(() => document.documentElement.lang)) !== language) problems.push(`${where}: not in ${language}`);
          if ((await missingKeys(page)) !== '0') problems.push(`${where}: missing keys`);
          const violations = await axeViolations(page);
          if (violations.length > 0) problems.push(`${where}: ${violations.join(', ')}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 0) problems.push(`${where}: ${overflow} px too wide`);
          await page.screenshot({
            path: join(ARTIFACTS, `${state.name}-${language}-${width}.png`),
            fullPage: true,
            animations: 'disabled',
          });
          await context.close();
        }
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
