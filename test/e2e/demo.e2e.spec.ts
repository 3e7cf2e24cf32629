/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { runDemo, DemoResult } from '../../scripts/demo';
import { buildWeb, chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser';
import { Harness, startApp, TEST_SECRET } from '../support/harness';
import { eventually } from '../support/wait';

if (!chromiumAvailable) process.stdout.write(`Demo browser test SKIPPED: no Chromium at ${CHROMIUM}\n`);

type Cert = {
  code: string;
  status: string;
  expiresAt: string | null;
  daysUntilExpiry: number | null;
  attempts: number;
  blockedBy: string[];
  override?: unknown;
  importedFrom?: unknown;
};

/**
 * #30: `npm run demo` (its module) against a fresh service seeds every state through the public API, twice without a
 * change, and its printed links open populated pages: the holder's certifications, the program's figures.
 */
describe('npm run demo (#30)', () => {
  let h: Harness;
  let base: string;
  let result: DemoResult;
  const lines: string[] = [];

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-12-07T09:00:00Z' });
    base = `http://127.0.0.1:${(h.app.getHttpServer() as { address(): AddressInfo }).address().port}`;
    result = await runDemo({ baseUrl: base, secret: TEST_SECRET, log: (line) => lines.push(line) });
  }, 300_000);
  afterAll(() => h?.close(), 60_000);

  const dashboard = async (profileId: string): Promise<Cert[]> => {
    const res = await h.http.get(`/certification-profiles/${profileId}/dashboard`).set('Authorization', `Bearer ${h.token(['support'])}`);
    expect(res.status).toBe(200);
    return (res.body as { certifications: Cert[] }).certifications;
  };
  // Read models catch up on their own time: wait for the state, not for a moment.
  const cert = async (profileId: string, code: string, until: (c: Cert) => boolean = () => true): Promise<Cert> =>
    eventually(`${profileId} ${code} on its dashboard`, async () => (await dashboard(profileId)).find((c) => c.code === code && until(c)));

  it('#30: every state a holding can be in is there, through the public API', async () => {
    expect(result.now).toBe('2026-12-07T09:00:00.000Z');
    expect(result.holders).toBeGreaterThanOrEqual(200);
    const aa = 'azure-administrator-associate';
    const da = 'azure-developer-associate';
    const inState = (status: string) => (c: Cert) => c.status === status;
    await cert('demo-active', aa, inState('active'));
    await cert('demo-window-open', aa, inState('renewal-open'));
    await cert('demo-expired', da, inState('expired'));
    await cert('demo-revoked', aa, inState('revoked'));
    await cert('demo-suspended', da, inState('suspended'));
    // Closing soon: its window closes within the month.
    expect((await cert('demo-closing-soon', da, inState('renewal-open'))).daysUntilExpiry).toBeLessThanOrEqual(31);
    // Renewed: a year on from the expiry it had (2027-02-07), not from the pass.
    await cert('demo-renewed', aa, (c) => c.expiresAt === '2028-02-07T09:00:00.000Z');
    await cert('demo-cooling-down', da, (c) => c.blockedBy.includes('RETAKE_COOLDOWN'));
    await cert('demo-overridden', aa, (c) => c.override !== undefined && c.override !== null);
    await cert('legacy-h-1', aa, (c) => c.importedFrom !== undefined && c.importedFrom !== null);
    const pending = await h.http.get('/admin/override-requests?status=pending').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect(JSON.stringify(pending.body)).toContain('demo-pending-override');
    const hooks = await h.http.get('/admin/webhooks').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect((hooks.body as { endpoints: { status: string }[] }).endpoints).toEqual([expect.objectContaining({ status: 'disabled' })]);
  });

  it('#30: the README tour (audit, dashboard, replay) answers on the seeded program', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const tour = readme.slice(readme.indexOf('## A tour'), readme.indexOf('## What it is'));
    const admin = `Bearer ${h.token(['admin'])}`;
    expect(tour).toContain('/audit/export');
    const audit = await h.http.get('/audit/export').set('Authorization', admin);
    expect(audit.status).toBe(200);
    expect(audit.text.split('\n').length).toBeGreaterThan(1000);
    expect(tour).toContain('/certification-profiles/demo-ada/dashboard');
    expect((await dashboard('demo-ada')).map((c) => c.code).sort()).toHaveLength(4);
    const policy = JSON.parse((/-d '(\{.*\})'/.exec(tour) as RegExpExecArray)[1] as string) as unknown;
    const replay = await h.http
      .post('/admin/policy-replays')
      .set('Authorization', admin)
      .send(policy as object);
    expect(replay.status).toBe(202);
    const id = (replay.body as { id: string }).id;
    await eventually('the tour replay done', async () => {
      const job = await h.http.get(`/admin/policy-replays/${id}`).set('Authorization', admin);
      return (job.body as { state: string }).state === 'done' ? true : undefined;
    });
  });

  it('#30: run twice, it stores nothing more', async () => {
    const head = await h.store.headPosition();
    const again = await runDemo({ baseUrl: base, secret: TEST_SECRET, log: () => undefined });
    expect(again.now).toBe(result.now);
    expect((await h.store.readAll({ after: head })).map((e) => `${e.type} ${e.stream}`)).toEqual([]);
  }, 300_000);

  (chromiumAvailable ? describe : describe.skip)('its links in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      buildWeb();
      browser = await launchChromium();
    }, 120_000);
    afterAll(async () => browser?.close(), 60_000);

    it('#30: the holder link shows the holder’s certifications; the admin link the program’s figures', async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(result.links.holder);
      await page.waitForSelector('li.cert[data-code="azure-solutions-architect-expert"]', { timeout: 60_000 });
      expect(await page.locator('li.cert').count()).toBe(4);
      expect(await page.getByTestId('profile-id').textContent()).toBe('demo-ada');

      await page.goto('about:blank');
      await page.goto(result.links.admin);
      const summary = page.getByTestId('summary');
      await summary.waitFor({ timeout: 60_000 });
      expect(await summary.textContent()).toContain('Azure Administrator Associate');
      await page.goto('about:blank');
      await page.goto(result.links.support);
      await page.waitForSelector('li.cert[data-code="azure-developer-associate"]', { timeout: 60_000 });
      await page.close();
    }, 180_000);
  });
});
