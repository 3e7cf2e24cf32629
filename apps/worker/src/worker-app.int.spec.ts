import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createValidationPipe, loadConfig, ManualClock, signDevelopmentToken } from '@recert/kernel';
import { WorkerAppModule } from './worker-app.module';

describe('the worker as its own process', () => {
  let app: INestApplication;
  let dataDir: string;
  const secret = 'worker-secret-worker-secret-worker-secret';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-worker-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: secret,
      CLOCK: 'manual',
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
    });
    app = await NestFactory.create(WorkerAppModule.forRoot(config, new ManualClock(new Date('2026-01-01T00:00:00Z')), { silent: true }), {
      logger: false,
    });
    app.useGlobalPipes(createValidationPipe());
    await app.init();
  }, 60_000);
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('R3/R9: boots with its projections, answers /health, and runs the scheduler on demand for the scheduler role only', async () => {
    const http = request(app.getHttpServer() as Parameters<typeof request>[0]);
    const health = await http.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { store: { status: 'up' }, projections: { status: 'up' } } });
    const scheduler = signDevelopmentToken({ sub: 'cron', roles: ['scheduler'] }, secret);
    const run = await http.post('/admin/scheduler/run').set('Authorization', `Bearer ${scheduler}`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ windowsOpened: 0, expired: 0, notified: 0 });
    const candidate = signDevelopmentToken({ sub: 'c', roles: ['candidate'], profileId: 'p' }, secret);
    expect((await http.post('/admin/scheduler/run').set('Authorization', `Bearer ${candidate}`)).status).toBe(403);
  });
});
