/**
 * COPY-speed seeding for `bench:scale` (#23.7): a template population made by the real deciders (seed.ts) is
 * replicated with fresh ids, so a 10M-event log costs one small seed plus a bulk load instead of an hour of appends.
 *
 * Copy `k` of template profile `i` is profile `j = k * templateProfiles + i`: every identifier that names a profile,
 * account, learn profile, holding, window or attempt (`bench-i`, `acc-i`, `learn-i`, `bench-i.<code>@…`, `a-i-n`) is
 * renamed to `j`; the public verification id becomes `benchVerificationId(j)`, the one the bench's load asks for; every
 * UUID (event id, correlation and causation ids, notification ids) is derived afresh from the template's and `k`.
 * Copy 0 is the template itself. A string in an event's data that looks like an identifier but is none of these
 * stops the replication, so a seed that grows a new kind of id cannot leave copies that share it.
 *
 * Rows come out in the template's order (occurrence), each template row followed by its copies, with positions
 * 1, 2, 3, … and each stream's revisions as in the template: a log the store could have appended.
 *
 * The seed's personal data is one constant sealed blob under key id `seed`, for which no vault key exists: every copy
 * reads as the template does (sealed, not openable), so nothing there needs a copy of its own.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { projectRoot } from '@recert/kernel';
import { loadCatalog, loadPolicyBook } from '@recert/renewals';
import { benchVerificationId, seedPopulation } from './seed';

/** An event row as both stores keep it (data and metadata as JSON text). */
export interface LogRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const ENTITY = /^(bench|acc|learn)-(\d+)((?:[.@].*)?)$/;
const ATTEMPT = /^a-(\d+)-(\d+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STREAM = /^([a-z]+-)(bench|acc|learn)-(\d+)((?:\..*)?)$/;
/** Dates, timestamps and policy versions (2021-06-30) carry digits and dashes without naming anything. */
const NOT_AN_ID = /^\d{4}-\d{2}-\d{2}/;

/** A template UUID's counterpart in copy `copy`: md5 of both, as a UUID (replicate-pg.ts computes the same in SQL). */
export function copyUuid(id: string, copy: number): string {
  const hex = createHash('md5').update(`${id}:${copy}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The template profile a stream belongs to (every stream the seed writes names one). */
export function templateProfileOf(stream: string): number {
  const match = STREAM.exec(stream);
  if (!match) throw new Error(`replicate: stream ${stream} names no seeded profile`);
  return Number(match[3]);
}

/** Renames one event row for copy `copy` (0 returns it unchanged but for its position). */
export class Replicator {
  constructor(private readonly templateProfiles: number) {}

  profileIndex(templateIndex: number, copy: number): number {
    return copy * this.templateProfiles + templateIndex;
  }

  copyRow(row: LogRow, data: Json, metadata: Json, copy: number, position: number): LogRow {
    if (copy === 0) return { ...row, position };
    const from = templateProfileOf(row.stream);
    const to = this.profileIndex(from, copy);
    const stream = row.stream.replace(STREAM, (_m, kind: string, prefix: string, n: string, rest: string) => {
      if (Number(n) !== from) throw new Error(`replicate: ${row.stream}`);
      return `${kind}${prefix}-${to}${rest}`;
    });
    return {
      ...row,
      position,
      stream,
      id: this.uuid(row.id, copy),
      data: JSON.stringify(this.rename(data, from, to, copy, '')),
      metadata: JSON.stringify(this.rename(metadata, from, to, copy, '')),
    };
  }

  private uuid(id: string, copy: number): string {
    return copyUuid(id, copy);
  }

  private rename(value: Json, from: number, to: number, copy: number, key: string): Json {
    if (Array.isArray(value)) return value.map((item) => this.rename(item, from, to, copy, key));
    if (value !== null && typeof value === 'object') {
      const out: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.rename(v, from, to, copy, k);
      return out;
    }
    if (typeof value !== 'string') return value;
    if (key === 'verificationId') return benchVerificationId(to);
    const entity = ENTITY.exec(value);
    if (entity) {
      if (Number(entity[2]) !== from) throw new Error(`replicate: ${key}=${value} in a stream of profile ${from}`);
      return `${entity[1] as string}-${to}${entity[3] as string}`;
    }
    const attempt = ATTEMPT.exec(value);
    if (attempt) return `a-${to}-${attempt[2] as string}`;
    if (UUID.test(value)) return this.uuid(value, copy);
    if (/\d/.test(value) && value.includes('-') && !NOT_AN_ID.test(value)) {
      throw new Error(`replicate: ${key}=${value} looks like an identifier the replication does not know`);
    }
    return value;
  }
}

/** A template for the bench's log: the shipped catalog and policies, every associate with a verification id. */
export function seedTemplate(
  dataDir: string,
  targetEvents: number,
  now: Date,
  onProgress?: (events: number) => void,
): Promise<{ profiles: number; events: number }> {
  const root = projectRoot();
  return seedPopulation({
    dataDir,
    targetEvents,
    catalog: loadCatalog(join(root, 'config', 'catalog.json')),
    policies: loadPolicyBook(join(root, 'config', 'policy.json')),
    now,
    verificationIds: true,
    ...(onProgress ? { onProgress } : {}),
  });
}

/** The template's rows in position order, with their data and metadata parsed. */
export function* templateRows(templateFile: string): Generator<{ row: LogRow; data: Json; metadata: Json }> {
  const db = new Database(templateFile, { readonly: true });
  try {
    const rows = db
      .prepare<[], LogRow>('SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events ORDER BY position')
      .iterate();
    for (const row of rows) yield { row, data: JSON.parse(row.data) as Json, metadata: JSON.parse(row.metadata) as Json };
  } finally {
    db.close();
  }
}

/**
 * The replicated log, read from a seeded embedded store (`events.db`) in position order: each template row, then its
 * `copies - 1` copies, numbered from position 1.
 */
export function* replicatedLog(templateFile: string, templateProfiles: number, copies: number): Generator<LogRow> {
  const replicator = new Replicator(templateProfiles);
  let position = 0;
  for (const { row, data, metadata } of templateRows(templateFile)) {
    for (let copy = 0; copy < copies; copy += 1) {
      position += 1;
      yield replicator.copyRow(row, data, metadata, copy, position);
    }
  }
}
