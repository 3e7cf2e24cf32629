import { decodeJwt } from 'jose';
import { gunzipSync } from 'node:zlib';
import { Catalog, type Certification, type SealedData } from '@recert/domain';
import { ManualClock } from '@recert/kernel';
import type { PersonalDataVault } from '@recert/renewals';
import { CertificateService } from '../credentials/certificate.service';
import { CredentialsService } from '../credentials/credentials.service';
import type { IssuerSettings } from '../credentials/issuer';
import { IssuerKeys } from '../credentials/issuer-keys';
import { STATUS_LIST_SIZE, StatusIndexes, type StatusPurpose } from '../credentials/status-list';
import { StatusLists } from '../credentials/status-lists';
import type { HoldingsModel } from '../holdings/holdings.model';
import { HoldingRow, HoldingsProjection, ProfileRow, VerificationRow } from '../holdings/holdings.projection';
import type { HolderPreferences } from '../i18n/holder-preferences';
import type { ReadTx, ReadValue } from '../runtime/read-store';
import { onEachReadStore, type SpecReadStore } from '../runtime/testing/read-stores';
import { VerificationQueries } from './verification.queries';

const certification = (code: string, name: string, level: Certification['level']): Certification => ({
  code,
  exam: code,
  name,
  level,
  prerequisites: [],
  languages: ['en'],
  assessmentVersion: '1',
});
const CATALOG = new Catalog([
  certification('AZ-104', 'Azure Administrator Associate', 'associate'),
  certification('AZ-900', 'Azure Fundamentals', 'fundamentals'),
]);
const SETTINGS: IssuerSettings = { publicBaseUrl: 'https://recert.example', issuerName: 'Recert Spec' };
const NOW = new Date('2027-01-01T00:00:00.000Z');
/** A fixed index key: the `message` lists' permutation, and so their encodings, are the same on both adapters. */
const INDEX_KEY = Buffer.alloc(32, 7).toString('base64url');
const KEYS = new IssuerKeys([IssuerKeys.generate('k1', NOW)], INDEX_KEY);

/** Ids of 22 base64url characters, as the verification ids are. */
const id = (name: string): string => name.padEnd(22, '_');
/** The spec's vault opens a seal to the name in its ciphertext; a seal of `gone` is erased. */
const sealed = (name: string): string =>
  JSON.stringify({ keyId: name === 'gone' ? 'gone' : 'k', iv: '', tag: '', ciphertext: name } satisfies SealedData);
const vault = {
  opened: [] as string[],
  open(seal: SealedData): Promise<{ displayName: string } | null> {
    this.opened.push(seal.ciphertext);
    return Promise.resolve(seal.keyId === 'gone' ? null : { displayName: seal.ciphertext });
  },
};

function profile(profileId: string, name: string): ProfileRow {
  return {
    profile_id: profileId,
    account_id: `acct-${profileId}`,
    account_type: 'learner',
    personal_data: sealed(name),
    status: 'active',
    merged_into: null,
    linked_learn_profile_id: null,
    created_at: '2025-01-01T00:00:00.000Z',
    last_position: 1,
  };
}

function holding(profileId: string, code: string, fields: Partial<HoldingRow>): HoldingRow {
  return {
    holding_id: `${profileId}.${code}`,
    profile_id: profileId,
    code,
    level: CATALOG.get(code)?.level ?? 'associate',
    cycle: 1,
    earned_at: '2025-06-01T00:00:00.000Z',
    expires_at: '2028-06-01T00:00:00.000Z',
    window_opens_at: null,
    window_id: null,
    window_opened: 0,
    notified: 0,
    attempts: 0,
    last_attempt_at: null,
    expired: 0,
    merged_out: 0,
    revoked: 0,
    suspended_since: null,
    suspended_until: null,
    verification_id: null,
    verification_private: 0,
    cooldown_free_until: null,
    last_override: null,
    cycle_position: 1,
    last_position: 1,
    imported_from: null,
    ...fields,
  };
}

function verification(name: string, of: HoldingRow, fields: Partial<VerificationRow>): VerificationRow {
  return {
    verification_id: id(name),
    holding_id: of.holding_id,
    profile_id: of.profile_id,
    code: of.code,
    cycle: of.cycle,
    earned_at: of.earned_at,
    expires_at: of.expires_at,
    expired: of.expired,
    revoked: of.revoked,
    suspended_since: of.suspended_since,
    suspended_until: of.suspended_until,
    private: 0,
    retired: 0,
    status_position: 1,
    last_position: 1,
    ...fields,
  };
}

/**
 * The read model the queries read: p1 holds AZ-104 (public, active; an earlier id retired) and AZ-900 (made private
 * on the holding); p2 holds AZ-104 revoked and AZ-900 without a verification id; p3 (erased) holds AZ-104 suspended
 * until 2027-03-01; p4 holds AZ-104 merged out and AZ-900 expired, and a row private by itself.
 */
const h = {
  p1a: holding('p1', 'AZ-104', { verification_id: id('v1') }),
  p1b: holding('p1', 'AZ-900', { verification_id: id('v2'), verification_private: 1 }),
  p2a: holding('p2', 'AZ-104', { verification_id: id('v3'), revoked: 1 }),
  p2b: holding('p2', 'AZ-900', {}),
  p3a: holding('p3', 'AZ-104', {
    verification_id: id('v5'),
    suspended_since: '2026-12-01T00:00:00.000Z',
    suspended_until: '2027-03-01T00:00:00.000Z',
  }),
  p4a: holding('p4', 'AZ-104', { verification_id: id('v6'), merged_out: 1 }),
  p4b: holding('p4', 'AZ-900', { verification_id: id('v7'), expired: 1, expires_at: '2026-06-01T00:00:00.000Z' }),
};
const PROFILES = [profile('p1', 'Ada'), profile('p2', 'Bob'), profile('p3', 'gone'), profile('p4', 'Cy')];
const VERIFICATIONS = [
  verification('v1', h.p1a, { status_position: 5 }),
  verification('v2', h.p1b, { status_position: 7 }),
  verification('v3', h.p2a, { status_position: 9 }),
  verification('v4', h.p1a, { status_position: 4, retired: 1, cycle: 0 }),
  verification('v5', h.p3a, { status_position: 11 }),
  verification('v6', h.p4a, { status_position: 13 }),
  verification('v7', h.p4b, { status_position: 15 }),
  verification('v8', h.p4b, { status_position: STATUS_LIST_SIZE + 3, private: 1 }),
];

async function insert(tx: ReadTx, table: string, rows: readonly object[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    await tx.run(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      Object.values(row) as ReadValue[],
    );
  }
}

/** The bit values of a list's entries, read back from its encoding (multibase base64url of the gzipped bitstring). */
function entries(encoded: string, size: number, indexes: readonly number[]): number[] {
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  return indexes.map((index) => {
    let value = 0;
    for (let i = 0; i < size; i += 1) {
      const bit = index * size + i;
      value = (value << 1) | (((bits[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    }
    return value;
  });
}

/** Every answer of each adapter, to be the same on the other. */
const answers = new Map<string, Record<string, unknown>>();

onEachReadStore('R125/R126 verification, credentials and status lists on the read-store port', (adapter) => {
  const projection = new HoldingsProjection(undefined, 'q2spec');
  const model = {
    tables: () => ({
      profiles: projection.profiles,
      holdings: projection.holdings,
      verifications: projection.verifications,
      generation: projection.generation,
      projection: projection.name,
    }),
  } as unknown as HoldingsModel;
  const clock = new ManualClock(NOW);
  const seen: Record<string, unknown> = {};
  let spec: SpecReadStore;
  let token: number;
  let verifications: VerificationQueries;
  let credentials: CredentialsService;
  let statusLists: StatusLists;
  let certificates: CertificateService;

  /** A projector's unit of work: rows written and the checkpoint moved to `position`, as the holdings projection does. */
  const project = (position: number, work: (tx: ReadTx) => Promise<void>): Promise<void> =>
    spec.store.commit(projection.name, token, { position, version: projection.version, store: null }, work);

  beforeAll(async () => {
    spec = adapter();
    await spec.createTables((db) => projection.setup(db));
    const lease = await spec.store.acquire(projection.name, 'spec:1:q2', 600_000);
    if (!lease) throw new Error('the spec holds the lease');
    token = lease.token;
    await project(20, async (tx) => {
      await insert(tx, projection.profiles, PROFILES);
      await insert(tx, projection.holdings, Object.values(h));
      await insert(tx, projection.verifications, VERIFICATIONS);
    });
    const vaultPort = vault as unknown as PersonalDataVault;
    verifications = new VerificationQueries(spec.store, clock, CATALOG, vaultPort, SETTINGS, model);
    statusLists = new StatusLists(spec.store, clock, KEYS, model);
    credentials = new CredentialsService(spec.store, clock, CATALOG, SETTINGS, KEYS, model, statusLists);
    const preferences = { of: () => Promise.resolve({}) } as unknown as HolderPreferences;
    certificates = new CertificateService(clock, vaultPort, SETTINGS, credentials, preferences);
  }, 30_000);

  afterAll(() => answers.set(spec.store.kind, seen));

  it('R125 /verify: a public id answers with the holder and the status now; retired, private, unknown, malformed ids do not', async () => {
    const v1 = await verifications.verify(id('v1'));
    expect(v1).toEqual({
      verificationId: id('v1'),
      certification: { code: 'AZ-104', name: 'Azure Administrator Associate', level: 'associate' },
      holder: { displayName: 'Ada' },
      status: 'active',
      earnedAt: '2025-06-01T00:00:00.000Z',
      expiresAt: '2028-06-01T00:00:00.000Z',
      issuer: { id: 'did:web:recert.example', type: ['Profile'], name: 'Recert Spec', url: 'https://recert.example' },
      asOf: NOW.toISOString(),
    });
    const statuses = await Promise.all(['v3', 'v5', 'v7'].map(async (name) => (await verifications.verify(id(name)))?.status));
    expect(statuses).toEqual(['revoked', 'suspended', 'expired']);
    // An erased holder is named by nobody (R19).
    expect((await verifications.verify(id('v5')))?.holder).toEqual({ displayName: null });
    for (const hidden of ['v2', 'v4', 'v8', 'nobody']) expect(await verifications.verify(id(hidden))).toBeUndefined();
    expect(await verifications.verify('short')).toBeUndefined();
    // Numbers as numbers on both adapters: the row goes back into the decider's state as it is.
    const row = await verifications.row(id('v1'));
    expect(row).toMatchObject({
      cycle: 1,
      expired: 0,
      revoked: 0,
      private: 0,
      retired: 0,
      status_position: 5,
      personal_data: sealed('Ada'),
    });
    seen['verify'] = { v1, statuses, row };
  });

  it('R125 the current cycle to vouch for: one statement, refused as before (unknown, missing, revoked, expired), privacy of the holding counts', async () => {
    const cycle = await credentials.currentCycle('p1', 'AZ-104');
    expect(cycle).toMatchObject({ status: 'active', verificationPrivate: false, personalData: sealed('Ada') });
    expect(cycle.row).toEqual(VERIFICATIONS[0]);
    expect((await credentials.currentCycle('p1', 'AZ-900')).verificationPrivate).toBe(true);
    expect((await credentials.currentCycle('p3', 'AZ-104')).status).toBe('suspended');
    const refusals: Record<string, string> = {};
    for (const [profileId, code] of [
      ['p9', 'AZ-104'],
      ['p1', 'XX-000'],
      ['p2', 'AZ-104'],
      ['p2', 'AZ-900'],
      ['p4', 'AZ-104'],
      ['p4', 'AZ-900'],
      ['p3', 'AZ-900'],
    ] as const) {
      refusals[`${profileId}/${code}`] = await credentials.currentCycle(profileId, code).then(
        () => 'issued',
        (error: { code?: string }) => error.code ?? 'unknown',
      );
    }
    expect(refusals).toEqual({
      'p9/AZ-104': 'PROFILE_NOT_FOUND',
      'p1/XX-000': 'UNKNOWN_CERTIFICATION',
      'p2/AZ-104': 'HOLDING_REVOKED',
      'p2/AZ-900': 'HOLDING_NOT_FOUND',
      'p4/AZ-104': 'HOLDING_NOT_FOUND',
      'p4/AZ-900': 'CERTIFICATION_EXPIRED',
      'p3/AZ-900': 'HOLDING_NOT_FOUND',
    });
    seen['cycles'] = { cycle, refusals };
  });

  it('R125 the credential and the PDF certificate are made from that one read', async () => {
    const claims = decodeJwt(await credentials.credential('p1', 'AZ-104'));
    const entry = statusLists.indexes.entryOf(5);
    expect(claims).toMatchObject({
      jti: `https://recert.example/verify/${id('v1')}#cycle-1`,
      credentialStatus: {
        statusListIndex: String(entry.index),
        statusListCredential: `https://recert.example/credentials/status/message-${entry.list}`,
      },
    });
    vault.opened.length = 0;
    const pdf = await certificates.certificate('p1', 'AZ-104', 'en');
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(vault.opened).toEqual(['Ada']);
    await expect(certificates.certificate('p1', 'AZ-900')).rejects.toMatchObject({ code: 'VERIFICATION_PRIVATE' });
  }, 30_000);

  it('R126 status lists: revoked and suspended entries set, kept while nothing changes, rows changed since the checkpoint applied, R17 until ends a suspension', async () => {
    const indexes = new StatusIndexes(KEYS.statusIndexKey);
    const message = (position: number): number => indexes.entryOf(position).index;
    const read = async (purpose: StatusPurpose, list = 0): Promise<string> => (await statusLists.encoded(purpose, list)).value;
    const positions = [5, 7, 9, 11, 13, 15];
    const before = {
      revocation: entries(await read('revocation'), 1, positions),
      suspension: entries(await read('suspension'), 1, positions),
      message: entries(await read('message'), 2, positions.map(message)),
    };
    expect(before).toEqual({
      revocation: [0, 0, 1, 0, 0, 0],
      suspension: [0, 0, 0, 1, 0, 0],
      message: [0, 0, 1, 2, 0, 0],
    });
    // Nothing changed: the very encoding (and what was signed from it) is kept; concurrent requests agree.
    const kept = await statusLists.encoded('message', 0);
    const concurrent = await Promise.all([0, 1, 2].map(() => statusLists.encoded('message', 0)));
    for (const encoded of concurrent) expect(encoded).toBe(kept);
    // The private row of list 1 is an entry all the same (privacy hides the page, not the status).
    expect(entries(await read('message', 1), 2, [message(STATUS_LIST_SIZE + 3)])).toEqual([0]);
    const signed = decodeJwt(await credentials.statusList('message', 0));
    expect(signed).toMatchObject({ credentialSubject: { encodedList: kept.value, statusPurpose: 'message' } });

    // v1 revoked after the checkpoint the lists were brought to: only the rows changed since are read.
    await project(30, (tx) =>
      tx.run(`UPDATE ${projection.verifications} SET revoked = 1, last_position = 30 WHERE verification_id = ?`, [id('v1')]),
    );
    const revoked = await statusLists.encoded('message', 0);
    expect(revoked).not.toBe(kept);
    expect(entries(revoked.value, 2, [message(5)])).toEqual([1]);
    expect(entries(await read('revocation'), 1, [5])).toEqual([1]);

    // R17: past its until, p3's suspension ends by itself, without an event.
    clock.set(new Date('2027-03-01T00:00:00.000Z'));
    const after = {
      suspension: entries(await read('suspension'), 1, positions),
      message: entries(await read('message'), 2, positions.map(message)),
    };
    expect(after).toEqual({ suspension: [0, 0, 0, 0, 0, 0], message: [1, 0, 1, 0, 0, 0] });
    seen['lists'] = { before, after, kept: kept.value, revoked: revoked.value, from: revoked.from, until: revoked.until };
  });

  it('R125/R126 the answers equal the other adapter’s', () => {
    const first = answers.values().next().value;
    if (first) expect(seen).toEqual(first);
  });
});
