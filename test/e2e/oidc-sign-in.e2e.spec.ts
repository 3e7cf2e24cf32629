/// <reference lib="dom" />
import { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser';
import { Harness, seedProfile, startApp } from '../support/harness';
import { AUDIENCE, listenOidcProvider, OidcProvider, PAGES_CLIENT_ID } from '../support/oidc-provider';

/**
 * The pages sign a holder in through a real provider (oidc-provider in this process, its development login and
 * consent pages) with the authorization code flow and PKCE (R69), and show that holder's own profiles only (R68).
 */
if (!chromiumAvailable)
  process.stdout.write(`Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)\n`);

(chromiumAvailable ? describe : describe.skip)('sign-in through the OpenID Connect provider in Chromium (R69)', () => {
  let idp: OidcProvider;
  let h: Harness;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    idp = await listenOidcProvider();
    h = await startApp({
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_CLIENT_ID: PAGES_CLIENT_ID, OIDC_PAGES_SCOPE: 'openid api' },
    });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await idp.configure([`${base}/dashboard`]);
    // Hana's account owns two profiles (not merged yet); Otto's is someone else's.
    await seedProfile(h, 'web-hana', {
      displayName: 'Hana Ito',
      earn: [{ code: 'azure-administrator-associate', earnedAt: '2025-08-01T00:00:00Z' }],
    });
    await seedProfile(h, 'web-otto', {
      displayName: 'Otto Lind',
      earn: [{ code: 'azure-developer-associate', earnedAt: '2025-08-01T00:00:00Z' }],
    });
    const exam = `Bearer ${h.token(['exam-system'])}`;
    await h.http
      .post('/certification-profiles')
      .set('Authorization', exam)
      .send({
        profileId: 'web-hana-old',
        accountId: 'acc-web-hana',
        accountType: 'personal',
        displayName: 'Hana Ito',
        email: 'h@example.com',
      })
      .expect(201);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await idp?.close();
  }, 60_000);

  /** A fresh page for one test, closed whatever happens. */
  async function onPage(run: (page: Page) => Promise<void>): Promise<void> {
    const page = await browser.newPage();
    try {
      await run(page);
    } finally {
      await page.close();
    }
  }

  /** The provider's development login (any login, any password) and consent pages, as a person uses them. */
  async function signInAt(page: Page, login: string): Promise<void> {
    await page.getByTestId('sign-in').click();
    await page.waitForSelector('input[name="login"]');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]:has-text("Continue")');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/dashboard**`);
  }

  it("R69 R68: a holder signs in through the provider and sees its own profiles, and nobody else's", async () => {
    await onPage(async (page) => {
      await page.goto(`${base}/dashboard`);
      await signInAt(page, 'acc-web-hana');
      await page.waitForSelector('[data-testid="profile-id"]');
      expect(await page.getByTestId('my-profiles').locator('li').allTextContents()).toEqual(['web-hana', 'web-hana-old']);
      // Two profiles of one account: the page says they must be merged (R12).
      expect(await page.getByTestId('must-merge').count()).toBe(1);
      expect(await page.getByTestId('profile-id').textContent()).toBe('web-hana');
      const text = (await page.textContent('body')) ?? '';
      expect(text).toContain('Hana Ito');
      expect(text).not.toContain('web-otto');
      expect(text).not.toContain('Otto Lind');
      // No lookup form for a holder: it reaches its own profiles only.
      expect(await page.locator('#profile-id').count()).toBe(0);
      // The code and state left the address bar; the tokens are in memory only, in no storage.
      expect(page.url()).toBe(`${base}/dashboard`);
      const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
      expect(stored).toBe('{"local":{},"session":{}}');
    });
  }, 120_000);

  it('R69: GET /auth/config gives the pages the issuer, its endpoints and the public client; the CSP lets them reach it', async () => {
    const config = await h.http.get('/auth/config').expect(200);
    expect(config.body).toEqual({
      mode: 'oidc',
      issuer: idp.issuer,
      clientId: PAGES_CLIENT_ID,
      scope: 'openid api',
      rolesClaim: 'roles',
      authorizationEndpoint: `${idp.issuer}/auth`,
      tokenEndpoint: `${idp.issuer}/token`,
      endSessionEndpoint: `${idp.issuer}/session/end`,
    });
    const page = await h.http.get('/dashboard').expect(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ${idp.issuer}`);
  });

  it('R69: with an issuer the paste-a-token form and #token= are gone (development mode only)', async () => {
    await onPage(async (page) => {
      await page.goto(`${base}/dashboard#token=${h.token(['admin'])}`);
      await page.waitForSelector('[data-testid="sign-in"]');
      expect(await page.locator('textarea#token').count()).toBe(0);
      expect(await page.locator('[data-testid="profile-id"], #profile-id').count()).toBe(0);
    });
  }, 60_000);

  it('R69: a return whose state this page did not start is refused, with a clear message', async () => {
    await onPage(async (page) => {
      await page.goto(`${base}/dashboard?code=stolen-code&state=forged-state`);
      await page.waitForSelector('[data-testid="sign-in-failure"]');
      expect(await page.getByTestId('sign-in-failure').textContent()).toContain('did not match the one this page started');
      expect(page.url()).toBe(`${base}/dashboard`);
    });
  }, 60_000);

  it('R69: at the token\'s expiry the page says "signed out" instead of failing', async () => {
    await onPage(async (page) => {
      await page.clock.install();
      await page.goto(`${base}/dashboard`);
      await signInAt(page, 'acc-web-hana');
      await page.waitForSelector('[data-testid="profile-id"]');
      // The provider's access tokens live an hour.
      await page.clock.fastForward('02:00:00');
      await page.waitForSelector('[data-testid="signed-out-reason"]');
      expect(await page.getByTestId('signed-out-reason').textContent()).toContain('signed out');
      expect(await page.getByTestId('sign-in').count()).toBe(1);
    });
  }, 120_000);

  it('R69: signing out ends the provider session through its end_session_endpoint', async () => {
    await onPage(async (page) => {
      await page.goto(`${base}/dashboard`);
      await signInAt(page, 'acc-web-hana');
      await page.waitForSelector('[data-testid="profile-id"]');
      await page.getByRole('button', { name: /Sign out/ }).click();
      await page.waitForURL(`${idp.issuer}/session/end**`);
      // oidc-provider asks the person to confirm; then it returns to the pages, signed out.
      await page.click('button[autofocus], button[type="submit"]');
      await page.waitForURL(`${base}/dashboard**`);
      await page.waitForSelector('[data-testid="sign-in"]');
      // The provider's session is gone: signing in again shows its login page.
      await page.getByTestId('sign-in').click();
      await page.waitForSelector('input[name="login"]');
    });
  }, 120_000);
});
