/// <reference lib="dom" />
import { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser';
import { Harness, seedProfile, startApp, TEST_SECRET } from '../support/harness';
import { eventually } from '../support/wait';
import { signDevelopmentToken } from '@recert/kernel';

/**
 * The dashboard pages in a real browser (Debian's Chromium through playwright-core), against the api seeded
 * through its own HTTP API. The committed screenshots of each state come from dashboard-leftovers.e2e.spec.ts.
 */
if (!chromiumAvailable)
  process.stdout.write(`Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)\n`);

type Cert = {
  code: string;
  status: string;
  expiresAt: string | null;
  daysUntilExpiry: number | null;
  attempts: number;
  blockedBy: string[];
};

(chromiumAvailable ? describe : describe.skip)('dashboard pages in Chromium', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;

  beforeAll(async () => {
    buildWeb();
    h = await startApp({ clockStart: '2026-01-10T00:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;

    // Expires 2026-08-01: its window opens 2026-02-01.
    await seedProfile(h, 'web-1', {
      linked: true,
      displayName: 'Ada Lovelace',
      earn: [
        { code: 'azure-administrator-associate', earnedAt: '2025-08-01T00:00:00Z' },
        { code: 'azure-fundamentals', earnedAt: '2025-03-01T00:00:00Z' },
      ],
    });
    // Not linked, two holdings: the link message belongs once to the profile, not to each card.
    await seedProfile(h, 'web-2', {
      displayName: 'Grace Hopper',
      earn: [
        { code: 'azure-administrator-associate', earnedAt: '2025-08-01T00:00:00Z' },
        { code: 'azure-developer-associate', earnedAt: '2025-09-01T00:00:00Z' },
      ],
    });
    for (let i = 0; i < 12; i += 1) {
      await seedProfile(h, `pop-${i}`, {
        displayName: `P${i}`,
        earn: [
          {
            code: i % 2 ? 'azure-developer-associate' : 'azure-virtual-desktop-specialty',
            earnedAt: `2025-${String(2 + (i % 10)).padStart(2, '0')}-15T00:00:00Z`,
          },
        ],
      });
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  const openHolder = async (page: Page): Promise<void> => {
    // A new document each time: a navigation that changes only the fragment would not reload the page.
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${h.token(['candidate'], { sub: 'ada', profileId: 'web-1' })}`);
    await page.waitForSelector('li.cert[data-code="azure-administrator-associate"]');
  };
  const apiDashboard = async (): Promise<Cert[]> =>
    (
      (await h.http.get('/certification-profiles/web-1/dashboard').set('Authorization', bearer(['support']))).body as {
        certifications: Cert[];
      }
    ).certifications;

  it('R3/R7: the holder page shows each holding as the API does, and a window opening when the clock moves', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await openHolder(page);
    const associate = page.locator('li.cert[data-code="azure-administrator-associate"]');
    const api = (await apiDashboard()).find((c) => c.code === 'azure-administrator-associate') as Cert;
    expect(await associate.locator('.badge').textContent()).toBe('Active');
    expect(await associate.getByTestId('days-left').textContent()).toBe(String(api.daysUntilExpiry));
    expect(await associate.getByTestId('expires').textContent()).toBe('1 Aug 2026');
    expect(await associate.locator('.reasons li').allTextContents()).toEqual(['The renewal window opens on 1 Feb 2026.']);
    expect(await page.getByTestId('linked-learn-profile').textContent()).toBe('learn-web-1');
    expect(await page.locator('li.cert[data-code="azure-fundamentals"] .badge').textContent()).toBe('Never expires');
    expect(await page.getByTestId('history').locator('li').count()).toBe(4);
    expect(await associate.locator('.timeline').getAttribute('aria-label')).toContain('renewal window opens 1 Feb 2026');

    // The manual clock moves past the window's opening; the scheduler opens it.
    await h.http
      .post('/admin/clock')
      .set('Authorization', bearer(['admin']))
      .send({ now: '2026-02-02T00:00:00Z' })
      .expect(200);
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', bearer(['scheduler']))
      .expect(200);
    await openHolder(page);
    expect(await associate.locator('.badge').textContent()).toBe('Renewal open');
    // #15.2: renewable now leads the needs-attention band, with its action in the page's language.
    const first = page.getByTestId('attention').locator('li').first();
    expect(await first.getAttribute('data-code')).toBe('azure-administrator-associate');
    expect(await first.getAttribute('data-urgency')).toBe('renewable');
    expect(await associate.getByRole('link', { name: 'Take the renewal assessment' }).getAttribute('href')).toBe(
      'https://learn.recert.example/en/credentials/azure-administrator-associate/renew',
    );
    expect(await page.locator('li.cert').first().getAttribute('data-code')).toBe('azure-administrator-associate');
    const after = (await apiDashboard()).find((c) => c.code === 'azure-administrator-associate') as Cert;
    expect(await associate.getByTestId('days-left').textContent()).toBe(String(after.daysUntilExpiry));
    expect(await page.getByTestId('history').locator('li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('Renewal window opened for Microsoft Certified: Azure Administrator Associate')]),
    );
    await page.close();
  });

  it('is readable on a phone and usable from the keyboard', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
    await openHolder(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Holder');
    await page.close();
  });

  it('asks for a token when there is none, and lets support look a profile up', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${base}/dashboard`);
    expect(await page.getByLabel('Paste your access token').count()).toBe(1);
    await page.getByLabel('Paste your access token').fill(h.token(['support']));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Certification profile id').fill('web-1');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForSelector('li.cert');
    expect(await page.locator('h2#profile-heading').textContent()).toBe('Ada Lovelace');
    await page.close();
  });

  it('the program page shows the counts, the weekly chart and the soonest expiries as the API does, and the last what-if', async () => {
    const started = await h.http
      .post('/admin/policy-replays')
      .set('Authorization', bearer(['admin']))
      .send({
        policy: {
          version: 'whatif-2y',
          effectiveFrom: '2021-06-30T00:00:00Z',
          validity: { associate: 'P2Y', expert: 'P2Y', specialty: 'P2Y', fundamentals: null },
          window: { beforeExpiry: 'P6M' },
          extension: 'P1Y',
          retakes: { immediateAttempts: 2, cooldown: 'PT24H' },
        },
      });
    expect(started.status).toBe(202);
    await eventually('the replay finishes', async () => {
      const job = await h.http.get(`/admin/policy-replays/${(started.body as { id: string }).id}`).set('Authorization', bearer(['admin']));
      return (job.body as { state: string }).state === 'done' ? true : undefined;
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(`${base}/dashboard/program#token=${h.token(['admin'], { sub: 'program-admin' })}`);
    await page.waitForSelector('[data-testid="summary"]');
    const summary = (await h.http.get('/reports/summary').set('Authorization', bearer(['admin']))).body as {
      byCertification: { code: string; total: number; byStatus: Record<string, number> }[];
    };
    for (const cert of summary.byCertification) {
      const row = page.locator(`[data-testid="summary"] tr[data-code="${cert.code}"]`);
      expect(await row.locator('td[data-status="total"]').textContent()).toBe(String(cert.total));
      expect(await row.locator('td[data-status="renewal-open"]').textContent()).toBe(String(cert.byStatus['renewal-open']));
    }
    const weeks = (await h.http.get('/reports/expiring-by-week?weeks=26').set('Authorization', bearer(['admin']))).body as {
      weeks: { count: number }[];
    };
    const shown = (await page.locator('td[data-week-count]').allTextContents()).map(Number);
    expect(shown).toEqual(weeks.weeks.map((w) => w.count));
    expect(await page.locator('section[aria-labelledby="chart-heading"] svg rect.bar').count()).toBe(26);
    const soonest = (await h.http.get('/reports/expiring?withinDays=182&pageSize=20').set('Authorization', bearer(['admin']))).body as {
      total: number;
      items: { profileId: string }[];
    };
    expect(await page.locator('[data-testid="soonest"] tbody tr').count()).toBe(soonest.items.length);
    expect(await page.locator('[data-testid="soonest"] tbody tr').first().locator('td').first().textContent()).toBe(
      soonest.items[0]?.profileId,
    );
    expect(await page.getByTestId('replay').textContent()).toContain('would differ');
    await page.close();
  });

  /** How far the document is wider than the viewport (0 when it reflows). */
  const overflowAt = async (url: string, width: number, ready: string): Promise<number> => {
    const page = await browser.newPage({ viewport: { width, height: 800 }, isMobile: true });
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector(ready);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.close();
    return overflow;
  };

  it('#15.1 (WCAG 1.4.10): neither page is wider than a phone at 390 or 320 px', async () => {
    for (const width of [390, 320]) {
      expect(
        await overflowAt(
          `${base}/dashboard/program#token=${h.token(['admin'], { sub: 'program-admin' })}`,
          width,
          '[data-testid="soonest"]',
        ),
      ).toBeLessThanOrEqual(0);
      expect(
        await overflowAt(
          `${base}/dashboard#token=${h.token(['candidate'], { sub: 'a-holder-with-a-long-name', profileId: 'web-1' })}`,
          width,
          'li.cert',
        ),
      ).toBeLessThanOrEqual(0);
    }
  });

  it('#15.1: sign-in has no dead ends: a non-token is refused with a reason, an expired token asks again, holders see no Program link', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${base}/dashboard`);
    await page.getByLabel('Paste your access token').fill('hello, this is not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('not an access token');
    expect(await page.getByLabel('Certification profile id').count()).toBe(0);

    const expired = signDevelopmentToken({ sub: 'ada', roles: ['candidate'], profileId: 'web-1' }, TEST_SECRET, {
      nowSeconds: Math.floor(Date.now() / 1000) - 120,
      expiresInSeconds: 60,
    });
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${expired}`);
    await page.waitForSelector('[data-testid="signed-out-reason"]');
    expect(await page.getByTestId('signed-out-reason').textContent()).toContain('expired');
    expect(await page.getByLabel('Paste your access token').count()).toBe(1);

    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${h.token(['candidate'], { sub: 'ada', profileId: 'web-1' })}`);
    await page.waitForSelector('li.cert');
    expect(await page.getByRole('link', { name: 'Program' }).count()).toBe(0);
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${h.token(['admin'], { sub: 'program-admin' })}`);
    await page.waitForSelector('#profile-id');
    expect(await page.getByRole('link', { name: 'Program' }).count()).toBe(1);
    await page.close();
  });

  it('#15.1: tone and timeline: facts read as information, the link message shows once, the window label starts where its band does, the band has 3:1 contrast', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto('about:blank');
    await page.goto(`${base}/dashboard#token=${h.token(['candidate'], { sub: 'grace', profileId: 'web-2' })}`);
    await page.waitForSelector('li.cert');
    expect(await page.getByTestId('link-notice').count()).toBe(1);
    expect(await page.locator('li.cert .reasons li[data-code="PROFILE_NOT_LINKED"]').count()).toBe(0);

    await openHolder(page);
    expect(await page.locator('li.cert[data-code="azure-fundamentals"] li[data-code="NOT_RENEWABLE"]').getAttribute('class')).toBe(
      'reason-info',
    );
    const cert = page.locator('li.cert[data-code="azure-administrator-associate"]');
    const band = await cert.locator('.timeline-window').boundingBox();
    const label = await cert.getByTestId('window-label').boundingBox();
    expect(band && label).toBeTruthy();
    if (band && label) {
      expect(label.x).toBeLessThanOrEqual(band.x + 1);
      expect(label.x + label.width).toBeGreaterThanOrEqual(band.x - 1);
    }
    const ratio = await page.evaluate(() => {
      const luminance = (css: string): number => {
        const [r, g, b] = (css.match(/\d+/g) ?? []).slice(0, 3).map((v) => {
          const c = Number(v) / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
      };
      const bg = (selector: string): string => getComputedStyle(document.querySelector(selector) as Element).backgroundColor;
      const [a, b] = [luminance(bg('.timeline-window')), luminance(bg('.timeline-track'))];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
    expect(ratio).toBeGreaterThanOrEqual(3);
    await page.close();
  });
});
