/// <reference lib="dom" />
import { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { axeViolations, buildWeb, chromiumAvailable, launchChromium, missingKeys } from '../support/browser';
import { eventually, Harness, seedProfile, startApp } from '../support/harness';

const AA = 'azure-administrator-associate';

/** R26 on the holder's page: an approved override is shown as such on the card and in the history, in each language. */
(chromiumAvailable ? describe : describe.skip)('an override on the holder page (R26)', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const holderToken = (profileId: string): string => h.token(['candidate'], { sub: profileId, profileId });

  beforeAll(async () => {
    buildWeb();
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await seedProfile(h, 'ovp-1', { linked: true, earn: [{ code: AA }] }); // expires 2027-01-01
    h.clock.set(new Date('2026-02-01T00:00:00Z'));
    const requested = await h.http
      .post('/admin/override-requests')
      .set('Authorization', `Bearer ${h.token(['admin'], { sub: 'admin-ada' })}`)
      .send({ kind: 'extend-expiry', target: { profileId: 'ovp-1', certificationCode: AA }, params: { by: 'P3M' }, reason: 'Outage 881' });
    expect(requested.status).toBe(201);
    const approved = await h.http
      .post(`/admin/override-requests/${(requested.body as { id: string }).id}/approve`)
      .set('Authorization', `Bearer ${h.token(['admin'], { sub: 'admin-bob' })}`)
      .send({});
    expect(approved.status).toBe(200);
    // The page reads the dashboard: wait until the read model shows the override (a condition, not a moment).
    const cert = await eventually(
      async () => {
        const res = await h.http.get('/certification-profiles/ovp-1/dashboard').set('Authorization', `Bearer ${holderToken('ovp-1')}`);
        return (res.body as { certifications: { code: string; override: unknown }[] }).certifications.find((c) => c.code === AA);
      },
      (found) => Boolean(found?.override),
      90_000,
    );
    expect(cert?.override).toBeTruthy();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  for (const [locale, expected] of [
    ['en-GB', /Expiry extended by the program from .* to .*: Outage 881/],
    ['zh-TW', /計畫已將到期日自 .* 延長至 .*：Outage 881/],
    ['ja-JP', /プログラムにより有効期限が .* から .* に延長されました：Outage 881/],
  ] as const) {
    it(`R26 (${locale}): the card says the expiry was extended by the program, and why; the history names the override`, async () => {
      const context = await browser.newContext({ locale, timezoneId: 'UTC', bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${base}/dashboard#token=${holderToken('ovp-1')}`);
      await page.waitForSelector(`li.cert[data-code="${AA}"] [data-testid="override"]`, { timeout: 90_000 });
      const note = page.locator(`li.cert[data-code="${AA}"] [data-testid="override"]`);
      expect(await note.getAttribute('data-kind')).toBe('extend-expiry');
      expect(await note.textContent()).toMatch(expected);
      await page.waitForSelector('[data-testid="history"] li', { timeout: 90_000 });
      const history = await page.getByTestId('history').locator('li').allTextContents();
      expect(history.some((line) => line.includes('2027'))).toBe(true);
      expect(await missingKeys(page)).toBe('0');
      expect(await axeViolations(page)).toEqual([]);
      await context.close();
    }, 150_000);
  }
});
