import type { EventStore } from '@recert/eventstore';
import type { Catalog } from '@recert/domain';
import { parsePolicy, PolicyBook, WhatIfReplay, WhatIfReport } from '@recert/domain';

export interface WhatIfRun {
  store: EventStore;
  live: PolicyBook;
  candidate: PolicyBook;
  catalog: Catalog;
  asOf: Date;
  /** Called after each page with events read so far and the log's head. */
  onProgress?: (read: number, head: number, position: number) => void;
  /** Lets a long replay give the event loop a turn between pages (HTTP jobs). */
  yieldBetweenPages?: boolean;
}

const PAGE = 5000;

/** Reads the log page by page (never writing) into a WhatIfReplay; stops at the head it saw when it started. */
export async function runWhatIf(run: WhatIfRun): Promise<WhatIfReport> {
  const replay = new WhatIfReplay(run.live, run.candidate, run.catalog);
  const head = await run.store.headPosition();
  let after = 0;
  let read = 0;
  while (after < head) {
    const page = await run.store.readAll({ after, maxCount: PAGE, filter: { eventTypes: WhatIfReplay.inputTypes } });
    for (const event of page) {
      if (event.position > head) {
        after = head;
        break;
      }
      replay.apply(event);
      after = event.position;
      read += 1;
    }
    // A short page means the log was scanned to its end, past events of other types too.
    if (page.length < PAGE) after = head;
    run.onProgress?.(read, head, after);
    if (run.yieldBetweenPages) await new Promise((resolve) => setImmediate(resolve));
  }
  return replay.report(run.asOf);
}

/**
 * A candidate given as JSON: an array of versions replaces the whole book; one version is added to the live
 * book, as an adoption at its effectiveFrom would.
 */
export function candidateBook(raw: unknown, live: PolicyBook): PolicyBook {
  if (Array.isArray(raw)) return new PolicyBook(raw.map((item: unknown, index) => parsePolicy(item, `policy[${index}]`)));
  const policy = parsePolicy(raw);
  return new PolicyBook([...live.versions.filter((version) => version.version !== policy.version), policy]);
}
