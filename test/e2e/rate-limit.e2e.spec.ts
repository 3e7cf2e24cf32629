import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RATE_LIMIT_EXEMPT_PATHS } from '@recert/kernel';
import { Harness, startApp } from '../support/harness';

/** #16.10: the rate limit counts before authentication, by address, exempts probes, and holds across instances. */
describe('rate limit before authentication (#16.10)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('#16.10: 401s, 404s and malformed bodies count; the 6th request from one address is a 429 problem', async () => {
    h = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    const statuses = [
      (await h.http.get('/reports/summary')).status,
      (await h.http.get('/reports/summary').set('Authorization', 'Bearer forged.token.here')).status,
      (await h.http.get('/no-such-route')).status,
      (await h.http.post('/certification-profiles').set('Content-Type', 'application/json').send('{"broken":')).status,
      (await h.http.get('/reports/summary')).status,
    ];
    expect(statuses).toEqual([401, 401, 404, 400, 401]);
    const limited = await h.http.get('/reports/summary');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A forged token does not buy a fresh bucket.
    expect((await h.http.get('/reports/summary').set('Authorization', 'Bearer another.forged.token')).status).toBe(429);
  });

  it('#16.10: probes are exempt: /health answers while the address is limited', async () => {
    h = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    expect(RATE_LIMIT_EXEMPT_PATHS).toEqual(expect.arrayContaining(['/health', '/health/live', '/health/ready', '/metrics']));
    for (let i = 0; i < 3; i += 1) await h.http.get('/reports/summary');
    expect((await h.http.get('/reports/summary')).status).toBe(429);
    for (let i = 0; i < 5; i += 1) expect((await h.http.get('/health')).status).toBe(200);
  });

  it('#16.10: behind a trusted proxy (TRUST_PROXY) tokenless callers are keyed by their own address, not one shared bucket', async () => {
    h = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'loopback' } });
    const from = (address: string) => h.http.get('/reports/summary').set('X-Forwarded-For', address);
    expect([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status, (await from('203.0.113.1')).status]).toEqual([
      401, 401, 429,
    ]);
    expect((await from('203.0.113.2')).status).toBe(401);
  });

  it('#16.10: without TRUST_PROXY a forged X-Forwarded-For does not escape the limit', async () => {
    h = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '2' } });
    for (let i = 0; i < 2; i += 1) await h.http.get('/reports/summary').set('X-Forwarded-For', `198.51.100.${i}`);
    expect((await h.http.get('/reports/summary').set('X-Forwarded-For', '198.51.100.9')).status).toBe(429);
  });

  it('#16.10/#11.2: two instances on one shared state hold one limit, not two', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'recert-shared-'));
    const env = { RATE_LIMIT_PER_MINUTE: '4', SHARED_STATE_URL: `file:${join(shared, 'shared-state.db')}` };
    h = await startApp({ env });
    const other = await startApp({ env });
    try {
      const token = `Bearer ${h.token(['admin'], { sub: 'one-caller' })}`;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1)
        statuses.push((await (i % 2 === 0 ? h : other).http.get('/reports/summary').set('Authorization', token)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await other.close();
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
