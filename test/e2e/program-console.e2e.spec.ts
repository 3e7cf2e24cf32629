/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, axeViolations, buildWeb, CHROMIUM, chromiumAvailable, launchChromium, missingKeys } from '../support/browser';
import { eventually, Harness, seedProfile, startApp } from '../support/harness';

/**
 * #27.1-3 the program page as an admin console, in Chromium with 2,000 holders imported through the API: an override
 * requested by one admin and approved on the page by another (four eyes visible), a revoke with its reason from a
 * roster row, an import's dry run then its real run, a disabled webhook re-enabled, search by name, the roster CSV,
 * the first visit's transfer size, figures that add up and charts legible on a phone; axe clean; screenshots.
 */
if (!chromiumAvailable) process.stdout.write(`Browser tests (#27 admin console) SKIPPED: no Chromium at ${CHROMIUM}\n`);

const AA = 'azure-administrator-associate';
const HOLDERS = 2000;

/** 2,000 holders, each with one associate certification earned over the last year, as NDJSON for the importer. */
function population(): string {
  const lines: string[] = [];
  for (let i = 0; i < HOLDERS; i += 1) {
    const earned = new Date(Date.UTC(2025, 3, 1) + (i % 330) * 86_400_000).toISOString();
    lines.push(
      JSON.stringify({
        kind: 'holder',
        sourceId: `pop-${i}`,
        accountId: `acc-pop-${i}`,
        displayName: `Holder Number${i}`,
        email: `pop${i}@example.com`,
      }),
      JSON.stringify({ kind: 'holding', sourceId: `pop-c-${i}`, holder: `pop-${i}`, certificationCode: AA, earnedAt: earned }),
    );
  }
  return `${lines.join('\n')}\n`;
}

(chromiumAvailable ? describe : describe.skip)('#27 the admin console on the program page', () => {
  let h: Harness;
  let base: string;
  let browser: Browser;
  const bearer = (sub: string): string => `Bearer ${h.token(['admin'], { sub })}`;
  const admin = (sub: string): string => h.token(['admin'], { sub });
  let webhookId = '';

  /** A program page as `sub`, at `width`, in `locale`, once `ready` shows. */
  async function open(
    sub: string,
    ready: string,
    options: { width?: number; locale?: string } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-GB',
      timezoneId: 'UTC',
      bypassCSP: true,
      viewport: { width: options.width ?? 1366, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${base}/dashboard/program#token=${admin(sub)}`);
    await page.waitForSelector(ready, { timeout: 90_000 });
    return { context, page };
  }

  const shot = (page: Page, name: string): Promise<Buffer> =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });

  beforeAll(async () => {
    buildWeb();
    h = await startApp({ clockStart: '2026-03-15T00:00:00Z', env: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' } });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    const imported = await h.http
      .post('/admin/imports?system=legacy')
      .set('Authorization', bearer('admin-seed'))
      .set('Content-Type', 'application/x-ndjson')
      .send(population());
    expect(imported.status).toBe(200);
    expect((imported.body as { counts: { imported: number } }).counts.imported).toBe(2 * HOLDERS);
    await seedProfile(h, 'ada', { displayName: 'Ada Lovelace', earn: [{ code: AA, earnedAt: '2025-06-01T00:00:00Z' }] });
    const requested = await h.http
      .post('/admin/override-requests')
      .set('Authorization', bearer('admin-ada'))
      .send({ kind: 'extend-expiry', target: { profileId: 'ada', certificationCode: AA }, params: { by: 'P3M' }, reason: 'Outage 881' });
    expect(requested.status).toBe(201);
    const webhook = await h.http
      .post('/admin/webhooks')
      .set('Authorization', bearer('admin-ada'))
      .send({ url: 'http://127.0.0.1:9/hooks', events: ['certification.earned'] });
    expect(webhook.status).toBe(201);
    webhookId = (webhook.body as { id: string }).id;
    await h.http.post(`/admin/webhooks/${webhookId}/disable`).set('Authorization', bearer('admin-ada')).expect(200);
    // The read models have every holder before a page is opened (a condition, not a moment).
    await eventually(
      async () => (await h.http.get('/reports/summary').set('Authorization', bearer('admin-seed'))).body as { total: number },
      (summary) => summary.total === HOLDERS + 1,
      90_000,
    );
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 60_000);

  it('#27.1/R22: the requester sees their own request waiting for another admin; another admin approves it on the page', async () => {
    const own = await open('admin-ada', '[data-testid="pending-request"]');
    expect(await own.page.getByTestId('own-request').textContent()).toContain('another admin');
    expect(await own.page.getByTestId('approve').count()).toBe(0);
    await shot(own.page, 'console-approvals-own-request-en-1366');
    await own.context.close();

    const { context, page } = await open('admin-bob', '[data-testid="pending-request"]');
    expect(await page.locator('[data-testid="pending-request"]').textContent()).toContain('Outage 881');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'console-approvals-to-approve-en-1366');
    await page.getByTestId('approve').click();
    await page.waitForSelector('[data-testid="no-pending"]', { timeout: 60_000 });
    expect(await page.getByTestId('outcome').first().textContent()).toContain('Approved');
    const list = await h.http.get('/admin/override-requests').set('Authorization', bearer('admin-carol'));
    const [request] = (list.body as { overrideRequests: { status: string; requestedBy: string; decidedBy: string }[] }).overrideRequests;
    expect(request).toMatchObject({ status: 'completed', requestedBy: 'admin-ada', decidedBy: 'admin-bob' });
    await context.close();
  }, 180_000);

  it('#27.2/R98: search by name finds the holder; #27.1: a revoke with its reason from the row', async () => {
    const { context, page } = await open('admin-bob', '[data-testid="roster"] tbody tr');
    await page.locator('[data-testid="roster-filters"] input[name="q"]').fill('lovelace');
    await page.locator('[data-testid="roster-filters"] button[type="submit"]').click();
    await page.waitForSelector('[data-testid="roster"] tbody tr[data-profile="ada"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="roster"] tbody tr[data-holding]').count()).toBe(1);
    expect(await page.getByTestId('holder-name').first().textContent()).toBe('Ada Lovelace');
    await shot(page, 'console-search-by-name-en-1366');
    await page.getByTestId('row-action').click();
    const form = page.getByTestId('standing-form');
    await form.locator('select[name="action"]').selectOption('revocation');
    await form.locator('input[name="reason"]').fill('Exam fraud, case 42');
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'console-revoke-from-row-en-1366');
    await form.locator('button[type="submit"]').click();
    await page.waitForSelector('tr[data-profile="ada"] .badge-revoked', { timeout: 60_000 });
    const revoked = (await h.store.readAll({ filter: { eventTypes: ['CertificationRevoked'] } })).at(-1);
    expect(revoked?.data).toMatchObject({ profileId: 'ada', reason: 'Exam fraud, case 42' });
    expect(revoked?.metadata.actor).toBe('admin-bob');
    await context.close();
  }, 180_000);

  it('#27.1/R42: an import from the page: the dry run report first (nothing written), then the real run', async () => {
    const { context, page } = await open('admin-bob', '[data-testid="import-form"]');
    const csv = [
      'kind,sourceId,holder,accountId,accountType,displayName,email,certificationCode,earnedAt,renewedAt,expiresAt',
      'holder,pg-1,,acc-pg-1,personal,Grace Hopper,grace@example.com,,,,',
      'holding,pg-c-1,pg-1,,,,,azure-fundamentals,2025-05-01T00:00:00Z,,never',
      'holding,pg-c-2,pg-9,,,,,azure-fundamentals,2025-05-01T00:00:00Z,,never',
    ].join('\n');
    expect(await page.getByTestId('real-run').isDisabled()).toBe(true);
    await page.locator('input[name="file"]').setInputFiles({ name: 'holders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const head = await h.store.headPosition();
    await page.getByTestId('dry-run').click();
    await page.waitForSelector('[data-testid="dry-run-report"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="dry-run-report"] td[data-count="imported"]').textContent()).toBe('2');
    expect(await page.locator('[data-testid="dry-run-report"] td[data-count="refused"]').textContent()).toBe('1');
    expect(await page.locator('[data-testid="dry-run-report"]').textContent()).toContain('PROFILE_NOT_FOUND');
    expect(await h.store.headPosition()).toBe(head);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'console-import-dry-run-en-1366');
    await page.getByTestId('real-run').click();
    await page.waitForSelector('[data-testid="import-report"]', { timeout: 60_000 });
    expect(await page.locator('[data-testid="import-report"] td[data-count="imported"]').textContent()).toBe('2');
    expect(await h.store.headPosition()).toBeGreaterThan(head);
    await context.close();
  }, 180_000);

  it('#27.1/R97: a disabled webhook is shown with why, and re-enabled from the page', async () => {
    const { context, page } = await open('admin-bob', `[data-testid="webhooks"] li[data-id="${webhookId}"]`);
    const item = page.locator(`[data-testid="webhooks"] li[data-id="${webhookId}"]`);
    expect(await item.getAttribute('data-status')).toBe('disabled');
    expect(await item.getByTestId('disabled-reason').textContent()).toContain('Disabled by an admin');
    await item.getByRole('button', { name: 'Delivery log' }).click();
    await page.waitForSelector('text=No delivery yet.', { timeout: 60_000 });
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'console-webhook-disabled-en-1366');
    await item.getByTestId('re-enable').click();
    await page.waitForSelector(`[data-testid="webhooks"] li[data-id="${webhookId}"][data-status="active"]`, { timeout: 60_000 });
    const endpoint = await h.http.get(`/admin/webhooks/${webhookId}`).set('Authorization', bearer('admin-carol'));
    expect(endpoint.body).toMatchObject({ status: 'active', disabledReason: null });
    await context.close();
  }, 180_000);

  it('#27.2/R99: the roster CSV from the page holds every holding with names, and the export is recorded', async () => {
    const { context, page } = await open('admin-bob', '[data-testid="roster"] tbody tr');
    const total = ((await h.http.get('/reports/roster?pageSize=1').set('Authorization', bearer('admin-carol'))).body as { total: number })
      .total;
    expect(total).toBeGreaterThanOrEqual(HOLDERS + 1);
    const [saved] = await Promise.all([page.waitForEvent('download', { timeout: 90_000 }), page.getByTestId('roster-csv').click()]);
    expect(saved.suggestedFilename()).toBe('recert-roster.csv');
    const lines = (await readFile(await saved.path(), 'utf8'))
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(total + 1);
    expect(lines.some((line) => line.startsWith('ada,Ada Lovelace,ada@example.com,'))).toBe(true);
    expect(lines.filter((line) => /,Holder Number\d+,pop\d+@example\.com,/.test(line))).toHaveLength(HOLDERS);
    const exported = (await h.store.readAll({ filter: { eventTypes: ['RosterExported'] } })).at(-1);
    expect(exported?.data).toMatchObject({ exportedBy: 'admin-bob' });
    await context.close();
  }, 180_000);

  it('#27.3: every status with a totals row that adds up; jump to a page; charts legible at 390 px with nice ticks, no-data months and the partial month', async () => {
    const { context, page } = await open('admin-bob', 'section[aria-labelledby="rate-heading"] figure', { width: 390 });
    await page.waitForSelector('[data-testid="roster"] tbody tr', { timeout: 90_000 });
    const columns = await page.locator('[data-testid="summary"] thead th').allTextContents();
    expect(columns).toEqual(expect.arrayContaining(['Revoked', 'Suspended', 'Total']));
    const sums = await page.evaluate(() => {
      const rows = Array.from(document.querySelectorAll('[data-testid="summary"] tbody tr'));
      const totals = document.querySelector('[data-testid="summary-totals"]');
      const cells = (row: Element): number[] => Array.from(row.querySelectorAll('td')).map((td) => Number(td.getAttribute('data-count')));
      const body = rows.map(cells);
      const rowsAddUp = body.every((r) => r.slice(0, -1).reduce((a, b) => a + b, 0) === r[r.length - 1]);
      const columnSums = (body[0] ?? []).map((_, i) => body.reduce((sum, r) => sum + (r[i] ?? 0), 0));
      return { rowsAddUp, columnSums, totals: totals ? cells(totals) : [] };
    });
    expect(sums.rowsAddUp).toBe(true);
    expect(sums.totals).toEqual(sums.columnSums);
    expect(sums.totals[4 + 1]).toBe(1); // the revoked column: Ada's, revoked above
    // Numbers per language: 2,004 in English.
    expect(await page.locator('[data-testid="summary-totals"] td[data-status="total"]').textContent()).toMatch(/^\d,\d{3}$/);
    // Jump to a page.
    const pager = page.locator('section[aria-labelledby="roster-heading"] nav.pager');
    await pager.locator('input[name="page"]').fill('7');
    await pager.getByRole('button', { name: 'Go' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="roster-page-of"]')?.textContent?.startsWith('Page 7'), null, {
      timeout: 60_000,
    });
    // Axis text at least 11 px tall on a phone, ticks at round steps.
    const text = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.chart svg text')).map((el) => ({
        size: parseFloat(getComputedStyle(el).fontSize),
        height: el.getBoundingClientRect().height,
      })),
    );
    expect(text.length).toBeGreaterThan(0);
    expect(text.filter((t) => t.size < 11 || t.height < 11)).toEqual([]);
    const ticks = (await page.locator('section[aria-labelledby="chart-heading"] .tick text').allTextContents()).map((s) =>
      Number(s.replace(/,/g, '')),
    );
    const step = (ticks[1] ?? 0) - (ticks[0] ?? 0);
    expect(ticks[0]).toBe(0);
    expect(ticks.every((v, i) => v === i * step)).toBe(true);
    expect(String(step)).toMatch(/^(1|2|5)0*$/);
    // No window closed in a month: no data, not 0 %; the month not over yet is marked.
    const rate = page.locator('section[aria-labelledby="rate-heading"]');
    expect(await rate.locator('rect.no-data').count()).toBeGreaterThan(0);
    expect(await rate.locator('tr[data-partial="true"] td').first().textContent()).toContain('March 2026 (so far)');
    expect(await rate.getByTestId('partial-note').textContent()).toContain('not over');
    await context.close();
  }, 180_000);

  it('#27: the program page in en, zh-Hant and ja at 390 and 1366 px: axe clean, no missing key, localized names, no sideways scroll', async () => {
    const problems: string[] = [];
    for (const [locale, language, name] of [
      ['en-GB', 'en', 'Microsoft Certified: Azure Administrator Associate'],
      ['zh-TW', 'zh-Hant', 'Microsoft 認證：Azure 系統管理員助理'],
      ['ja-JP', 'ja', 'Microsoft 認定資格: Azure Administrator Associate'],
    ] as const) {
      for (const width of [390, 1366]) {
        const { context, page } = await open('admin-bob', '[data-testid="roster"] tbody tr', { width, locale });
        await page.waitForSelector('[data-testid="webhooks"] li', { timeout: 90_000 });
        const where = `${language} ${width}`;
        if ((await missingKeys(page)) !== '0') problems.push(`${where}: missing keys`);
        const summaryNames = await page.locator('[data-testid="summary"] tbody th').allTextContents();
        if (!summaryNames.includes(name)) problems.push(`${where}: no ${name} in ${summaryNames.join(' | ')}`);
        const violations = await axeViolations(page);
        if (violations.length > 0) problems.push(`${where}: ${violations.join(', ')}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 0) {
          const wide = await page.evaluate(() =>
            Array.from(document.querySelectorAll('body *'))
              .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.scroll'))
              .slice(0, 5)
              .map(
                (el) =>
                  `${el.tagName.toLowerCase()}.${el.className} in ${el.closest('section')?.getAttribute('aria-labelledby') ?? '-'}/${el.parentElement?.className ?? ''} ${Math.round(el.getBoundingClientRect().right)}`,
              ),
          );
          problems.push(`${where}: ${overflow} px too wide (${wide.join('; ')})`);
        }
        await shot(page, `console-program-${language}-${width}`);
        await context.close();
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('#27: the first visit of the program page transfers under 300 kB with 2,000 holders', async () => {
    const { context, page } = await open('admin-bob', '[data-testid="roster"] tbody tr');
    await page.waitForSelector('[data-testid="webhooks"] li', { timeout: 90_000 });
    await page.waitForSelector('section[aria-labelledby="rate-heading"] figure', { timeout: 90_000 });
    await page.waitForLoadState('networkidle');
    const transfer = await page.evaluate(() => {
      const entries = [
        ...performance.getEntriesByType('navigation'),
        ...performance.getEntriesByType('resource'),
      ] as PerformanceResourceTiming[];
      return { bytes: entries.reduce((sum, e) => sum + e.transferSize, 0), requests: entries.length };
    });
    process.stdout.write(`program page first visit with ${HOLDERS} holders: ${transfer.bytes} bytes in ${transfer.requests} requests\n`);
    expect(transfer.requests).toBeGreaterThan(5);
    expect(transfer.bytes).toBeGreaterThan(0);
    expect(transfer.bytes).toBeLessThan(300_000);
    await context.close();
  }, 180_000);
});
