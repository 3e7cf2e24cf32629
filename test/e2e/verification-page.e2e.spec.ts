import type { Browser } from 'playwright-core';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ARTIFACTS, axeViolations, CHROMIUM, chromiumAvailable, launchChromium } from '../support/browser';
import { eventually, Harness, seedProfile, startApp } from '../support/harness';
import { mkdirSync } from 'node:fs';

/**
 * #26.6 and #22.11 in a real browser (Debian's Chromium): the verification page in the browser's language, its style
 * and badge allowed by its own CSP (no violation), no axe-core violation; the not-found page likewise. Screenshots in
 * test/artifacts for review.
 */
if (!chromiumAvailable) process.stdout.write(`Browser tests (verification page) SKIPPED: no Chromium at ${CHROMIUM}\n`);

(chromiumAvailable ? describe : describe.skip)('#26.6 the verification page in a browser', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  let id: string;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z', env: { ISSUER_NAME: 'Example Certification Board' } });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await seedProfile(h, 'vp-1', {
      displayName: '山田 太郎',
      earn: [{ code: 'azure-administrator-associate', earnedAt: '2026-01-01T00:00:00Z' }],
    });
    const dashboard = await eventually(
      () => h.http.get('/certification-profiles/vp-1/dashboard').set('Authorization', `Bearer ${h.token(['support'])}`),
      (r) => ((r.body as { certifications?: { verificationUrl: string | null }[] }).certifications ?? []).some((c) => c.verificationUrl),
    );
    id = ((dashboard.body as { certifications: { verificationUrl: string }[] }).certifications[0]?.verificationUrl ?? '')
      .split('/')
      .pop() as string;
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  /** Opens a path as a browser with that locale would, collecting CSP violations and checking axe-core in a twin. */
  const visit = async (locale: string, path: string, screenshot: string) => {
    const context = await browser.newContext({ locale, viewport: { width: 800, height: 700 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(`${base}${path}`);
    const seen = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      // The style sheet applied (allowed by its hash): the body is centred at 40rem.
      maxWidth: getComputedStyle(document.body).maxWidth,
      badge: document.querySelector<HTMLImageElement>('img[data-testid="badge"]')?.naturalWidth ?? null,
      heading: document.querySelector('h1')?.textContent ?? '',
    }));
    await page.screenshot({ path: join(ARTIFACTS, screenshot) });
    await context.close();
    // axe-core is injected as a script, which the page's CSP rightly refuses: a twin context bypasses it.
    const axeContext = await browser.newContext({ locale, bypassCSP: true });
    const axePage = await axeContext.newPage();
    await axePage.goto(`${base}${path}`);
    const axe = await axeViolations(axePage);
    await axeContext.close();
    return { status: response?.status(), seen, violations, axe };
  };

  for (const [locale, language, heading] of [
    ['en-GB', 'en', 'Certification verification'],
    ['zh-TW', 'zh-Hant', '認證驗證'],
    ['ja-JP', 'ja', '認定資格の確認'],
  ] as const) {
    it(`R78 (${language}): the page follows the browser's language; its style and badge load under its CSP; no axe violation`, async () => {
      const result = await visit(locale, `/verify/${id}`, `verification-${language}.png`);
      expect(result).toEqual({
        status: 200,
        seen: { lang: language, maxWidth: '640px', badge: 200, heading },
        violations: [],
        axe: [],
      });
    }, 60_000);
  }

  it('R79: a browser gets the not-found page in its language, styled under the CSP, no axe violation', async () => {
    const result = await visit('ja-JP', '/verify/AAAAAAAAAAAAAAAAAAAAAA', 'verification-not-found-ja.png');
    expect(result).toEqual({
      status: 404,
      seen: { lang: 'ja', maxWidth: '640px', badge: null, heading: '該当する確認情報はありません' },
      violations: [],
      axe: [],
    });
  }, 60_000);
});
