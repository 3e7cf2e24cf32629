import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig, ManualClock, signDevelopmentToken } from '@recert/kernel';
import { createApp } from '../../apps/api/src/app.factory';
import { TEST_SECRET } from '../support/harness';

type Line = Record<string, unknown>;

/** #12 structured logs: JSON lines with the request id and the correlation id; no token, e-mail or name ever. */
describe('structured logs', () => {
  let app: INestApplication;
  let dataDir: string;
  let http: ReturnType<typeof request>;
  const output: string[] = [];
  const lines = (): Line[] =>
    output
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
  const token = signDevelopmentToken({ sub: 'exam-1', roles: ['exam-system'] }, TEST_SECRET);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-logs-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      CLOCK: 'manual',
      CLOCK_START: '2026-01-01T00:00:00Z',
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      AUTH_JWT_SECRET: TEST_SECRET,
      LOG_FORMAT: 'json',
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output.push(chunk.toString('utf8'));
        done();
      },
    });
    app = await createApp({ config, clock: new ManualClock(new Date('2026-01-01T00:00:00Z')), logDestination: destination });
    await app.init();
    http = request(app.getHttpServer() as Parameters<typeof request>[0]);
  }, 60_000);
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** The log lines of one request, once its summary line is out (a condition with a deadline, not a sleep). */
  const linesOf = async (reqId: string): Promise<Line[]> => {
    const deadline = Date.now() + 10_000;
    let found = lines().filter((line) => line['reqId'] === reqId);
    while (!found.some((line) => line['res'] !== undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      found = lines().filter((line) => line['reqId'] === reqId);
    }
    return found;
  };

  it('#12: every line is JSON; a request’s lines carry its X-Request-Id (echoed) and X-Correlation-Id', async () => {
    const response = await http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', 'req-log-0001')
      .set('X-Correlation-Id', 'corr-log-0001')
      .send({
        profileId: 'log-1',
        accountId: 'acc-log-1',
        accountType: 'personal',
        displayName: 'Grace Hopper',
        email: 'grace.hopper@example.com',
      });
    expect(response.status).toBe(201);
    expect(response.headers['x-request-id']).toBe('req-log-0001');
    const mine = await linesOf('req-log-0001');
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line).toMatchObject({ reqId: 'req-log-0001', correlationId: 'corr-log-0001' });
    expect(mine.find((line) => line['res'])).toMatchObject({
      res: { statusCode: 201 },
      req: { method: 'POST', path: '/certification-profiles' },
    });
    // Start-up lines went through the same logger: the whole output parses as JSON lines.
    expect(lines().some((line) => line['context'] === 'RoutesResolver' || line['context'] === 'NestApplication')).toBe(true);
  });

  it('#12: without headers, a request id is generated and the command’s own correlation id is logged', async () => {
    const response = await http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', 'not a sane id '.repeat(20))
      .send({
        profileId: 'log-2',
        accountId: 'acc-log-2',
        accountType: 'personal',
        displayName: 'Alan Turing',
        email: 'alan.turing@example.com',
      });
    expect(response.status).toBe(201);
    const reqId = response.headers['x-request-id'] as string;
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const summary = (await linesOf(reqId)).find((line) => line['res']);
    expect(summary?.['correlationId']).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    // The same correlation id the stored events carry.
    const history = await http
      .get('/certification-profiles/log-2/history')
      .set('Authorization', `Bearer ${signDevelopmentToken({ sub: 's', roles: ['support'] }, TEST_SECRET)}`);
    expect(JSON.stringify(history.body)).toContain(summary?.['correlationId'] as string);
  });

  it('#12: the token, the e-mail address and the name sent in requests never appear in the log', async () => {
    await http
      .get('/certification-profiles/log-1/dashboard?token=secret-query-token')
      .set('Authorization', 'Bearer not.a.valid-token')
      .expect(401);
    await http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', 'req-log-last')
      .send({ displayName: 'Ada Lovelace', email: 'ada@example.com' });
    expect((await linesOf('req-log-last')).some((line) => line['res'])).toBe(true);
    const all = output.join('');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [
      token,
      'not.a.valid-token',
      'secret-query-token',
      'grace.hopper@example.com',
      'Grace Hopper',
      'alan.turing@example.com',
      'Alan Turing',
      'Ada Lovelace',
      'ada@example.com',
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
