/// <reference lib="dom" />
import { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser';
import { Harness, seedProfile, startApp } from '../support/harness';

if (!chromiumAvailable)
  process.stdout.write(`Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)\n`);

const AA = 'azure-administrator-associate';
const AD = 'azure-developer-associate';

/** #29 item 2 in a real browser: the free modules beside the renew action, after a failed attempt, and the exam again. */
(chromiumAvailable ? describe : describe.skip)('preparation on the holder page (#29)', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    // Now 2026-03-01: AA (expires 2026-08-01) is in its window; AD expired on 2026-01-05.
    h = await startApp({ clockStart: '2026-03-01T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    await seedProfile(h, 'prep-1', {
      linked: true,
      earn: [
        { code: AA, earnedAt: '2025-08-01T00:00:00Z' },
        { code: AD, earnedAt: '2025-01-05T00:00:00Z' },
      ],
    });
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  const open = async (page: Page): Promise<void> => {
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${h.token(['candidate'], { sub: 'prep', profileId: 'prep-1' })}`);
    await page.waitForSelector(`li.cert[data-code="${AA}"]`);
  };

  it('#29: the modules show beside the renew action, again after a failed attempt with the next attempt time (R8); an expired holding links the exam', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await open(page);
    const card = page.locator(`li.cert[data-code="${AA}"]`);
    expect(await card.getByRole('link', { name: 'Take the renewal assessment' }).count()).toBe(1);
    const prepare = card.getByTestId('prepare');
    expect(await prepare.getByRole('link').allTextContents()).toEqual([
      'Manage identities and governance in Azure',
      'Configure and manage virtual networks',
    ]);
    expect(await prepare.getByRole('link', { name: 'Configure and manage virtual networks' }).getAttribute('href')).toBe(
      'https://learn.recert.example/en/training/modules/configure-virtual-networks',
    );
    expect(await prepare.textContent()).toContain('(60 min)');
    expect(await card.getByTestId('retry-at').count()).toBe(0);
    // The expired holding: the exam that earns it again, no modules.
    const expired = page.locator(`li.cert[data-code="${AD}"]`);
    expect(await expired.getByTestId('earn-again').getByRole('link').getAttribute('href')).toBe(
      `https://learn.recert.example/en/credentials/${AD}/exam`,
    );
    expect(await expired.getByTestId('prepare').count()).toBe(0);

    // Two failed attempts: no renew action during the cooldown (R8), the modules again with the next attempt's time.
    const attempt = () =>
      h.http
        .post(`/certification-profiles/prep-1/certifications/${AA}/renewal-attempts`)
        .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
        .send({ passed: false, language: 'en' })
        .expect(201);
    await attempt();
    const failed = await attempt();
    // The page reads the read model: wait for it to have the attempt (consistentWith), as the page would after a reload.
    const dashboard = await h.http
      .get(`/certification-profiles/prep-1/dashboard?consistentWith=${(failed.body as { position: number }).position}`)
      .set('Authorization', `Bearer ${h.token(['support'])}`)
      .expect(200);
    const after = (
      dashboard.body as { certifications: { code: string; blockedBy: string[]; nextAttemptAllowedAt: string }[] }
    ).certifications.find((c) => c.code === AA);
    expect(after).toMatchObject({ blockedBy: ['RETAKE_COOLDOWN'], nextAttemptAllowedAt: expect.any(String) });
    await open(page);
    expect(await card.getByRole('link', { name: 'Take the renewal assessment' }).count()).toBe(0);
    const retry = await card.getByTestId('retry-at').textContent();
    expect(retry).toMatch(/^Not passed this time: prepare with these modules, then try again from 2 Mar 2026/);
    expect(await card.getByTestId('prepare').getByRole('link').count()).toBe(2);
    await page.close();
  });
});
