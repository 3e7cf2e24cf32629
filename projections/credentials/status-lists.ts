import { Inject, Injectable } from '@nestjs/common';
import { gzipSync } from 'node:zlib';
import { suspensionInForceAt } from '@recert/domain';
import { CLOCK, Clock } from '@recert/kernel';
import { HoldingsModel } from '../holdings/holdings.model';
import { READ_STORE, type ReadStore } from '../runtime/read-store';
import { ISSUER_KEYS, IssuerKeys } from './issuer-keys';
import { STATUS_LIST_SIZE, STATUS_SIZE, StatusIndexes, StatusPurpose, writeStatus } from './status-list';

/** One credential's status as the verifications read model has it (time-free: a suspension's `until` is kept apart). */
interface Entry {
  verificationId: string;
  position: number;
  revoked: boolean;
  suspended: boolean;
  /** The suspension ends by itself at this instant (R17), ms; null: until reinstated. */
  untilMs: number | null;
}

/** How a list lays its entries out: the purpose, bits per entry, where an entry sits and its value. */
export interface StatusLayout {
  purpose: StatusPurpose;
  statusSize: number;
  indexOf(position: number): number;
  /** `suspendedNow`: suspended and its `until` (if any) not reached. */
  valueOf(entry: Entry, suspendedNow: boolean): number;
}

type Layouts = Record<StatusPurpose, StatusLayout>;

/** R71: one two-bit `message` entry at a random index (R72); the one-bit lists of credentials issued before #26. */
function layoutsOf(indexes: StatusIndexes): Layouts {
  const legacy = (p: number): number => p % STATUS_LIST_SIZE;
  return {
    message: {
      purpose: 'message',
      statusSize: STATUS_SIZE,
      indexOf: (p) => indexes.entryOf(p).index,
      valueOf: (e, suspendedNow) => (e.revoked ? 1 : suspendedNow ? 2 : 0),
    },
    revocation: { purpose: 'revocation', statusSize: 1, indexOf: legacy, valueOf: (e) => (e.revoked ? 1 : 0) },
    suspension: {
      purpose: 'suspension',
      statusSize: 1,
      indexOf: legacy,
      valueOf: (e, suspendedNow) => (!e.revoked && suspendedNow ? 1 : 0),
    },
  };
}

interface Encoded {
  version: number;
  /** Clock instants (ms) between which the encoding holds: no suspension ends by itself before `until`. */
  from: number;
  until: number;
  value: string;
  /** Whatever the caller derived from the encoding (the signed credential), kept with it. */
  signed?: Promise<string>;
}

/** One list of one generation of the read model: its entries, and a bitstring per layout kept up to date. */
class ListState {
  readonly byPosition = new Map<number, Entry>();
  readonly byVerification = new Map<string, number>();
  /** Suspended, unrevoked entries with an `until`: the clock alone ends them, so an encoding is good only until then. */
  readonly timed = new Map<number, Entry>();
  readonly bits = new Map<StatusPurpose, Buffer>();
  readonly encoded = new Map<StatusPurpose, Encoded>();
  version = 0;

  constructor(
    readonly list: number,
    private readonly layouts: Layouts,
  ) {
    for (const layout of Object.values(layouts)) this.bits.set(layout.purpose, Buffer.alloc((STATUS_LIST_SIZE * layout.statusSize) / 8));
  }

  /** A row's state now (absolute, so applying a row twice or late is harmless). */
  apply(row: ChangedRow): void {
    const previous = this.byVerification.get(row.verification_id);
    // The id moved (a merge adopts it with a new entry) or was retired (rotated away): its old entry goes.
    if (previous !== undefined && (previous !== row.status_position || row.retired === 1)) this.remove(previous, row.verification_id);
    if (row.retired === 1 || Math.floor(row.status_position / STATUS_LIST_SIZE) !== this.list) return;
    const untilMs = row.suspended_until === null ? null : Date.parse(row.suspended_until);
    this.set({
      verificationId: row.verification_id,
      position: row.status_position,
      revoked: row.revoked === 1,
      suspended: row.suspended_since !== null,
      untilMs,
    });
  }

  private remove(position: number, verificationId: string): void {
    const entry = this.byPosition.get(position);
    this.byVerification.delete(verificationId);
    if (entry?.verificationId !== verificationId) return; // another id holds the entry now (the rotated-to one)
    this.byPosition.delete(position);
    this.timed.delete(position);
    this.write(position, undefined);
  }

  private set(entry: Entry): void {
    this.byPosition.set(entry.position, entry);
    this.byVerification.set(entry.verificationId, entry.position);
    if (entry.suspended && !entry.revoked && entry.untilMs !== null) this.timed.set(entry.position, entry);
    else this.timed.delete(entry.position);
    this.write(entry.position, entry);
  }

  /** The bits of each layout as if every suspension were in force; the ones the clock ended are patched at encoding. */
  private write(position: number, entry: Entry | undefined): void {
    for (const layout of Object.values(this.layouts)) {
      const bits = this.bits.get(layout.purpose) as Buffer;
      writeStatus(bits, layout.indexOf(position), layout.statusSize, entry ? layout.valueOf(entry, entry.suspended) : 0);
    }
    this.version += 1;
  }

  encode(purpose: StatusPurpose, now: number): Encoded {
    const cached = this.encoded.get(purpose);
    if (cached && cached.version === this.version && now >= cached.from && now < cached.until) return cached;
    const layout = this.layouts[purpose];
    let bits = this.bits.get(purpose) as Buffer;
    let until = Number.POSITIVE_INFINITY;
    const ended = [...this.timed.values()].filter((entry) => {
      // R17 as the domain states it: a suspension with an until ends by itself then.
      if (suspensionInForceAt(entry.untilMs, now)) until = Math.min(until, entry.untilMs as number);
      return !suspensionInForceAt(entry.untilMs, now);
    });
    if (ended.length > 0) {
      bits = Buffer.from(bits);
      for (const entry of ended) writeStatus(bits, layout.indexOf(entry.position), layout.statusSize, layout.valueOf(entry, false));
    }
    const encoded: Encoded = { version: this.version, from: now, until, value: `u${gzipSync(bits).toString('base64url')}` };
    this.encoded.set(purpose, encoded);
    return encoded;
  }
}

interface ChangedRow {
  verification_id: string;
  status_position: number;
  revoked: number;
  suspended_since: string | null;
  suspended_until: string | null;
  retired: number;
}

const COLUMNS = 'verification_id, status_position, revoked, suspended_since, suspended_until, retired';

/**
 * #22.4: the status lists, kept per list and read-model position instead of read whole on every request. A list is
 * loaded once; after that a request reads the projection's checkpoint and only the rows changed since the position
 * the lists were brought to (by the `last_position` index), and re-encodes (gzip) only when a bit changed or the
 * clock ended a suspension (R17: `until` passes without an event, so an encoding is kept only until the earliest
 * `until` still ahead). A new generation of the read model (blue/green swap) or a checkpoint that went back (a
 * rebuild in place) starts over. Requests are served one after another (reads are awaited, #23.1): two refreshes
 * interleaved could leave an older row's state applied after a newer one's, or the position moved back.
 */
@Injectable()
export class StatusLists {
  private generation?: { table: string; position: number; lists: Map<number, ListState> };
  private queue: Promise<unknown> = Promise.resolve();
  /** Every unused list encodes alike. */
  private readonly empty: ListState;
  private readonly layouts: Layouts;

  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ISSUER_KEYS) keys: IssuerKeys,
    private readonly model: HoldingsModel,
  ) {
    this.indexes = new StatusIndexes(keys.statusIndexKey);
    this.layouts = layoutsOf(this.indexes);
    this.empty = new ListState(-1, this.layouts);
  }

  /** R72: where a cycle's `message` entry is. */
  readonly indexes: StatusIndexes;

  /** The encoded list (multibase base64url of the gzipped bitstring) as of now, and what was derived from it before. */
  encoded(purpose: StatusPurpose, list: number): Promise<Encoded> {
    const run = this.queue.then(async () => (await this.state(list)).encode(purpose, this.clock.now().getTime()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async state(list: number): Promise<ListState> {
    const tables = this.model.tables();
    // The checkpoint first: every row written up to it is committed with it, so none is missed; rows read past it are
    // read again next time, which is harmless (each row is its absolute state).
    const position = (await this.readStore.checkpoint(tables.projection))?.position ?? 0;
    let generation = this.generation;
    if (!generation || generation.table !== tables.verifications || position < generation.position) {
      generation = { table: tables.verifications, position, lists: new Map() };
      this.generation = generation;
    } else if (position > generation.position) {
      const changed = await this.readStore.query<ChangedRow>(`SELECT ${COLUMNS} FROM ${generation.table} WHERE last_position > ?`, [
        generation.position,
      ]);
      for (const row of changed) for (const state of generation.lists.values()) state.apply(row);
      generation.position = position;
    }
    let state = generation.lists.get(list);
    if (!state) {
      state = new ListState(list, this.layouts);
      const from = list * STATUS_LIST_SIZE;
      const rows = await this.readStore.query<ChangedRow>(
        `SELECT ${COLUMNS} FROM ${generation.table} WHERE status_position >= ? AND status_position < ? AND retired = 0`,
        [from, from + STATUS_LIST_SIZE],
      );
      for (const row of rows) state.apply(row);
      // Only lists with entries are kept, so that asking for any number of unused lists holds no memory.
      if (state.byPosition.size === 0) return this.empty;
      generation.lists.set(list, state);
    }
    return state;
  }
}
