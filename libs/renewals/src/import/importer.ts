import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  accountDecider,
  assertActive,
  Catalog,
  Certification,
  Decider,
  DomainError,
  evolveHolding,
  evolveProfile,
  HoldingCommand,
  HoldingEvent,
  holdingDecider,
  holdingIdOf,
  HoldingState,
  holdingStream,
  ImportSource,
  initialHoldingState,
  initialProfileState,
  prerequisiteMet,
  profileDecider,
  ProfileEvent,
  ProfileState,
  profileStream,
  SealedData,
} from '@recert/domain';
import { CLOCK, Clock, EventLoopTurns } from '@recert/kernel';
import { CommandMeta } from '../command-handling/command-meta';
import { CommandBus } from '@nestjs/cqrs';
import { writeOf } from '../command-handling/aggregate-writes';
import { holdingDeps } from '../command-handling/decisions';
import { certificationOf, HoldingRef, HoldingWrite } from '../command-handling/holding-handler';
import type { DomainEvent, HandleOptions } from '../command-handling/stream-commands';
import { StreamReader } from '../command-handling/stream-reader';
import { PERSONAL_DATA_VAULT, PersonalData, PersonalDataVault } from '../personal-data/personal-data.vault';
import { CATALOG, PolicyRegistry } from '../renewals.tokens';
import { newVerificationId } from '../verification/verification-id';
import { ImportFormat, recordsOf } from './import-format';
import { emptyReport, ImportOutcome, ImportReport, record, ReportRow } from './import-report';
import { HolderRow, HoldingRow, importedProfileId, ImportRow, validateRecord } from './import-rows';

/** Where a run stands: every row up to `line` is decided and counted in `report` (written by real runs only). */
export interface ImportProgress {
  run: string;
  line: number;
  report: ImportReport;
}

/** The run's checkpoint (R42): a crashed run resumes after its last saved line, with the same run id and counts. */
export interface ImportCheckpoint {
  load(): ImportProgress | undefined;
  save(progress: ImportProgress): void;
  clear(): void;
}

/** A checkpoint in one JSON file (under DATA_DIR), replaced atomically (write, fsync, rename). */
export class FileCheckpoint implements ImportCheckpoint {
  constructor(readonly file: string) {}

  load(): ImportProgress | undefined {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as ImportProgress;
    } catch {
      return undefined;
    }
  }

  save(progress: ImportProgress): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify(progress));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}

export interface ImportOptions {
  format: ImportFormat;
  /** The legacy system's name: in every imported fact, the actor `import:<system>` and the derived ids (R39). */
  system: string;
  dryRun: boolean;
  /** Rows per outcome in the report (default 20). */
  sampleSize?: number;
  /** Real runs only: resume from it and keep it up to date (the CLI's; the HTTP import has none). */
  checkpoint?: ImportCheckpoint;
  /** Rows decided between two checkpoint saves (default 1000). */
  checkpointEvery?: number;
  /** Rows read and not yet counted, each holder's rows in file order (default 256). */
  concurrency?: number;
  onProgress?: (progress: { rows: number; line: number }) => void;
  /** Tests: throws once this line is decided, like a crash before the next checkpoint. */
  crashAfterLine?: number;
  /** Called with the run id and the line resumed after, when a checkpoint was found. */
  onResume?: (resumed: { run: string; line: number }) => void;
}

interface RowResult {
  outcome: ImportOutcome;
  row: ReportRow;
}

/** How a row's commands meet the store: for real (the one write path) or in memory (dry run, R42). */
interface Applier {
  state<S, E extends DomainEvent>(stream: string, evolve: (state: S, event: E) => S, initial: S): Promise<S>;
  handle<Id, C, S, E extends DomainEvent, D>(
    decider: Decider<Id, C, S, E, D>,
    id: Id,
    command: C,
    meta: CommandMeta,
    options?: HandleOptions<D>,
  ): Promise<{ appended: number; state: S }>;
  holding(
    ref: HoldingRef,
    certification: Certification,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<{ appended: number; state: HoldingState }>;
}

/** The real run: every write on the bus (#28.1). */
class StoreApplier implements Applier {
  constructor(
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
  ) {}

  async state<S, E extends DomainEvent>(stream: string, evolve: (state: S, event: E) => S, initial: S): Promise<S> {
    return (await this.reader.load<S, E>(stream, evolve, initial)).state;
  }

  async handle<Id, C, S, E extends DomainEvent, D>(
    decider: Decider<Id, C, S, E, D>,
    id: Id,
    command: C,
    meta: CommandMeta,
    options?: HandleOptions<D>,
  ): Promise<{ appended: number; state: S }> {
    const Write = writeOf(decider);
    const outcome = await this.bus.execute(new Write(id, command, meta, options));
    return { appended: outcome.events.length, state: outcome.state };
  }

  async holding(
    ref: HoldingRef,
    _certification: Certification,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<{ appended: number; state: HoldingState }> {
    // The row's profile was checked on the applier's own state (R39), as a dry run checks it.
    const outcome = await this.bus.execute(new HoldingWrite(ref, command, meta, { activeProfile: false }));
    return { appended: outcome.events.length, state: outcome.state };
  }
}

/**
 * The dry run's applier: the same deciders on the same states, the streams this run changed kept in memory (so later
 * rows see earlier ones, as in the real run) and nothing written (#14.2).
 */
class DryApplier implements Applier {
  private readonly states = new Map<string, unknown>();

  constructor(
    private readonly reader: StreamReader,
    private readonly clock: Clock,
    private readonly policies: PolicyRegistry,
  ) {}

  async state<S, E extends DomainEvent>(stream: string, evolve: (state: S, event: E) => S, initial: S): Promise<S> {
    if (this.states.has(stream)) return this.states.get(stream) as S;
    return (await this.reader.load<S, E>(stream, evolve, initial)).state;
  }

  holding(
    ref: HoldingRef,
    certification: Certification,
    command: HoldingCommand,
    meta: CommandMeta,
  ): Promise<{ appended: number; state: HoldingState }> {
    return this.handle(holdingDecider, ref, command, meta, holdingDeps(certification, this.policies));
  }

  async handle<Id, C, S, E extends DomainEvent, D>(
    decider: Decider<Id, C, S, E, D>,
    id: Id,
    command: C,
    _meta: CommandMeta,
    options?: HandleOptions<D>,
  ): Promise<{ appended: number; state: S }> {
    const stream = decider.streamOf(id);
    const evolve = decider.evolve.bind(decider);
    const state = await this.state<S, E>(stream, evolve, decider.initialState);
    const deps = (options?.deps?.() ?? {}) as D;
    const events = decider.decide(command, state, { ...deps, now: this.clock.now() });
    const next = events.reduce(evolve, state);
    if (events.length > 0) this.states.set(stream, next);
    return { appended: events.length, state: next };
  }
}

/**
 * Seals holders' names in batches: the requests of one event-loop turn share one transaction of the key vault (one
 * fsync), as the store's appends of one turn share one; a key a holder at a time was the import's bottleneck.
 */
class SealBatcher {
  private pending: { subject: string; data: PersonalData; resolve: (sealed: SealedData) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly vault: PersonalDataVault) {}

  seal(subject: string, data: PersonalData): Promise<SealedData> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ subject, data, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const sealed = await this.vault.sealMany(batch);
      batch.forEach((item, index) => item.resolve(sealed[index] as SealedData));
    } catch (error) {
      batch.forEach((item) => item.reject(error));
    }
  }
}

/** Stands in for the sealed name and e-mail in a dry run: the deciders never read it, and no key is made. */
const NOT_SEALED: SealedData = { keyId: 'dry-run', iv: '', tag: '', ciphertext: '' };

/**
 * The bulk import (#14.3): reads NDJSON or CSV as a stream, validates each row (line numbers), and decides each by the
 * deciders (R39-R41) through the one write path, or in memory for a dry run (#14.2). Rows of one holder are decided in
 * file order, different holders side by side; the report takes rows in file order, so it is the same dry or real,
 * sequential or not, crashed and resumed or not (R42).
 */
@Injectable()
export class Importer {
  constructor(
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
    private readonly policies: PolicyRegistry,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
  ) {}

  async run(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>, options: ImportOptions): Promise<ImportReport> {
    const sampleSize = options.sampleSize ?? 20;
    const checkpoint = options.dryRun ? undefined : options.checkpoint;
    const saved = checkpoint?.load();
    const run = saved?.run ?? randomUUID();
    const report = saved?.report ?? emptyReport(options.system, options.format, options.dryRun, sampleSize);
    const resumeAfter = saved?.line ?? 0;
    if (saved) options.onResume?.({ run, line: resumeAfter });
    const applier: Applier = options.dryRun
      ? new DryApplier(this.reader, this.clock, this.policies)
      : new StoreApplier(this.bus, this.reader);
    const sealer = new SealBatcher(this.vault);
    const concurrency = Math.max(1, options.concurrency ?? 256);
    const every = Math.max(1, options.checkpointEvery ?? 1000);

    // Rows in file order, each with its result once decided: counted only from the head, so in file order.
    const queue: { line: number; result?: RowResult }[] = [];
    let head = 0;
    let doneLine = resumeAfter;
    let sinceSave = 0;
    const lanes = new Map<string, Promise<void>>();
    let failure: Error | undefined;
    // A simulated crash stops like a kill: nothing more is counted or saved after it.
    let crashed = false;
    let wake: (() => void) | undefined;

    const drain = (): void => {
      while (!crashed && head < queue.length && queue[head]?.result) {
        const entry = queue[head] as { line: number; result: RowResult };
        record(report, entry.result.outcome, entry.result.row);
        doneLine = entry.line;
        head += 1;
        sinceSave += 1;
        if (checkpoint && sinceSave >= every) {
          checkpoint.save({ run, line: doneLine, report });
          sinceSave = 0;
        }
        options.onProgress?.({ rows: report.rows, line: doneLine });
        if (options.crashAfterLine !== undefined && doneLine >= options.crashAfterLine && !failure) {
          failure = new Error(`simulated crash after line ${doneLine}`);
          crashed = true;
        }
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      wake?.();
    };

    // #22.5: a dry run's reads resolve at once; without turns an 8 MiB file held the event loop for seconds.
    const turns = new EventLoopTurns();
    for await (const raw of recordsOf(options.format, chunks)) {
      if (failure) break;
      await turns.turn();
      if (raw.line <= resumeAfter) continue;
      const entry: { line: number; result?: RowResult } = { line: raw.line };
      queue.push(entry);
      const row = validateRecord(raw);
      if ('code' in row) {
        entry.result = { outcome: 'invalid', row };
        drain();
        continue;
      }
      const valid: ImportRow = row;
      const lane = importedProfileId(options.system, valid.kind === 'holder' ? valid.sourceId : valid.holder);
      const previous = lanes.get(lane) ?? Promise.resolve();
      const task = previous
        .then(() => this.decideRow(valid, lane, run, options.system, applier, sealer))
        .then(
          (result) => {
            entry.result = result;
          },
          (error: unknown) => {
            // Not a refusal (the store is down...): this row and the ones after it stay uncounted, to be decided again.
            failure ??= error instanceof Error ? error : new Error(String(error));
          },
        )
        .finally(() => {
          if (lanes.get(lane) === task) lanes.delete(lane);
          drain();
        });
      lanes.set(lane, task);
      // Bounded memory: at most `concurrency` rows read and not yet counted.
      while (queue.length - head >= concurrency && !failure) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await Promise.all([...lanes.values()]);
    drain();
    if (failure) {
      // What is counted is decided: the checkpoint keeps it, the rest is decided again on resume (idempotent, R39).
      if (!crashed) checkpoint?.save({ run, line: doneLine, report });
      throw failure;
    }
    checkpoint?.clear();
    return report;
  }

  private async decideRow(
    row: ImportRow,
    profileId: string,
    run: string,
    system: string,
    applier: Applier,
    sealer: SealBatcher,
  ): Promise<RowResult> {
    const base: ReportRow = { line: row.line, kind: row.kind, sourceId: row.sourceId, profileId };
    const source: ImportSource = { system, sourceId: row.sourceId, line: row.line, run };
    const meta: CommandMeta = {
      // R39: the command id is the source's, so every event id of the row is too: a re-run appends nothing twice.
      commandId: `import:${system}:${row.kind}:${row.sourceId}`,
      correlationId: `import:${run}`,
      causationId: `import:${system}:${row.sourceId}@${row.line}`,
      actor: `import:${system}`,
    };
    try {
      const outcome =
        row.kind === 'holder'
          ? await this.holder(row, profileId, source, meta, applier, sealer)
          : await this.holding(row, profileId, source, meta, applier);
      return { outcome, row: base };
    } catch (error) {
      if (error instanceof DomainError) return { outcome: 'refused', row: { ...base, code: error.code, detail: error.message } };
      throw error;
    }
  }

  /** Imported now, or by this very row of this run before a crash (so this run's), or else earlier. */
  private static outcomeOf(appended: number, importedFrom: ImportSource | undefined, source: ImportSource): ImportOutcome {
    return appended > 0 || (importedFrom?.run === source.run && importedFrom.line === source.line) ? 'imported' : 'already-imported';
  }

  private async holder(
    row: HolderRow,
    profileId: string,
    source: ImportSource,
    meta: CommandMeta,
    applier: Applier,
    sealer: SealBatcher,
  ): Promise<ImportOutcome> {
    const importProfile = (personalData: SealedData) =>
      ({
        type: 'ImportProfile',
        data: { profileId, accountId: row.accountId, accountType: row.accountType, personalData, importedFrom: source },
      }) as const;
    // Decided first on the state as it is (like create-profile): a refused or repeated row registers no account.
    const before = await applier.state<ProfileState, ProfileEvent>(profileStream(profileId), evolveProfile, initialProfileState);
    const planned = profileDecider.decide(importProfile(NOT_SEALED), before, { now: this.clock.now() });
    if (planned.length === 0) {
      const existing = before.status === 'active' ? before : before.status === 'closed' ? before.last : undefined;
      return Importer.outcomeOf(0, existing?.importedFrom, source);
    }
    await applier.handle(accountDecider, row.accountId, { type: 'RegisterProfile', data: { accountId: row.accountId, profileId } }, meta);
    const personalData =
      applier instanceof DryApplier ? NOT_SEALED : await sealer.seal(profileId, { displayName: row.displayName, email: row.email });
    const outcome = await applier.handle(profileDecider, profileId, importProfile(personalData), meta);
    const after = outcome.state.status === 'active' ? outcome.state : undefined;
    return Importer.outcomeOf(outcome.appended, after?.importedFrom, source);
  }

  private async holding(
    row: HoldingRow,
    profileId: string,
    source: ImportSource,
    meta: CommandMeta,
    applier: Applier,
  ): Promise<ImportOutcome> {
    const certification = certificationOf(this.catalog, row.certificationCode);
    const profile = await applier.state<ProfileState, ProfileEvent>(profileStream(profileId), evolveProfile, initialProfileState);
    const holder = assertActive(profile, profileId);
    // R39: a holding attaches only to the profile this system's holder row made, never to a live one of that id.
    if (holder.importedFrom?.system !== source.system || holder.importedFrom.sourceId !== row.holder) {
      throw new DomainError('PROFILE_EXISTS', `Profile ${profileId} exists, not imported from ${source.system} (R39)`);
    }
    // R10: a prerequisite held and active at earnedAt: imported earlier in the file (same lane) or already there.
    const prerequisites = new Map<string, HoldingState>();
    for (const code of certification.prerequisites) {
      prerequisites.set(
        code,
        await applier.state<HoldingState, HoldingEvent>(holdingStream(profileId, code), evolveHolding, initialHoldingState),
      );
    }
    const prerequisiteActive = prerequisiteMet(certification, row.earnedAt, (code) => prerequisites.get(code) ?? initialHoldingState);
    const outcome = await applier.holding(
      { profileId, certificationCode: certification.code },
      certification,
      {
        type: 'ImportCertification',
        data: {
          holdingId: holdingIdOf(profileId, certification.code),
          profileId,
          earnedAt: row.earnedAt,
          renewedAt: row.renewedAt,
          ...(row.expiresAt !== undefined ? { expiresAt: row.expiresAt } : {}),
          prerequisiteActive,
          // R19: drawn here, never by the decider; a dry run draws none (nothing is published).
          ...(applier instanceof DryApplier ? {} : { verificationId: newVerificationId() }),
          importedFrom: source,
        },
      },
      meta,
    );
    const state = outcome.state;
    return Importer.outcomeOf(outcome.appended, state.status === 'held' ? state.importedFrom : undefined, source);
  }
}
