import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FileCheckpoint, ImportReport, Importer, PERSONAL_DATA_VAULT, PersonalDataVault } from '@recert/renewals';
import type { SealedData } from '@recert/domain';
import { eventually, expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(120_000);

const FIXTURES = join(__dirname, '..', 'fixtures', 'imports');
const NDJSON = readFileSync(join(FIXTURES, 'sample.ndjson'), 'utf8');
const CSV = readFileSync(join(FIXTURES, 'sample.csv'), 'utf8');

type Cert = { code: string; status: string; expiresAt: string | null; importedFrom: { system: string; sourceId: string } | null };

/** #14.3 and #14.2 through HTTP and the importer the CLI runs: R39-R42. */
describe('bulk import', () => {
  let h: Harness;
  const admin = (): string => `Bearer ${h.token(['admin'], { sub: 'admin-ada' })}`;
  const post = (body: string, query: string, type = 'application/x-ndjson') =>
    h.http.post(`/admin/imports${query}`).set('Authorization', admin()).set('Content-Type', type).send(body);
  const withoutMode = (report: ImportReport): Omit<ImportReport, 'dryRun'> => {
    const { dryRun: _ignored, ...rest } = report;
    return rest;
  };

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h.close());

  it('#14.2/R42: a dry run writes nothing and answers the report the real run then gives, with lines and codes', async () => {
    let dry: ImportReport | undefined;
    await expectNothingStored(h, async () => {
      const res = await post(NDJSON, '?dryRun=true&system=legacy');
      expect(res.status).toBe(200);
      dry = res.body as ImportReport;
    });
    expect(dry?.dryRun).toBe(true);
    expect(dry?.counts).toEqual({ imported: 5, 'already-imported': 0, refused: 5, invalid: 3 });
    const real = await post(NDJSON, '?system=legacy');
    expect(real.status).toBe(200);
    expect((real.body as ImportReport).dryRun).toBe(false);
    expect(withoutMode(real.body as ImportReport)).toEqual(withoutMode(dry as ImportReport));

    const report = real.body as ImportReport;
    expect(report.samples.imported.map((row) => row.line)).toEqual([1, 2, 3, 4, 6]);
    // R10, R3/R40, R41, the holder never imported, the catalog: refused by the deciders, each with its line.
    expect(report.samples.refused.map((row) => [row.line, row.code])).toEqual([
      [7, 'PREREQUISITE_NOT_MET'],
      [8, 'WINDOW_NOT_OPEN'],
      [9, 'EXPIRY_BEYOND_POLICY'],
      [10, 'PROFILE_NOT_FOUND'],
      [11, 'UNKNOWN_CERTIFICATION'],
    ]);
    // R39: malformed rows are reported with their line and the field at fault; the rest goes on.
    expect(report.samples.invalid.map((row) => [row.line, row.code])).toEqual([
      [12, 'VALIDATION_FAILED'],
      [13, 'VALIDATION_FAILED'],
      [14, 'VALIDATION_FAILED'],
    ]);
    expect(report.samples.invalid[0]?.detail).toMatch(/earnedAt/);
    expect(report.byCode).toEqual({
      PREREQUISITE_NOT_MET: 1,
      WINDOW_NOT_OPEN: 1,
      EXPIRY_BEYOND_POLICY: 1,
      PROFILE_NOT_FOUND: 1,
      UNKNOWN_CERTIFICATION: 1,
      VALIDATION_FAILED: 3,
    });
  });

  it('R39: a re-run imports nothing twice (same source ids: already imported, nothing appended)', async () => {
    await expectNothingStored(h, async () => {
      const again = await post(NDJSON, '?system=legacy');
      expect(again.status).toBe(200);
      expect((again.body as ImportReport).counts).toEqual({ imported: 0, 'already-imported': 5, refused: 5, invalid: 3 });
    });
  });

  it('R40/R42: imported holdings show on the dashboard and in the history as imported, with the source; the name is sealed', async () => {
    const dashboard = await eventually(
      async () =>
        (await h.http.get('/certification-profiles/legacy-h-1/dashboard').set('Authorization', `Bearer ${h.token(['support'])}`)).body as {
          profile?: { displayName: string | null };
          certifications?: Cert[];
        },
      (body) => (body.certifications?.length ?? 0) === 3,
    );
    expect(dashboard.profile?.displayName).toBe('Ada Lovelace');
    const byCode = new Map((dashboard.certifications ?? []).map((cert) => [cert.code, cert]));
    // Earned 2024-03-01 (P1Y), renewed 2025-01-10 in its window: 2026-03-01 (R5), renewal open on 2026-01-01.
    expect(byCode.get('azure-administrator-associate')).toMatchObject({
      status: 'renewal-open',
      expiresAt: '2026-03-01T00:00:00.000Z',
      importedFrom: { system: 'legacy', sourceId: 'c-1' },
    });
    expect(byCode.get('azure-solutions-architect-expert')).toMatchObject({ status: 'expired', importedFrom: { sourceId: 'c-2' } });
    expect(byCode.get('azure-fundamentals')).toMatchObject({ status: 'never-expires', expiresAt: null });

    const history = await h.http.get('/certification-profiles/legacy-h-1/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    expect(history.status).toBe(200);
    const events = (history.body as { events: { type: string; data: Record<string, unknown>; metadata: { actor: string } }[] }).events;
    const created = events.find((event) => event.type === 'CertificationProfileCreated');
    expect(created?.metadata.actor).toBe('import:legacy');
    expect(created?.data['importedFrom']).toMatchObject({ system: 'legacy', sourceId: 'h-1', line: 1 });
    // ADR 0004: the name and e-mail are sealed like a created profile's, never in clear in the log.
    expect(JSON.stringify(created)).not.toContain('Ada');
    const vault = h.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT);
    expect(await vault.open(created?.data['personalData'] as SealedData)).toEqual({
      displayName: 'Ada Lovelace',
      email: 'ada@example.com',
    });
    const imported = events.filter((event) => event.type === 'CertificationImported');
    expect(imported).toHaveLength(3);
    expect(imported.every((event) => event.metadata.actor === 'import:legacy')).toBe(true);
    expect(imported.find((event) => event.data['certificationCode'] === 'azure-administrator-associate')?.data).toMatchObject({
      renewals: ['2025-01-10T00:00:00.000Z'],
      importedFrom: { system: 'legacy', sourceId: 'c-1', line: 2 },
    });
  });

  it('R39: CSV with quoted fields, doubled quotes and `never`; the same report dry and real', async () => {
    const dry = await post(CSV, '?dryRun=true&system=csv', 'text/csv');
    expect(dry.status).toBe(200);
    const real = await post(CSV, '?system=csv', 'text/csv');
    expect(withoutMode(real.body as ImportReport)).toEqual(withoutMode(dry.body as ImportReport));
    expect((real.body as ImportReport).counts).toEqual({ imported: 4, 'already-imported': 0, refused: 2, invalid: 0 });
    expect((real.body as ImportReport).samples.refused.map((row) => [row.line, row.code])).toEqual([
      [6, 'WINDOW_NOT_OPEN'],
      [7, 'EXPIRY_BEYOND_POLICY'],
    ]);
    const vault = h.app.get<PersonalDataVault>(PERSONAL_DATA_VAULT);
    const history = await h.http.get('/certification-profiles/csv-h-2/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    const created = (history.body as { events: { type: string; data: Record<string, unknown> }[] }).events.find(
      (event) => event.type === 'CertificationProfileCreated',
    );
    expect(await vault.open(created?.data['personalData'] as SealedData)).toMatchObject({ displayName: 'Grace "Amazing" Hopper' });
  });

  it('R42: a run that crashes mid-file resumes from its checkpoint; the final report is the uncrashed one, nothing twice', async () => {
    const importer = h.app.get(Importer);
    const expected = await importer.run([NDJSON], { format: 'ndjson', system: 'crash', dryRun: true });
    const checkpoint = new FileCheckpoint(join(h.dataDir, 'imports', 'crash.checkpoint.json'));
    await expect(
      importer.run([NDJSON], { format: 'ndjson', system: 'crash', dryRun: false, checkpoint, checkpointEvery: 2, crashAfterLine: 6 }),
    ).rejects.toThrow(/simulated crash/);
    // Saved every 2 rows: lines 1-4 (rows 4); line 6 was decided and written after it, and rows after it in flight.
    const saved = checkpoint.load();
    expect(saved).toMatchObject({ line: 4, report: { rows: 4 } });
    const resumed: { line: number }[] = [];
    const report = await importer.run([NDJSON], {
      format: 'ndjson',
      system: 'crash',
      dryRun: false,
      checkpoint,
      onResume: (at) => resumed.push(at),
    });
    expect(resumed).toHaveLength(1);
    expect(withoutMode(report)).toEqual(withoutMode(expected));
    expect(checkpoint.load()).toBeUndefined();
    // Nothing twice: one creation and one import per source id in the log.
    const history = await h.http.get('/certification-profiles/crash-h-1/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    const types = (history.body as { events: { type: string }[] }).events.map((event) => event.type);
    expect(types.filter((type) => type === 'CertificationProfileCreated')).toHaveLength(1);
    expect(types.filter((type) => type === 'CertificationImported')).toHaveLength(3);
  });

  it('R42 (#22.8): a file with a byte order mark gives the report the CLI gives (bytes), over HTTP as text and as the JSON form', async () => {
    const importer = h.app.get(Importer);
    const options = { format: 'ndjson' as const, system: 'bom', dryRun: true };
    const plain = await importer.run([Buffer.from(NDJSON)], options);
    const cli = await importer.run([Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(NDJSON)])], options);
    expect(cli).toEqual(plain);
    expect(plain.counts.imported).toBeGreaterThan(0);
    await expectNothingStored(h, async () => {
      const text = await post(`\ufeff${NDJSON}`, '?dryRun=true&system=bom');
      expect(text.status).toBe(200);
      expect(text.body).toEqual(cli);
      const form = await h.http
        .post('/admin/imports')
        .set('Authorization', admin())
        .send({ format: 'ndjson', content: `\ufeff${NDJSON}`, dryRun: true, system: 'bom' });
      expect(form.body).toEqual(cli);
      const csv = await post(`\ufeff${CSV}`, '?dryRun=true&system=bomcsv', 'text/csv');
      expect(csv.body).toEqual(await importer.run([Buffer.from(CSV)], { format: 'csv', system: 'bomcsv', dryRun: true }));
    });
  });

  it('R39/R45 (#22.8): names the API refuses are refused by the import too: lone surrogates, controls, bytes that are not UTF-8', async () => {
    const holder = (sourceId: string, displayName: string, email = `${sourceId}@example.com`): string =>
      `{"kind":"holder","sourceId":"${sourceId}","accountId":"acc-${sourceId}","displayName":"${displayName}","email":"${email}"}\n`;
    const body = Buffer.concat([
      Buffer.from(holder('u1', 'Ada\\ud800')),
      Buffer.from(holder('u2', '\\udfffAda')),
      Buffer.from(holder('u3', 'Ada\\u0000')),
      Buffer.from(holder('u4', 'Ada', 'u4\\ud800@example.com')),
      Buffer.concat([Buffer.from(holder('u5', 'Ad').slice(0, -3)), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]),
      Buffer.from(holder('u6', 'Ada Lovelace')),
    ]);
    await expectNothingStored(h, async () => {
      const res = await h.http
        .post('/admin/imports?system=utf&dryRun=true')
        .set('Authorization', admin())
        .set('Content-Type', 'application/x-ndjson')
        .send(body);
      expect(res.status).toBe(200);
      const report = res.body as ImportReport;
      expect(report.counts).toEqual({ imported: 1, 'already-imported': 0, refused: 0, invalid: 5 });
      expect(report.samples.invalid.map((row) => [row.line, row.detail?.split(' ')[0]])).toEqual([
        [1, 'displayName'],
        [2, 'displayName'],
        [3, 'displayName'],
        [4, 'email'],
        [5, 'the'],
      ]);
      expect(report.samples.invalid[4]?.detail).toBe('the line is not valid UTF-8');
      // And the API: the same bytes in a create-profile body are refused, not stored with replacement characters.
      const port = (h.app.getHttpServer() as { address(): AddressInfo }).address().port;
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/certification-profiles',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${h.token(['exam-system'])}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.end(
          Buffer.concat([
            Buffer.from('{"profileId":"u7","accountId":"acc-u7","accountType":"personal","displayName":"Ad'),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('","email":"u7@example.com"}'),
          ]),
        );
      });
      expect(status).toBe(400);
    });
  });

  it('R39 (#22.8): a holding row whose holder profile is live but was not imported is PROFILE_EXISTS, dry and real; nothing attaches', async () => {
    await seedProfile(h, 'live-h1');
    const row = JSON.stringify({
      kind: 'holding',
      sourceId: 'lh-1',
      holder: 'h1',
      certificationCode: 'azure-fundamentals',
      earnedAt: '2025-06-01T00:00:00Z',
    });
    await expectNothingStored(h, async () => {
      for (const query of ['?system=live&dryRun=true', '?system=live']) {
        const res = await post(`${row}\n`, query);
        expect(res.status).toBe(200);
        expect((res.body as ImportReport).samples.refused.map((r) => [r.line, r.code])).toEqual([[1, 'PROFILE_EXISTS']]);
      }
    });
  });

  it('R39: only an admin imports; bad input is a 4xx problem, never a 5xx, and stores nothing', async () => {
    await expectNothingStored(h, async () => {
      const support = await h.http
        .post('/admin/imports')
        .set('Authorization', `Bearer ${h.token(['support'])}`)
        .set('Content-Type', 'application/x-ndjson')
        .send(NDJSON);
      expect(support.status).toBe(403);
      expectProblem(await post(NDJSON, '?dryRun=maybe'), 400, 'VALIDATION_FAILED');
      expectProblem(await post(NDJSON, '?system=no%20spaces'), 400, 'VALIDATION_FAILED');
      expectProblem(await post('<xml/>', '', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      const json = (body: object) => h.http.post('/admin/imports').set('Authorization', admin()).send(body);
      expectProblem(await json({ format: 'xml', content: 'x' }), 400, 'VALIDATION_FAILED');
      expectProblem(await json({ format: 'csv' }), 400, 'VALIDATION_FAILED');
      expectProblem(await json({ format: 'csv', content: '', extra: 1 }), 400, 'VALIDATION_FAILED');
      expectProblem(await post('x'.repeat(8 * 1024 * 1024 + 1), ''), 413, 'PAYLOAD_TOO_LARGE');
    });
    const ok = await h.http
      .post('/admin/imports')
      .set('Authorization', admin())
      .send({ format: 'ndjson', content: NDJSON, dryRun: true, system: 'legacy' });
    expect(ok.status).toBe(200);
    expect((ok.body as ImportReport).counts['already-imported']).toBe(5);
    const openapi = (await h.http.get('/docs/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    expect(openapi.paths['/admin/imports']?.['post']).toBeDefined();
  });
});
