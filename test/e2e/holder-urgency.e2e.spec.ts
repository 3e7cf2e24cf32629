/// <reference lib="dom" />
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Harness, seedProfile, startApp } from '../support/harness';
import { eventually } from '../support/wait';
import { ARTIFACTS, axeViolations, buildWeb, chromiumAvailable, CHROMIUM, launchChromium, missingKeys } from '../support/browser';

/**
 * #27.4/#27.5 in a real browser at 390 px, in en, zh-Hant and ja: a holder with one holding in every state (closing
 * soon, renewable, suspended with an end, revoked with a reason, expired, never expiring and private), seeded once
 * through the API with the manual clock; screenshots of each language under test/artifacts/.
 */
if (!chromiumAvailable) process.stdout.write(`Browser tests (#27 holder urgency) SKIPPED: no Chromium at ${CHROMIUM}\n`);

const NOW = '2026-01-10T12:00:00Z';
const ADMIN = 'azure-administrator-associate'; // expires 5 Feb 2026: 25 days, closing soon
const DEVELOPER = 'azure-developer-associate'; // expires 15 May 2026: 125 days, renewable
const ARCHITECT = 'azure-solutions-architect-expert'; // suspended until 1 Feb 2026
const DEVOPS = 'devops-engineer-expert'; // revoked
const DESKTOP = 'azure-virtual-desktop-specialty'; // expired 1 Dec 2025
const FUNDAMENTALS = 'azure-fundamentals'; // never expires, verification private
const LANGUAGES = [
  ['en-GB', 'en'],
  ['zh-TW', 'zh-Hant'],
  ['ja-JP', 'ja'],
] as const;

type Cert = { code: string; status: string; verificationUrl: string | null; verificationPrivate: boolean; share: unknown };

(chromiumAvailable ? describe : describe.skip)('#27 holder page: urgency, lapsed holdings, sharing and settings at 390 px', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const holder = (id: string): string => h.token(['candidate'], { sub: `user-${id}`, profileId: id });
  const as = (roles: Parameters<Harness['token']>[0]): string => `Bearer ${h.token(roles, { sub: `${roles[0]}-one` })}`;
  const dashboard = async (id: string): Promise<Cert[]> =>
    ((await h.http.get(`/certification-profiles/${id}/dashboard`).set('Authorization', as(['support']))).body as { certifications: Cert[] })
      .certifications;
  const holding = (id: string, code: string) => `/certification-profiles/${id}/certifications/${code}`;
  const setLanguage = (id: string, language: string) =>
    h.http
      .put(`/certification-profiles/${id}/preferences`)
      .set('Authorization', `Bearer ${holder(id)}`)
      .send({ language, timeZone: 'Asia/Taipei', reminders: 'all' })
      .expect(200);

  beforeAll(async () => {
    buildWeb();
    h = await startApp({ clockStart: '2025-12-20T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await seedProfile(h, 'urg', {
      linked: true,
      displayName: 'Mei-Ling Chen',
      earn: [
        { code: ADMIN, earnedAt: '2025-02-05T00:00:00Z' },
        { code: DEVELOPER, earnedAt: '2025-05-15T00:00:00Z' },
        { code: ARCHITECT, earnedAt: '2025-06-01T00:00:00Z' },
        { code: DEVOPS, earnedAt: '2025-07-01T00:00:00Z' },
        { code: DESKTOP, earnedAt: '2024-12-01T00:00:00Z' },
        { code: FUNDAMENTALS, earnedAt: '2025-03-01T00:00:00Z' },
      ],
    });
    // Eight hours left: the card and the band both say hours, never "1 day" (R105).
    await seedProfile(h, 'hours', { linked: true, displayName: 'Kenji Sato', earn: [{ code: ADMIN, earnedAt: '2025-01-10T20:00:00Z' }] });
    h.clock.set(new Date(NOW));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', as(['scheduler']))
      .expect(200);
    await h.http
      .post(`${holding('urg', ARCHITECT)}/suspension`)
      .set('Authorization', as(['admin']))
      .send({ reason: 'exam integrity review', until: '2026-02-01T00:00:00Z' })
      .expect(200);
    await h.http
      .post(`${holding('urg', DEVOPS)}/revocation`)
      .set('Authorization', as(['admin']))
      .send({ reason: 'proxy testing confirmed' })
      .expect(200);
    await h.http
      .post(`${holding('urg', FUNDAMENTALS)}/verification-visibility`)
      .set('Authorization', `Bearer ${holder('urg')}`)
      .send({ visibility: 'private' })
      .expect(200);
    await setLanguage('urg', 'en');
    await eventually('the dashboard shows every state', async () => {
      const certs = await dashboard('urg');
      const status = Object.fromEntries(certs.map((c) => [c.code, c.status]));
      return status[DESKTOP] === 'expired' &&
        status[DEVOPS] === 'revoked' &&
        status[ARCHITECT] === 'suspended' &&
        status[DEVELOPER] === 'renewal-open' &&
        certs.find((c) => c.code === FUNDAMENTALS)?.verificationPrivate
        ? true
        : undefined;
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 120_000);

  const open = async (locale: string, id: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({
      locale,
      timezoneId: 'UTC',
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      bypassCSP: true, // only so axe-core can be evaluated in the page
    });
    const page = await context.newPage();
    await page.goto(`${base}/dashboard#token=${holder(id)}`);
    await page.waitForSelector('li.cert');
    return { context, page };
  };

  /** Visible controls shorter than 44 px (#27.5), as "tag text: height". */
  const smallTargets = (page: Page): Promise<string[]> =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('nav a, button, a.action, select, input:not([type="checkbox"]), .switch-row'))
        .filter((node) => node.offsetParent !== null)
        .map((node) => ({ node, height: node.getBoundingClientRect().height }))
        .filter(({ height }) => height < 44)
        .map(({ node, height }) => `${node.tagName} ${(node.textContent ?? '').trim().slice(0, 30)}: ${height}`),
    );

  for (const [locale, language] of LANGUAGES) {
    it(`R104-R109 (${language}, 390 px): closing soon apart from renewable, lapsed holdings with the way back, no sharing when suspended or revoked, one day count, settings out of the history`, async () => {
      await setLanguage('urg', language);
      const { context, page } = await open(locale, 'urg');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
      expect(await missingKeys(page)).toBe('0');

      // R104: closing soon first, then renewable; each with its own words and colour; nothing lapsed or suspended here.
      const attention = page.getByTestId('attention');
      expect(await attention.locator('li').evaluateAll((items) => items.map((i) => i.getAttribute('data-urgency')))).toEqual([
        'closing',
        'renewable',
      ]);
      const closingTag = attention.locator('li[data-urgency="closing"] .tag');
      const renewableTag = attention.locator('li[data-urgency="renewable"] .tag');
      expect(await closingTag.textContent()).not.toBe(await renewableTag.textContent());
      const colour = (tag: typeof closingTag) => tag.evaluate((node) => getComputedStyle(node).backgroundColor);
      expect(await colour(closingTag)).not.toBe(await colour(renewableTag));

      // R105: the card's days left and the band's "in N days" are the same count (25 days 12 hours: 25).
      const admin = page.locator(`li.cert[data-code="${ADMIN}"]`);
      expect(await admin.getByTestId('days-left').textContent()).toBe('25');
      const in25 = await page.evaluate(
        (lang) => new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(25, 'day'),
        { en: 'en-GB', 'zh-Hant': 'zh-Hant-TW', ja: 'ja-JP' }[language],
      );
      expect(await attention.locator('li[data-urgency="closing"]').textContent()).toContain(in25);

      // R106: suspended: when it ends and why, no sharing.
      const suspended = page.locator(`li.cert[data-code="${ARCHITECT}"]`);
      expect(await suspended.getByTestId('suspended-until').textContent()).toMatch(/2026/);
      expect(await suspended.getByTestId('suspension').textContent()).toContain('exam integrity review');
      expect(await suspended.getByTestId('share').count()).toBe(0);
      // The API agrees: a suspended holding's dashboard entry offers nothing to share.
      expect((await dashboard('urg')).find((c) => c.code === ARCHITECT)?.share).toBeNull();
      expect(await suspended.getByTestId('verification').count()).toBe(0);

      // R104/R106: expired and revoked in their own section, each with the exam that earns it again; the revoked one
      // says why and whom to ask, and never "Expires: never".
      const lapsed = page.getByTestId('lapsed');
      expect(await lapsed.locator('li.cert').evaluateAll((items) => items.map((i) => i.getAttribute('data-code')).sort())).toEqual(
        [DEVOPS, DESKTOP].sort(),
      );
      expect(await lapsed.locator(`li[data-code="${DESKTOP}"]`).getByTestId('way-back').textContent()).toContain('AZ-140');
      const revoked = lapsed.locator(`li[data-code="${DEVOPS}"]`);
      expect(await revoked.getByTestId('revocation').textContent()).toContain('proxy testing confirmed');
      expect(await revoked.getByTestId('way-back').textContent()).toContain('AZ-400');
      expect(await revoked.getByTestId('expires').count()).toBe(0);
      expect(await lapsed.getByTestId('share').count()).toBe(0);
      expect(await page.getByTestId('current').locator(`li[data-code="${DESKTOP}"], li[data-code="${DEVOPS}"]`).count()).toBe(0);

      // R108: the private one says so, with the switch to make it public again.
      const fundamentals = page.locator(`li.cert[data-code="${FUNDAMENTALS}"]`);
      expect(await fundamentals.getByTestId('visibility').isChecked()).toBe(false);
      expect(await fundamentals.getByTestId('share').count()).toBe(0);

      // R107: preference changes only on request; every entry says by whom.
      const history = page.getByTestId('history');
      expect(await history.locator('li[data-type="ProfilePreferencesChanged"]').count()).toBe(0);
      const authors = await history.getByTestId('by').allTextContents();
      expect(authors.length).toBeGreaterThan(0);
      expect(authors.filter((text) => text.trim() === '')).toEqual([]);
      await page.getByTestId('show-settings').check();
      await page.waitForSelector('[data-testid="history"] li[data-type="ProfilePreferencesChanged"]');

      // #27.5: translated skip link, 44 px targets, zh-Hant times without a padded hour or a bracketed zone.
      expect(await page.locator('a.skip').textContent()).toBe(
        { en: 'Skip to content', 'zh-Hant': '跳至主要內容', ja: '本文へスキップ' }[language],
      );
      expect(await smallTargets(page)).toEqual([]);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toMatch(/\[GMT|午0\d:/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.getByTestId('show-settings').uncheck();
      await page.screenshot({ path: join(ARTIFACTS, `holder-urgency-${language}-390.png`), fullPage: true });
      await context.close();
    }, 120_000);
  }

  it('R105 (en, zh-Hant, ja): under a day left, the card and the band both count hours', async () => {
    for (const [locale, language] of LANGUAGES) {
      await setLanguage('hours', language);
      const { context, page } = await open(locale, 'hours');
      const left = await page.locator(`li.cert[data-code="${ADMIN}"]`).getByTestId('days-left').textContent();
      expect(left).toMatch(/8/);
      expect(left).not.toMatch(/day|日後|天後/);
      expect(await page.getByTestId('attention').locator('li[data-urgency="closing"]').textContent()).toContain(left ?? '?');
      await page.screenshot({ path: join(ARTIFACTS, `holder-hours-left-${language}-390.png`), fullPage: true });
      await context.close();
    }
  }, 120_000);

  it('R108/R107 (en): the privacy switch and link rotation work from the page; saving unchanged preferences writes nothing', async () => {
    await setLanguage('urg', 'en');
    const { context, page } = await open('en-GB', 'urg');
    const fundamentals = page.locator(`li.cert[data-code="${FUNDAMENTALS}"]`);
    await fundamentals.getByTestId('visibility').check();
    await fundamentals.getByTestId('share').waitFor();
    const before = (await dashboard('urg')).find((c) => c.code === FUNDAMENTALS) as Cert;
    expect(before.verificationPrivate).toBe(false);
    const oldUrl = before.verificationUrl as string;
    await fundamentals.getByTestId('rotate').click();
    await page.waitForFunction(
      () => (document.querySelector('[data-code="azure-fundamentals"] [data-testid="verification-status"]')?.textContent ?? '') !== '',
    );
    const after = await eventually('the link is rotated', async () => {
      const cert = (await dashboard('urg')).find((c) => c.code === FUNDAMENTALS) as Cert;
      return cert.verificationUrl !== oldUrl ? cert : undefined;
    });
    const path = (url: string) => new URL(url).pathname;
    await h.http.get(path(oldUrl)).set('Accept', 'application/json').expect(404);
    await h.http
      .get(path(after.verificationUrl as string))
      .set('Accept', 'application/json')
      .expect(200);

    const settings = async () =>
      (
        (await h.http.get('/certification-profiles/urg/history').set('Authorization', as(['support']))).body as {
          events: { type: string }[];
        }
      ).events.filter((e) => e.type === 'ProfilePreferencesChanged').length;
    const count = await settings();
    await page.getByTestId('preferences').getByRole('button').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="preferences-status"]')?.textContent ?? '') !== '');
    expect(await settings()).toBe(count);

    // #27.5: the zone picker narrows by search, common zones first.
    await page.getByTestId('zone-search').fill('tokyo');
    const options = await page.locator('select#zone option').evaluateAll((nodes) => nodes.map((n) => (n as HTMLOptionElement).value));
    expect(options).toContain('Asia/Tokyo');
    expect(options.length).toBeLessThan(5);
    await page.getByTestId('zone-search').fill('');
    const all = await page.locator('select#zone optgroup').first().locator('option').allTextContents();
    expect(all.slice(0, 3).join(' ')).toMatch(/Asia\/Taipei/);
    await context.close();
  }, 120_000);
});
