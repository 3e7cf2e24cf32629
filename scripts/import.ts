/**
 * `npm run import -- FILE [--dry-run] [--system NAME] [--format ndjson|csv] [--out report.json]`: the bulk import of
 * #14.3 on the configured store (DATA_DIR, or EVENTSTORE_CONNECTION_STRING for PostgreSQL), with the app's own module
 * wiring. A real run keeps a checkpoint under DATA_DIR/imports and resumes from it after a crash; the report goes to
 * standard output (or --out), the progress bar to standard error.
 */
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { upcast } from '@recert/domain';
import { EventStoreModule } from '@recert/eventstore';
import { cliLogger, KernelModule, loadConfigOrExit } from '@recert/kernel';
import { FileCheckpoint, formatOf, IMPORT_SYSTEM, Importer, RenewalsModule } from '@recert/renewals';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** Share of the file read, rows decided and their rate: one line, redrawn on a terminal, every 10% otherwise. */
export function importProgressBar(bytes: number, size: number, rows: number, startedMs: number, nowMs: number = Date.now()): string {
  const fraction = size === 0 ? 1 : Math.min(1, bytes / size);
  const width = 30;
  const filled = Math.round(fraction * width);
  const seconds = (nowMs - startedMs) / 1000;
  const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${rows.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s`;
}

/** The checkpoint of one file for one system: a changed file (size, mtime) starts over. */
export function checkpointFile(dataDir: string, system: string, file: string): string {
  const stat = statSync(file);
  const key = createHash('sha256')
    .update(`${resolve(file)}\n${stat.size}\n${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 24);
  return join(dataDir, 'imports', `${system}-${key}.checkpoint.json`);
}

async function main(): Promise<void> {
  const file = process.argv
    .slice(2)
    .find((arg, index, all) => !arg.startsWith('--') && !['--system', '--format', '--out'].includes(all[index - 1] ?? ''));
  if (!file) {
    process.stderr.write('usage: npm run import -- FILE [--dry-run] [--system NAME] [--format ndjson|csv] [--out report.json]\n');
    process.exit(2);
  }
  const dryRun = process.argv.includes('--dry-run');
  const system = argument('system') ?? 'legacy';
  if (!IMPORT_SYSTEM.test(system)) {
    process.stderr.write('--system: 1-32 letters, digits, _ or -\n');
    process.exit(2);
  }
  const format = (argument('format') as 'ndjson' | 'csv' | undefined) ?? formatOf(file);
  if (format !== 'ndjson' && format !== 'csv') {
    process.stderr.write('--format: ndjson or csv (or a file ending in .ndjson, .jsonl or .csv)\n');
    process.exit(2);
  }
  const config = loadConfigOrExit('recert import');
  // Standard output is the report alone (#22.8): Nest's lines, the modules' start-up warnings included, go to
  // standard error in LOG_FORMAT.
  const logger = cliLogger(config);
  Logger.overrideLogger(logger);

  @Module({ imports: [KernelModule.forRoot(config), EventStoreModule.withUpcaster(upcast), RenewalsModule] })
  class ImportModule {}

  const app = await NestFactory.createApplicationContext(ImportModule, { logger });
  const importer = app.get(Importer);
  const size = statSync(file).size;
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(file as string, { highWaterMark: 1 << 20 })) {
      bytes += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  let lastDraw = 0;
  try {
    const report = await importer.run(counted(), {
      format,
      system,
      dryRun,
      checkpoint: dryRun ? undefined : new FileCheckpoint(checkpointFile(config.dataDir, system, file)),
      onResume: ({ run, line }) => process.stderr.write(`resuming run ${run} after line ${line}\n`),
      onProgress: ({ rows }) => {
        const now = Date.now();
        if (tty) {
          if (now - lastDraw < 200) return;
          lastDraw = now;
          process.stderr.write(`\r${importProgressBar(bytes, size, rows, started, now)}`);
        } else {
          const decile = Math.floor((size === 0 ? 1 : bytes / size) * 10);
          if (decile > lastDecile) {
            lastDecile = decile;
            process.stderr.write(`${importProgressBar(bytes, size, rows, started, now)}\n`);
          }
        }
      },
    });
    process.stderr.write(`${tty ? '\r' : ''}${importProgressBar(bytes, size, report.rows, started)}\n`);
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const out = argument('out');
    if (out) writeFileSync(out, json);
    else process.stdout.write(json);
    const { counts } = report;
    process.stderr.write(
      `${dryRun ? 'dry run: ' : ''}${report.rows} rows: ${counts.imported} imported, ${counts['already-imported']} already imported, ${counts.refused} refused, ${counts.invalid} invalid\n`,
    );
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`\nimport stopped: ${error instanceof Error ? error.message : String(error)}; run it again to resume\n`);
    process.exit(1);
  });
}
