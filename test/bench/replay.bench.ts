/**
 * `npm run bench:replay`: what-if replay events/s over a seeded population of >= 1,000,000 events, under the
 * shipped policy (must report no difference) and under a two-year validity, each judged on its ceiling measured in
 * the same run (#17.5): a raw ordered read + JSON.parse of the same log in a fresh process. Target: >= 17% of it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { projectRoot } from '@recert/kernel';
import { candidateBook, loadCatalog, loadPolicyBook, runWhatIf } from '@recert/renewals';
import { summarizeWhatIf } from '@recert/domain';
import { progressBar } from '../../scripts/replay';
import { RawReadResult, verdictLine } from './ceiling';
import { inChild } from './read.bench';
import { seedPopulation } from './seed';

const TARGET_EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);

async function main(): Promise<void> {
  const root = projectRoot();
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-bench-replay-'));
  const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
  const live = loadPolicyBook(join(root, 'config', 'policy.json'));
  const now = new Date('2026-06-01T00:00:00Z');
  try {
    const seeded = await seedPopulation({
      dataDir,
      targetEvents: TARGET_EVENTS,
      catalog,
      policies: live,
      now,
      onProgress: (n) => process.stderr.write(`\rseeding ${n.toLocaleString('en-US')} events`),
    });
    process.stderr.write('\n');
    const raw = await inChild<RawReadResult>(require.resolve('./read.bench'), 'raw-read', dataDir);
    const store = new SqliteEventStore({ file: join(dataDir, 'events.db') });
    const lines: string[] = [];
    for (const [label, candidate] of [
      ['shipped policy', live],
      [
        'validity P2Y',
        candidateBook(JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'policies', 'validity-p2y.json'), 'utf8')) as unknown, live),
      ],
    ] as const) {
      const started = Date.now();
      let updates = 0;
      const report = await runWhatIf({
        store,
        live,
        candidate,
        catalog,
        asOf: now,
        onProgress: ({ eventsRead, eventsTotal }) => {
          updates += 1;
          process.stderr.write(`\r${label}: ${progressBar(eventsRead, eventsTotal, started)}`);
        },
      });
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write('\n');
      const head = await store.headPosition();
      lines.push(
        verdictLine({
          label: `what-if (${label}), ${seconds.toFixed(1)} s`,
          figure: head / seconds,
          ceiling: raw.perSecond,
          ceilingLabel: `raw ordered read + JSON.parse, ${raw.seconds.toFixed(1)} s`,
          unit: 'log events/s',
          target: 0.17,
        }),
        `  ${report.eventsReplayed.toLocaleString('en-US')} facts replayed, ${updates} progress updates, ${report.holdingsDiffering.toLocaleString('en-US')} holdings differ`,
      );
      if (label === 'validity P2Y') lines.push(summarizeWhatIf(report));
    }
    await store.close();
    console.log(`recert bench:replay  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cpu`);
    console.log(`population: ${seeded.events.toLocaleString('en-US')} events, ${seeded.profiles.toLocaleString('en-US')} profiles`);
    for (const line of lines) console.log(line);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
