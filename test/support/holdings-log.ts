import { join } from 'node:path';
import { projectRoot } from '@recert/kernel';
import type { PolicyBook } from '@recert/domain';
import { loadCatalog } from '@recert/renewals';
import { seedPopulation } from '../bench/seed';

/** A small log of profiles and holdings made by the real deciders (about 1,500 events, verification ids on) in `dir`/events.db. */
export async function seedHoldingsLog(dir: string, book: PolicyBook): Promise<void> {
  await seedPopulation({
    dataDir: dir,
    targetEvents: 1500,
    catalog: loadCatalog(join(projectRoot(), 'config', 'catalog.json')),
    policies: book,
    now: new Date('2026-12-01T00:00:00.000Z'),
    verificationIds: true,
  });
}
