import { Importer, ImportReport, OVERRIDE_TARGETS, OverrideRequests, OverrideTargets } from '@recert/renewals';
import { Harness, startApp } from '../support/harness';

// A loaded machine: nothing here waits on time; the conditions are orders of events.
jest.setTimeout(300_000);

const AF = 'azure-fundamentals';
const AA = 'azure-administrator-associate';

/** `holders` holders with one holding each, earned on `earnedAt`. */
function rows(prefix: string, holders: number, certificationCode = AF, earnedAt = '2025-06-01T00:00:00Z'): string {
  const lines: string[] = [];
  for (let i = 0; i < holders; i += 1) {
    lines.push(
      JSON.stringify({
        kind: 'holder',
        sourceId: `${prefix}${i}`,
        accountId: `acc-${prefix}${i}`,
        displayName: `H ${i}`,
        email: `h${i}@example.com`,
      }),
      JSON.stringify({ kind: 'holding', sourceId: `${prefix}c${i}`, holder: `${prefix}${i}`, certificationCode, earnedAt }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * R47 (#22.5): a long dry run (an import of a large file, a bulk override over thousands of holdings) gives the event
 * loop its turns: a probe or a timer is answered while it runs, not after. Asserted on order, never on a duration.
 */
describe('long dry runs leave the event loop answerable (#22.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h.close(), 60_000);
  afterEach(() => jest.restoreAllMocks());

  it('R47: /health/live answers while an import dry run of 20,000 rows is still deciding them', async () => {
    const importer = h.app.get(Importer);
    const run = importer.run.bind(importer);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finished = false;
    jest.spyOn(importer, 'run').mockImplementation(async (chunks, options) => {
      started();
      try {
        return await run(chunks, options);
      } finally {
        finished = true;
      }
    });
    const dryRun = h.http
      .post('/admin/imports?dryRun=true&system=big')
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .set('Content-Type', 'application/x-ndjson')
      .send(rows('big', 10_000))
      .then((res) => res);
    await running;
    const live = await h.http.get('/health/live');
    expect(live.status).toBe(200);
    // Answered before the dry run was done: the run gave the loop turns (before #22.5 it answered only after).
    expect(finished).toBe(false);
    const report = (await dryRun).body as ImportReport;
    expect(report.counts.imported).toBe(20_000);
  });

  it('R47: a timer set when a bulk override dry run starts deciding its holdings fires before the dry run answers', async () => {
    const seeded = await h.app.get(Importer).run([rows('ov', 2_000, AA)], { format: 'ndjson', system: 'seed', dryRun: false });
    expect(seeded.counts.imported).toBe(4_000);
    const service = h.app.get(OverrideRequests);
    const request = service.request.bind(service);
    let settled = false;
    jest.spyOn(service, 'request').mockImplementation(async (...args) => {
      try {
        return await request(...args);
      } finally {
        settled = true;
      }
    });
    // The holdings are found (the read model caught up): from here the dry run only decides, row after row.
    const targets = h.app.get<OverrideTargets>(OVERRIDE_TARGETS, { strict: false });
    const matching = targets.holdingsMatching.bind(targets);
    let timerFiredDuringRun: boolean | undefined;
    let found = 0;
    jest.spyOn(targets, 'holdingsMatching').mockImplementation(async (...args) => {
      const refs = await matching(...args);
      found = refs.length;
      setImmediate(() => (timerFiredDuringRun = !settled));
      return refs;
    });
    const res = await h.http
      .post('/admin/override-requests')
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .send({
        kind: 'bulk-extend-expiry',
        target: { filter: { certificationCode: AA, expiresFrom: '2000-01-01', expiresTo: '2100-01-01' } },
        params: { by: 'P1M' },
        reason: 'event loop drill',
        dryRun: true,
      });
    expect(res.status).toBe(200);
    expect(found).toBeGreaterThan(0);
    expect(timerFiredDuringRun).toBe(true);
  });
});
