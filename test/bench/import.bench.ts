/**
 * `npm run bench:import`: 1,000,000 rows (BENCH_IMPORT_ROWS) of holders and holdings written to a temp NDJSON file,
 * then imported by the Importer the CLI runs (`npm run import`), with the app's module wiring on a fresh embedded
 * store. Prints rows/s and the process's peak RSS.
 * Targets: peak RSS < 512 MB (the import streams: memory must not grow with the file), and the events the import
 * appends per second at least 25% of the store's own 1-event appends/s at the same concurrency, measured in the same
 * process just before (the ceiling: an import row also reads its streams, decides, and seals a holder's name).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { upcast } from '@recert/domain';
import { EventStoreModule, NewEvent, SqliteEventStore } from '@recert/eventstore';
import { KernelModule, loadConfig } from '@recert/kernel';
import { Importer, RenewalsModule } from '@recert/renewals';
import { verdictLine } from './ceiling';

const ROWS = Number(process.env['BENCH_IMPORT_ROWS'] ?? 1_000_000);
const CONCURRENCY = Number(process.env['BENCH_IMPORT_CONCURRENCY'] ?? 256);
const RSS_BOUND_MB = 512;
const DAY_MS = 24 * 3600 * 1000;

/** Four rows a holder: the holder, an associate earned and renewed, a fundamentals, an expert (R10 on the associate). */
async function generate(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const base = Date.parse('2024-03-01T00:00:00Z');
  let written = 0;
  for (let holder = 0; written < rows; holder += 1) {
    const earned = new Date(base + (holder % 200) * DAY_MS);
    // P1Y under the 2021-06-30 policy; renewed inside the window (which opens 6 months before expiry).
    const renewed = new Date(earned.getTime() + 300 * DAY_MS);
    const lines = [
      {
        kind: 'holder',
        sourceId: `h-${holder}`,
        accountId: `acc-${holder}`,
        displayName: `Holder ${holder}`,
        email: `h${holder}@example.com`,
      },
      {
        kind: 'holding',
        sourceId: `a-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-administrator-associate',
        earnedAt: earned.toISOString(),
        renewedAt: [renewed.toISOString()],
      },
      {
        kind: 'holding',
        sourceId: `f-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-fundamentals',
        earnedAt: earned.toISOString(),
      },
      {
        kind: 'holding',
        sourceId: `e-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-solutions-architect-expert',
        // One holder in 50 claims the expert before its prerequisite: refused (R10), as a migration's bad rows are.
        earnedAt: new Date(earned.getTime() + (holder % 50 === 0 ? -DAY_MS : 30 * DAY_MS)).toISOString(),
      },
    ];
    for (const line of lines) {
      if (written >= rows) break;
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      written += 1;
    }
  }
  out.end();
  await once(out, 'finish');
}

function event(): NewEvent {
  return {
    id: randomUUID(),
    type: 'CertificationImported',
    data: { holdingId: 'p.x', earnedAt: '2024-03-01T00:00:00.000Z', importedFrom: { system: 'bench', sourceId: 'x', line: 1, run: 'r' } },
    metadata: { correlationId: 'c', causationId: 'c', actor: 'import:bench', occurredAt: '2026-01-01T00:00:00.000Z' },
  };
}

/** The store's own 1-event appends/s with `callers` appending at once to streams of their own. */
async function appendCeiling(file: string, callers: number, perCaller: number): Promise<number> {
  const store = new SqliteEventStore({ file });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let n = 0; n < perCaller; n += 1) await store.append(`ceiling-${caller}-${n}`, [event()], { expectedRevision: 'no_stream' });
    }),
  );
  const rate = (callers * perCaller) / (Number(process.hrtime.bigint() - started) / 1e9);
  await store.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'recert-import-bench-'));
  try {
    const file = join(dir, 'rows.ndjson');
    let started = Date.now();
    await generate(file, ROWS);
    process.stdout.write(
      `generated ${ROWS.toLocaleString('en-US')} rows (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );

    const ceiling = await appendCeiling(join(dir, 'ceiling.db'), CONCURRENCY, 300);

    const config = loadConfig({ DATA_DIR: join(dir, 'data'), SCHEDULER_INTERVAL_MS: '0', DISPATCH_INTERVAL_MS: '0', LOG_LEVEL: 'warn' });
    @Module({ imports: [KernelModule.forRoot(config), EventStoreModule.withUpcaster(upcast), RenewalsModule] })
    class BenchImportModule {}
    const app = await NestFactory.createApplicationContext(BenchImportModule, { logger: ['error'] });
    const importer = app.get(Importer);
    let peakSampled = 0;
    const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, process.memoryUsage.rss())), 250);
    let lastReport = Date.now();
    started = Date.now();
    const report = await importer.run(createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, {
      format: 'ndjson',
      system: 'bench',
      dryRun: false,
      concurrency: CONCURRENCY,
      onProgress: ({ rows }) => {
        if (Date.now() - lastReport < 30_000) return;
        lastReport = Date.now();
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          `  ${rows.toLocaleString('en-US')} rows, ${Math.round(rows / seconds)} rows/s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB\n`,
        );
      },
    });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    await app.close();
    const rowsPerSecond = report.rows / seconds;
    // Appends of the run: a holder row appends twice (account index, profile), a holding row once.
    const holders = Math.ceil(ROWS / 4);
    const appended = report.counts.imported + Math.min(holders, report.counts.imported);
    const peakMb = Math.max(peakSampled, process.resourceUsage().maxRSS * 1024) / 2 ** 20;
    process.stdout.write(
      `${new Date().toISOString()} ${report.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s: ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s\n`,
    );
    process.stdout.write(`counts ${JSON.stringify(report.counts)} byCode ${JSON.stringify(report.byCode)}\n`);
    process.stdout.write(
      `${verdictLine({
        label: `import appends (${CONCURRENCY} rows at once)`,
        figure: appended / seconds,
        ceiling,
        ceilingLabel: `store 1-event appends, ${CONCURRENCY} callers`,
        unit: 'appends/s',
        target: 0.25,
      })}\n`,
    );
    process.stdout.write(`peak RSS ${peakMb.toFixed(0)} MB  |  bound < ${RSS_BOUND_MB} MB  ${peakMb < RSS_BOUND_MB ? 'MET' : 'MISSED'}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
