/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Harness, seedProfile, startApp } from '../support/harness';
import { eventually } from '../support/wait';

/**
 * The dashboard pages in a real browser (Debian's Chromium through playwright-core), against the api seeded
 * through its own HTTP API. Screenshots go to test/artifacts/ for a reviewer.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const artifacts = join(root, 'test', 'artifacts');
const available = existsSync(CHROMIUM);
if (!available) process.stdout.write(`Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)\n`);

type Cert = {
  code: string;
  status: string;
  expiresAt: string | null;
  daysUntilExpiry: number | null;
  attempts: number;
  blockedBy: string[];
};

(available ? describe : describe.skip)('dashboard pages in Chromium', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { encoding: 'utf8' });
    expect(built.status).toBe(0);
    mkdirSync(artifacts, { recursive: true });
    h = await startApp({ clockStart: '2026-01-10T00:00:00Z' });
    // startApp listens already (on 127.0.0.1, a free port).
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
    browser = await (
      await import('playwright-core')
    ).chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
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
    await page.screenshot({ path: join(artifacts, 'holder.png'), fullPage: true });

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
    expect(await associate.locator('.ok').textContent()).toBe('The renewal assessment can be taken now.');
    const after = (await apiDashboard()).find((c) => c.code === 'azure-administrator-associate') as Cert;
    expect(await associate.getByTestId('days-left').textContent()).toBe(String(after.daysUntilExpiry));
    expect(await page.getByTestId('history').locator('li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('Renewal window opened for azure-administrator-associate')]),
    );
    await page.screenshot({ path: join(artifacts, 'holder-window-open.png'), fullPage: true });
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
    await page.screenshot({ path: join(artifacts, 'holder-phone.png'), fullPage: true });
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
    expect(await page.locator('svg rect.bar').count()).toBe(26);
    const soonest = (await h.http.get('/reports/expiring?withinDays=182&pageSize=20').set('Authorization', bearer(['admin']))).body as {
      total: number;
      items: { profileId: string }[];
    };
    expect(await page.locator('[data-testid="soonest"] tbody tr').count()).toBe(soonest.items.length);
    expect(await page.locator('[data-testid="soonest"] tbody tr').first().locator('td').first().textContent()).toBe(
      soonest.items[0]?.profileId,
    );
    expect(await page.getByTestId('replay').textContent()).toContain('would differ');
    await page.screenshot({ path: join(artifacts, 'program.png'), fullPage: true });
    await page.close();
  });
});
