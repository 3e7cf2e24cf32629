import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { expectProblem, Harness, seedProfile, startApp } from '../support/harness';

const AA = 'azure-administrator-associate';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET whose body is kept as sent (supertest and fetch decompress on their own, hiding the encoding). */
function rawGet(h: Harness, path: string, headers: Record<string, string>): Promise<RawAnswer> {
  const { port } = (h.app.getHttpServer() as { address(): AddressInfo }).address();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** #23.5: lists that grow with holders or events are paged and bounded (R110); answers are compressed (R111). */
describe('payload discipline', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], sub?: string): string => `Bearer ${h.token(roles, sub ? { sub } : {})}`;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    await seedProfile(h, 'pd-1', {
      earn: [
        { code: AA, earnedAt: '2025-03-01T00:00:00Z' },
        { code: 'azure-fundamentals', earnedAt: '2025-01-01T00:00:00Z' },
      ],
    });
    for (const [i, profileId] of ['pd-2', 'pd-3', 'pd-4'].entries()) {
      await seedProfile(h, profileId, { earn: [{ code: AA, earnedAt: '2025-03-01T00:00:00Z' }] });
      await h.http
        .post('/admin/override-requests')
        .set('Authorization', bearer(['admin'], 'admin-ada'))
        .send({ kind: 'extend-expiry', target: { profileId, certificationCode: AA }, params: { by: 'P3M' }, reason: `Outage ${i}` })
        .expect(201);
    }
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  it('R110: a profile history is paged by global position with a cursor; limit bounded (400 over 500)', async () => {
    const support = bearer(['support']);
    const whole = await h.http.get('/certification-profiles/pd-1/history?limit=500').set('Authorization', support).expect(200);
    const all = (whole.body as { events: { position: number }[] }).events.map((e) => e.position);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const res = await h.http.get(`/certification-profiles/pd-1/history${query}`).set('Authorization', support).expect(200);
      const body = res.body as { events: { position: number }[]; page: { limit: number; nextCursor: string | null } };
      expect(body.events.length).toBeLessThanOrEqual(2);
      seen.push(...body.events.map((e) => e.position));
      cursor = body.page.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(all);
    const byDefault = await h.http.get('/certification-profiles/pd-1/history').set('Authorization', support).expect(200);
    expect((byDefault.body as { page: { limit: number } }).page.limit).toBe(100);
    for (const query of ['?limit=501', '?limit=0', '?limit=1e3', '?cursor=@@', '?cursor=eyJhZnRlciI6ImEifQ'])
      expectProblem(
        await h.http.get(`/certification-profiles/pd-1/history${query}`).set('Authorization', support),
        400,
        'VALIDATION_FAILED',
      );
  });

  it('R110: override requests are listed by page in log order, filtered or not', async () => {
    const admin = bearer(['admin'], 'admin-bob');
    const whole = await h.http.get('/admin/override-requests').set('Authorization', admin).expect(200);
    const ids = (whole.body as { overrideRequests: { id: string }[] }).overrideRequests.map((r) => r.id);
    expect(ids).toHaveLength(3);
    const first = await h.http.get('/admin/override-requests?status=pending&limit=2').set('Authorization', admin).expect(200);
    const one = first.body as { overrideRequests: { id: string }[]; page: { nextCursor: string | null } };
    expect(one.overrideRequests.map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(one.page.nextCursor).not.toBeNull();
    const second = await h.http
      .get(`/admin/override-requests?status=pending&limit=2&cursor=${one.page.nextCursor}`)
      .set('Authorization', admin)
      .expect(200);
    const two = second.body as { overrideRequests: { id: string }[]; page: { nextCursor: string | null } };
    expect(two.overrideRequests.map((r) => r.id)).toEqual(ids.slice(2));
    expect(two.page.nextCursor).toBeNull();
    expectProblem(await h.http.get('/admin/override-requests?limit=501').set('Authorization', admin), 400, 'VALIDATION_FAILED');
  });

  // The pages' HTML and assets are sent precompressed by the web controller (#15.5, dashboard-assets.e2e.spec.ts).
  it('R111: JSON is compressed (br, else gzip) when the client accepts it, and a large answer shrinks', async () => {
    for (const path of ['/docs/openapi.json', '/docs']) {
      const plain = await rawGet(h, path, {});
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const br = await rawGet(h, path, { 'Accept-Encoding': 'gzip, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['vary']).toMatch(/accept-encoding/i);
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      const gzip = await rawGet(h, path, { 'Accept-Encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
      if (path === '/docs/openapi.json') {
        expect(plain.headers['content-type']).toMatch(/application\/json/);
        expect(plain.body.length).toBeGreaterThan(50_000);
        expect(br.body.length).toBeLessThan(plain.body.length / 4);
        expect(gzip.body.length).toBeLessThan(plain.body.length / 4);
      }
    }
    // An API list over the threshold too, with the client's auth.
    const list = await rawGet(h, '/certification-profiles/pd-1/history', {
      Authorization: bearer(['support']),
      'Accept-Encoding': 'gzip',
    });
    expect(list.headers['content-encoding']).toBe('gzip');
    expect((JSON.parse(gunzipSync(list.body).toString('utf8')) as { events: unknown[] }).events.length).toBeGreaterThan(0);
  });

  it('R111: the streamed NDJSON audit export is compressed whole: every line arrives and the chain closes', async () => {
    const admin = bearer(['admin']);
    const plain = await rawGet(h, '/audit/export', { Authorization: admin });
    const gzip = await rawGet(h, '/audit/export', { Authorization: admin, 'Accept-Encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    const lines = gunzipSync(gzip.body).toString('utf8').trimEnd().split('\n');
    expect(lines.length).toBe(plain.body.toString('utf8').trimEnd().split('\n').length);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(gzip.body.length).toBeLessThan(plain.body.length);
  });
});
