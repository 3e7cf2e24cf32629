import { spawnSync } from 'node:child_process';
import { get as httpGet, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Harness, startApp } from '../support/harness';

/** #15 delivery: hashed, precompressed, long-cached assets, a favicon, and the bundle budget the build prints. */
const root = join(__dirname, '..', '..');

describe('#15.5 dashboard assets', () => {
  let h: Harness;
  let manifest: { app: string; styles: string; icon: string };
  let buildOutput: string;
  let port: number;
  /** The bytes as sent (supertest would decode them): to prove what went over the wire. */
  const raw = (path: string, acceptEncoding: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path, headers: { 'Accept-Encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });

  beforeAll(async () => {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { encoding: 'utf8' });
    expect(built.status).toBe(0);
    buildOutput = built.stdout;
    manifest = JSON.parse(readFileSync(join(root, 'apps', 'api', 'public', 'manifest.json'), 'utf8')) as typeof manifest;
    h = await startApp();
    port = (h.app.getHttpServer() as { address(): AddressInfo }).address().port;
  }, 120_000);
  afterAll(async () => h?.close());

  it('#15.5: the build prints the first-visit size against the 60 kB gzip budget', () => {
    expect(buildOutput).toMatch(/first visit [0-9.]+ kB gzip of a 60 kB budget: MET/);
  });

  it('#22.11: the dashboard page carries the hardening headers the verification page has (one function sets both)', async () => {
    const page = await h.http.get('/dashboard');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']).split(/;\s*/);
    expect(csp).toEqual(expect.arrayContaining(["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]));
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('#15.5: the page names content-hashed assets, which are cached for a year and sent compressed', async () => {
    const page = await h.http.get('/dashboard').set('Accept-Encoding', 'identity');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain(`/dashboard/assets/${manifest.app}`);
    expect(page.text).toContain(`/dashboard/assets/${manifest.styles}`);
    expect(manifest.app).toMatch(/^app-[A-Za-z0-9]{8}\.js$/);

    const asBrotli = await raw(`/dashboard/assets/${manifest.app}`, 'gzip, deflate, br');
    expect(asBrotli.status).toBe(200);
    expect(asBrotli.headers['content-encoding']).toBe('br');
    expect(asBrotli.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asBrotli.headers['vary']).toBe('Accept-Encoding');
    const plain = readFileSync(join(root, 'apps', 'api', 'public', manifest.app));
    expect(brotliDecompressSync(asBrotli.body).equals(plain)).toBe(true);

    const asGzip = await raw(`/dashboard/assets/${manifest.styles}`, 'gzip');
    expect(asGzip.headers['content-encoding']).toBe('gzip');
    expect(asGzip.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gunzipSync(asGzip.body).toString('utf8')).toContain('min-width');
    const identity = await raw(`/dashboard/assets/${manifest.styles}`, 'identity');
    expect(identity.headers['content-encoding']).toBeUndefined();
  });
  it('#15.5: a favicon answers, and nothing outside the bundle is served', async () => {
    const icon = await h.http.get('/favicon.ico').set('Accept-Encoding', 'identity');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect((await h.http.get('/dashboard/assets/app.js')).status).toBe(404);
    expect((await h.http.get('/dashboard/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await h.http.get('/dashboard/assets/manifest.json')).status).toBe(404);
  });
});
