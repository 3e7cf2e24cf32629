import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportReport } from '@recert/renewals';
import { waitFor } from '../support/processes';

// A child process per run, transpiled from source: generous, and no assertion on time.
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
// 11,960 rows: the last checkpoint (every 1,000) is far from the end, so the kill lands before the run ends.
const HOLDERS = 2990;

/** Four rows a holder: the holder, an associate renewed in its window, a fundamentals, an expert on the associate. */
function rows(): string {
  const lines: string[] = [];
  for (let holder = 0; holder < HOLDERS; holder += 1) {
    const earned = Date.parse('2024-03-01T00:00:00Z') + (holder % 100) * 86_400_000;
    const at = (days: number): string => new Date(earned + days * 86_400_000).toISOString();
    lines.push(
      JSON.stringify({
        kind: 'holder',
        sourceId: `h-${holder}`,
        accountId: `acc-${holder}`,
        displayName: `Holder ${holder}`,
        email: `h${holder}@example.com`,
      }),
      JSON.stringify({
        kind: 'holding',
        sourceId: `a-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-administrator-associate',
        earnedAt: at(0),
        renewedAt: [at(300)],
      }),
      JSON.stringify({
        kind: 'holding',
        sourceId: `f-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-fundamentals',
        earnedAt: at(0),
      }),
      JSON.stringify({
        kind: 'holding',
        sourceId: `e-${holder}`,
        holder: `h-${holder}`,
        certificationCode: 'azure-solutions-architect-expert',
        earnedAt: at(holder % 10 === 0 ? -1 : 30),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run import -- FILE ...` from the TypeScript sources, on the embedded store of `dataDir`. */
function importCli(
  dataDir: string,
  args: string[],
  onStart?: (kill: () => void) => void,
  env: Record<string, string | undefined> = { AUTH_JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-use' },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test', 'support', 'ts-register.cjs'), join(ROOT, 'scripts', 'import.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    onStart?.(() => child.kill('SIGKILL'));
  });
}

function eventCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'events.db'), { readonly: true });
  try {
    const rowsByType = db.prepare('SELECT type, COUNT(*) AS n FROM events GROUP BY type').all() as { type: string; n: number }[];
    return Object.fromEntries(rowsByType.map((row) => [row.type, row.n]));
  } finally {
    db.close();
  }
}

/** #14.3 through the CLI: a real process, SIGKILLed mid-file, resumed (R42); then nothing twice (R39). */
describe('npm run import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-import-cli-'));
  const file = join(dir, 'rows.ndjson');
  const dataDir = join(dir, 'data');
  beforeAll(() => writeFileSync(file, rows()));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('R42/#14.2: dry run writes nothing; a run killed mid-file resumes to the dry run report; a re-run imports nothing (R39)', async () => {
    const dry = await importCli(dataDir, [file, '--dry-run', '--system', 'kill']);
    expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('dry run:') });
    const dryReport = JSON.parse(dry.stdout) as ImportReport;
    expect(dryReport.counts).toEqual({ imported: 4 * HOLDERS - HOLDERS / 10, 'already-imported': 0, refused: HOLDERS / 10, invalid: 0 });
    expect(existsSync(join(dataDir, 'events.db')) ? eventCounts(dataDir) : {}).toEqual({});

    // SIGKILL once a checkpoint is on disk: some rows counted, the rest (and those after it) not.
    const checkpoints = join(dataDir, 'imports');
    const killed = await importCli(dataDir, [file, '--system', 'kill'], (kill) => {
      void waitFor(
        'a checkpoint',
        async () => existsSync(checkpoints) && readdirSync(checkpoints).some((name) => name.endsWith('.checkpoint.json')),
        240_000,
        20,
      )
        .then(kill)
        .catch(() => undefined);
    });
    expect(killed.code).toBeNull();

    const resumed = await importCli(dataDir, [file, '--system', 'kill']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run .* after line \d+/);
    const { dryRun: _dry, ...expected } = dryReport;
    const { dryRun: real, ...report } = JSON.parse(resumed.stdout) as ImportReport;
    expect(real).toBe(false);
    expect(report).toEqual(expected);
    expect(readdirSync(checkpoints).filter((name) => name.endsWith('.checkpoint.json'))).toEqual([]);

    const again = await importCli(dataDir, [file, '--system', 'kill']);
    expect((JSON.parse(again.stdout) as ImportReport).counts).toEqual({
      imported: 0,
      'already-imported': 4 * HOLDERS - HOLDERS / 10,
      refused: HOLDERS / 10,
      invalid: 0,
    });
    // Nothing twice: one profile, one account entry a holder, one import a holding accepted.
    expect(eventCounts(dataDir)).toEqual({
      AccountProfileRegistered: HOLDERS,
      CertificationProfileCreated: HOLDERS,
      CertificationImported: 3 * HOLDERS - HOLDERS / 10,
    });
  });
});

/** #22.8: standard output is the report alone, whatever is logged; logs go to standard error in LOG_FORMAT. */
describe('npm run import: standard output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recert-import-out-'));
  const file = join(dir, 'bom.ndjson');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('R42 (#22.8): a BOM file gives the HTTP report; stdout parses as JSON with the start-up warning logged as JSON lines on stderr (LOG_FORMAT=json), or pretty there', async () => {
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'imports', 'sample.ndjson'));
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]));
    // No AUTH_JWT_SECRET: the configuration warns at start, the line that used to open standard output.
    const unset = { AUTH_JWT_SECRET: undefined, NODE_ENV: 'development' };
    const json = await importCli(join(dir, 'data'), [file, '--dry-run'], undefined, { ...unset, LOG_FORMAT: 'json' });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ImportReport;
    // The fixture's report, as bulk-import.e2e.spec.ts has it over HTTP (a BOM changes nothing).
    expect(report.counts).toEqual({ imported: 5, 'already-imported': 0, refused: 5, invalid: 3 });
    const logLines = json.stderr.split('\n').filter((line) => line.startsWith('{'));
    const warning = logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string; context?: string })
      .find((l) => l.context === 'Config');
    expect(warning).toMatchObject({ level: 40, msg: expect.stringContaining('AUTH_JWT_SECRET') });
    expect(json.stderr.includes('\u001b[')).toBe(false);

    const pretty = await importCli(join(dir, 'data'), [file, '--dry-run'], undefined, { ...unset, LOG_FORMAT: 'pretty' });
    expect(pretty.code).toBe(0);
    expect(JSON.parse(pretty.stdout)).toEqual(report);
    expect(pretty.stderr).toMatch(/WARN \[Config\] .*AUTH_JWT_SECRET/);
  });
});
