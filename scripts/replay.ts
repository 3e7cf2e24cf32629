/**
 * `npm run replay -- --policy FILE [--as-of ISO] [--out report.json]`: what-if replay of the recorded facts under
 * a candidate policy. Reads the store of DATA_DIR (or EVENTSTORE_CONNECTION_STRING) and never writes to it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createEventStore } from '@recert/eventstore';
import { ConfigError, loadConfig } from '@recert/kernel';
import { candidateBook, loadCatalog, loadPolicyBook, runWhatIf } from '@recert/renewals';
import { summarizeWhatIf, upcast } from '@recert/domain';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/**
 * Facts replayed of the facts to replay, as a share, a count and a rate: all in events, since positions are byte
 * offsets on EventStoreDB and a share or rate of positions would be one of bytes (#12.12).
 */
export function progressBar(read: number, total: number, startedMs: number, nowMs: number = Date.now()): string {
  const fraction = total === 0 ? 1 : Math.min(1, read / total);
  const width = 30;
  const filled = Math.round(fraction * width);
  const seconds = (nowMs - startedMs) / 1000;
  const rate = seconds > 0 ? Math.round(read / seconds) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${read.toLocaleString('en-US')} facts, ${rate.toLocaleString('en-US')} facts/s`;
}

async function main(): Promise<void> {
  const policyFile = argument('policy');
  if (!policyFile) {
    process.stderr.write('usage: npm run replay -- --policy FILE [--as-of ISO] [--out report.json]\n');
    process.exit(2);
  }
  const asOf = new Date(argument('as-of') ?? new Date().toISOString());
  if (Number.isNaN(asOf.getTime())) throw new ConfigError('--as-of is not an ISO 8601 instant');
  const config = loadConfig();
  const live = loadPolicyBook(config.policyFile);
  const candidate = candidateBook(JSON.parse(readFileSync(policyFile, 'utf8')) as unknown, live);
  const store = createEventStore(config, upcast);
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastDecile = -1;
  const report = await runWhatIf({
    store,
    live,
    candidate,
    catalog: loadCatalog(config.catalogFile),
    asOf,
    onProgress: ({ eventsRead, eventsTotal, percent }) => {
      const bar = progressBar(eventsRead, eventsTotal, started);
      if (tty) process.stderr.write(`\r${bar}`);
      else if (Math.floor(percent / 10) > lastDecile) {
        lastDecile = Math.floor(percent / 10);
        process.stderr.write(`${bar}\n`);
      }
    },
  });
  if (tty) process.stderr.write('\n');
  await store.close();
  process.stdout.write(`${summarizeWhatIf(report)}\n`);
  const out = argument('out');
  if (out) {
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${out}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`replay: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
