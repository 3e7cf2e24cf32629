import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { gunzipSync } from 'node:zlib';
import { credentialJwt } from '../support/credentials';
import { eventually, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: nothing here waits on time, only on conditions.
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const HOLDERS = ['sl-1', 'sl-2', 'sl-3', 'sl-4', 'sl-5', 'sl-6'];

type Entry = { statusPurpose: string; statusListIndex: string; statusListCredential: string; statusSize?: number };

/**
 * Rows read from the verifications read model, counted on better-sqlite3's statements themselves (every read of the
 * service goes through them), so the count does not depend on how the service is written.
 */
const rowsRead = { count: 0 };
const statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
const counted = (this_: { source: string }): boolean => /rm_verifications/.test(this_.source);
for (const method of ['all', 'get', 'iterate'] as const) {
  const original = statement[method] as (...args: unknown[]) => unknown;
  jest.spyOn(statement, method).mockImplementation(function (this: { source: string }, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (!counted(this)) return result;
    if (method === 'all') rowsRead.count += (result as unknown[]).length;
    else if (method === 'get') rowsRead.count += result === undefined ? 0 : 1;
    else
      return (function* () {
        for (const row of result as Iterable<unknown>) {
          rowsRead.count += 1;
          yield row;
        }
      })();
    return result;
  });
}

describe('#22.4 public status lists cost O(1) per request after the first', () => {
  let h: Harness;
  const admin = (): string => `Bearer ${h.token(['admin'])}`;

  const entryOf = async (profileId: string): Promise<Entry[]> => {
    const status = decodeJwt(await credentialJwt(h, profileId, AA))['credentialStatus'] as Entry | Entry[];
    return Array.isArray(status) ? status : [status];
  };

  /** The value of an entry in its list, decoded as the W3C text says (multibase 'u', base64url, gzip, big-endian bits). */
  const valueOf = async (entry: Entry): Promise<number> => {
    const url = new URL(entry.statusListCredential);
    const res = await h.http.get(url.pathname);
    expect(res.status).toBe(200);
    const subject = decodeJwt(res.text)['credentialSubject'] as { encodedList: string };
    const bits = gunzipSync(Buffer.from(subject.encodedList.slice(1), 'base64url'));
    const size = entry.statusSize ?? 1;
    let value = 0;
    for (let i = 0; i < size; i += 1) {
      const bit = Number(entry.statusListIndex) * size + i;
      value = (value << 1) | (((bits[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    }
    return value;
  };
  const list = (entry: Entry) => h.http.get(new URL(entry.statusListCredential).pathname).expect(200);

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-03-01T00:00:00Z', env: { PUBLIC_BASE_URL: 'https://certs.example.org' } });
    for (const id of HOLDERS) await seedProfile(h, id, { earn: [{ code: AA }] });
    for (const id of HOLDERS) await entryOf(id); // each credential is served: the read model has every holder
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('#22.4/R21: the first request reads the list once; the next ones read no row; a change reads only the changed rows', async () => {
    const [entry] = await entryOf('sl-1');
    if (!entry) throw new Error('no status entry');
    rowsRead.count = 0;
    await list(entry);
    expect(rowsRead.count).toBeGreaterThanOrEqual(HOLDERS.length);

    rowsRead.count = 0;
    for (let i = 0; i < 5; i += 1) await list(entry);
    expect(rowsRead.count).toBe(0);

    // A suspension: its row alone is read again, not the list.
    const until = '2026-03-10T00:00:00.000Z';
    await h.http
      .post(`/certification-profiles/sl-1/certifications/${AA}/suspension`)
      .set('Authorization', admin())
      .send({ reason: 'status list cache', until })
      .expect(200);
    rowsRead.count = 0;
    const suspended = await eventually(
      () => valueOf(entry),
      (value) => value !== 0,
    );
    expect(suspended).toBe(2);
    expect(rowsRead.count).toBeGreaterThan(0);
    expect(rowsRead.count).toBeLessThan(HOLDERS.length);
  });

  it('#22.4/R17: a suspension that ends by the clock alone leaves the list at its `until`, with no row read', async () => {
    const [entry] = await entryOf('sl-1');
    if (!entry) throw new Error('no status entry');
    expect(await valueOf(entry)).toBe(2);
    h.clock.set(new Date('2026-03-09T23:59:59.000Z'));
    rowsRead.count = 0;
    expect(await valueOf(entry)).toBe(2);
    h.clock.set(new Date('2026-03-10T00:00:00.000Z'));
    expect(await valueOf(entry)).toBe(0);
    expect(rowsRead.count).toBe(0);
  });

  it('#22.4/R15: a revocation shows at once, on the right entry only', async () => {
    const [entry] = await entryOf('sl-2');
    const [other] = await entryOf('sl-3');
    if (!entry || !other) throw new Error('no status entry');
    await h.http
      .post(`/certification-profiles/sl-2/certifications/${AA}/revocation`)
      .set('Authorization', admin())
      .send({ reason: 'status list cache' })
      .expect(200);
    expect(
      await eventually(
        () => valueOf(entry),
        (value) => value !== 0,
      ),
    ).toBe(1);
    expect(await valueOf(other)).toBe(0);
    rowsRead.count = 0;
    await list(entry);
    expect(rowsRead.count).toBe(0);
  });
});
