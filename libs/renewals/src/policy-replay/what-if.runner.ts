import { countEventsBetween, EventStore, logPages } from '@recert/eventstore';
import type { Catalog } from '@recert/domain';
import { parsePolicy, PolicyBook, policyProblems, WhatIfReplay, WhatIfReport } from '@recert/domain';

export interface WhatIfRun {
  store: EventStore;
  live: PolicyBook;
  candidate: PolicyBook;
  catalog: Catalog;
  asOf: Date;
  /** Called after each page with the progress so far, in events (#12.12). */
  onProgress?: (progress: ReplayProgress) => void;
  /** Lets a long replay give the event loop a turn between pages (HTTP jobs). */
  yieldBetweenPages?: boolean;
}

/** A replay's progress in events: positions are byte offsets on EventStoreDB, so a share of positions is no share of work. */
export interface ReplayProgress {
  /** Facts replayed so far. */
  eventsRead: number;
  /** Facts to replay: those of the replayed types up to the head the replay started at. */
  eventsTotal: number;
  /** eventsRead of eventsTotal, 0..100 (100 for an empty log). */
  percent: number;
  position: number;
  head: number;
}

export function replayProgress(eventsRead: number, eventsTotal: number, position: number, head: number): ReplayProgress {
  const percent = eventsTotal === 0 ? 100 : Math.min(100, Math.floor((eventsRead / eventsTotal) * 100));
  return { eventsRead, eventsTotal, percent, position, head };
}

const PAGE = 5000;

/** Reads the log page by page (never writing) into a WhatIfReplay; stops at the head it saw when it started. */
export async function runWhatIf(run: WhatIfRun): Promise<WhatIfReport> {
  const replay = new WhatIfReplay(run.live, run.candidate, run.catalog);
  const head = await run.store.headPosition();
  const filter = { eventTypes: WhatIfReplay.inputTypes };
  const total = run.onProgress ? await countEventsBetween(run.store, { upTo: head, filter }) : 0;
  let read = 0;
  for await (const page of logPages(run.store, { until: head, pageSize: PAGE, filter })) {
    for (const event of page.events) replay.apply(event);
    read += page.events.length;
    run.onProgress?.(replayProgress(read, total, page.scannedTo, head));
    if (run.yieldBetweenPages) await new Promise((resolve) => setImmediate(resolve));
  }
  return replay.report(run.asOf);
}

/**
 * A candidate given as JSON: an array of versions replaces the whole book; one version is added to the live
 * book, as an adoption at its effectiveFrom would.
 */
export function candidateBook(raw: unknown, live: PolicyBook): PolicyBook {
  // The bounds of an adoption (R1, R14a) hold for a candidate too: else the replay would compute impossible dates.
  if (Array.isArray(raw)) return PolicyBook.parse(raw, 'policy');
  const policy = parsePolicy(raw);
  const problem = policyProblems(policy)[0];
  if (problem) throw new Error(`policy.${problem.field}: ${problem.message}`);
  return new PolicyBook([...live.versions.filter((version) => version.version !== policy.version), policy]);
}
