import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { verifyJWT } from 'did-jwt';
import { Resolver } from 'did-resolver';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getResolver } from 'web-did-resolver';
import { IssuerKeys } from '@recert/projections';
import { credentialJwt } from '../support/credentials';
import { asText, eventually, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: hooks and tests wait for conditions, never for moments.
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const AF = 'azure-fundamentals';
const HOST = 'certs.example.org';
const BASE = `https://${HOST}`;

/**
 * web-did-resolver turns did:web:certs.example.org into https://certs.example.org/.well-known/did.json and fetches it
 * with cross-fetch; it takes no fetch or URL option. Its fetch is replaced here by one that sends that host's requests
 * to the service under test on 127.0.0.1 (plain http) and refuses every other address, so the resolver's own URL
 * building, DID document checks and did-jwt's key selection all run unchanged, on loopback only.
 */
const mockLoopback = { port: 0 };
jest.mock('cross-fetch', () => ({
  __esModule: true,
  default: (url: string, init?: RequestInit): Promise<Response> => {
    const target = new URL(url);
    if (target.origin !== 'https://certs.example.org') return Promise.reject(new Error(`not a loopback target: ${url}`));
    return fetch(`http://127.0.0.1:${mockLoopback.port}${target.pathname}${target.search}`, init);
  },
}));

type StatusEntry = {
  id: string;
  type: string;
  statusPurpose: string;
  statusListIndex: string;
  statusListCredential: string;
  statusSize: number;
  statusMessage: { status: string; message: string }[];
};

const schema = JSON.parse(readFileSync(join(__dirname, '../fixtures/1edtech/achievementcredential.json'), 'utf8')) as object;
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
const validateAchievementCredential = ajv.compile(schema);

/**
 * #26 items 1 and 2 checked with software recert did not write: 1EdTech's own JSON schema (ajv), did-jwt through
 * web-did-resolver against the running service, and the W3C Bitstring Status List algorithm written out here.
 */
describe('Open Badges 3.0 credentials that third-party software accepts (R70-R73)', () => {
  let h: Harness;
  let dir: string;
  const resolver = new Resolver(getResolver());
  const positions = new Map<string, number>();

  const credentialOf = (profileId: string, code = AA): Promise<string> => credentialJwt(h, profileId, code);
  /** did-jwt as a verifier runs it: the issuer's DID resolved by web-did-resolver, an assertionMethod key, times at the clock. */
  const verify = (jwt: string) =>
    verifyJWT(jwt, { resolver, proofPurpose: 'assertionMethod', policies: { now: Math.floor(h.clock.now().getTime() / 1000) } });

  /** The W3C "validate" algorithm (3.2): verify the list, match the purpose, expand, check its length, read `statusSize` bits. */
  const statusOf = async (entry: StatusEntry): Promise<{ value: number; message: string | undefined }> => {
    const res = await h.http.get(new URL(entry.statusListCredential).pathname).buffer(true).parse(asText);
    expect(res.status).toBe(200);
    const { payload } = await verify(res.body as string);
    expect(payload['type']).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
    const subject = payload['credentialSubject'] as { statusPurpose: string; encodedList: string };
    expect(subject.statusPurpose).toBe(entry.statusPurpose);
    expect(subject.encodedList[0]).toBe('u'); // multibase base64url, no padding
    const bitstring = gunzipSync(Buffer.from(subject.encodedList.slice(1), 'base64url'));
    expect((bitstring.length * 8) / entry.statusSize).toBeGreaterThanOrEqual(131_072);
    const start = Number(entry.statusListIndex) * entry.statusSize;
    let value = 0;
    for (let bit = start; bit < start + entry.statusSize; bit += 1)
      value = (value << 1) | (((bitstring[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    return { value, message: entry.statusMessage.find((m) => Number(m.status) === value)?.message };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-ob3-'));
    // A fixed index key, so the indexes below are the same on every run (R72).
    writeFileSync(
      join(dir, 'keys.json'),
      JSON.stringify({
        keys: [
          IssuerKeys.generate('old-ed', new Date('2024-01-01T00:00:00Z'), 'Ed25519'),
          IssuerKeys.generate('p256', new Date('2025-01-01T00:00:00Z')),
        ],
        statusIndexKey: Buffer.alloc(32, 7).toString('base64url'),
      }),
    );
    h = await startApp({
      clockStart: '2026-05-04T03:02:01.789Z',
      env: { PUBLIC_BASE_URL: BASE, ISSUER_NAME: 'Example Certification Board', ISSUER_KEY_FILE: join(dir, 'keys.json') },
    });
    mockLoopback.port = ((h.app.getHttpServer() as Server).address() as AddressInfo).port;
    const exam = `Bearer ${h.token(['exam-system'])}`;
    for (const id of ['ob-1', 'ob-2', 'ob-3', 'ob-4', 'ob-5', 'ob-6']) {
      await seedProfile(h, id);
      const earned = await h.http
        .post(`/certification-profiles/${id}/certifications`)
        .set('Authorization', exam)
        .send({ certificationCode: AA });
      expect(earned.status).toBe(201);
      positions.set(id, (earned.body as { position: number }).position);
    }
    await h.http.post('/certification-profiles/ob-1/certifications').set('Authorization', exam).send({ certificationCode: AF }).expect(201);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("R70: 1EdTech's achievementcredential.json validates the credential (expiring and never-expiring)", async () => {
    for (const [id, code] of [
      ['ob-1', AA],
      ['ob-1', AF],
      ['ob-2', AA],
    ] as const) {
      const payload = decodeJwt(await credentialOf(id, code));
      const valid = validateAchievementCredential(payload);
      expect({ id, code, errors: valid ? null : validateAchievementCredential.errors }).toEqual({ id, code, errors: null });
    }
  });

  it('R70: the VC-JWT follows Open Badges 3.0: header alg ES256, typ JWT, kid and nothing else; iss, jti, sub, nbf, exp', async () => {
    const jwt = await credentialOf('ob-1');
    const header = decodeProtectedHeader(jwt);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: `did:web:${HOST}#p256` });
    const payload = decodeJwt(jwt) as Record<string, unknown> & {
      id: string;
      issuer: { id: string };
      validFrom: string;
      validUntil: string;
      credentialSubject: { id: string };
      credentialStatus: unknown;
    };
    expect(payload.iss).toBe(payload.issuer.id);
    expect(payload.jti).toBe(payload.id);
    expect(payload.sub).toBe(payload.credentialSubject.id);
    expect(payload.sub).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // NumericDates equal validFrom/validUntil exactly: both whole seconds (the earning was at .789).
    expect(new Date((payload.nbf as number) * 1000).toISOString()).toBe(payload.validFrom);
    expect(new Date((payload.exp as number) * 1000).toISOString()).toBe(payload.validUntil);
    expect(payload.validFrom).toBe('2026-05-04T03:02:01.000Z');
    expect(payload['awardedDate']).toBe('2026-05-04T03:02:01.789Z');
    expect(Array.isArray(payload.credentialStatus)).toBe(false);
    // No profile, account or e-mail in the subject id or anywhere else.
    expect(JSON.stringify(payload)).not.toMatch(/ob-1|acc-ob-1|example\.com/);
    const never = decodeJwt(await credentialOf('ob-1', AF));
    expect(never['exp']).toBeUndefined();
    expect(never['validUntil']).toBeUndefined();
  });

  it('R73: did-jwt verifies the credential with the key web-did-resolver found in did.json (JsonWebKey2020), and refuses a tampered one', async () => {
    const did = (await h.http.get('/.well-known/did.json').expect(200)).body as { verificationMethod: { type: string }[] };
    expect(did.verificationMethod.map((m) => m.type)).toEqual(['JsonWebKey2020', 'JsonWebKey2020']);
    const jwt = await credentialOf('ob-2');
    const verified = await verify(jwt);
    expect(verified.issuer).toBe(`did:web:${HOST}`);
    expect(verified.signer.id).toBe(`did:web:${HOST}#p256`);
    expect(verified.didResolutionResult.didDocument?.id).toBe(`did:web:${HOST}`);
    const [header, body, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, name: 'Something else' })).toString('base64url')}.${signature}`;
    await expect(verify(tampered)).rejects.toThrow(/signature/i);
  });

  it('R71: one message entry of two bits; a verifier reads valid, suspended, valid again, revoked', async () => {
    const entry = decodeJwt(await credentialOf('ob-3'))['credentialStatus'] as StatusEntry;
    expect(entry).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'message', statusSize: 2 });
    expect(entry.statusMessage.map((m) => m.message)).toEqual(['valid', 'revoked', 'suspended', 'undefined']);
    expect(await statusOf(entry)).toEqual({ value: 0, message: 'valid' });
    const standing = (kind: string) =>
      h.http
        .post(`/certification-profiles/ob-3/certifications/${AA}/${kind}`)
        .set('Authorization', `Bearer ${h.token(['admin'])}`)
        .send({ reason: 'status check' })
        .expect(200);
    /** After a standing change, the entry's value once it moved off `before`. */
    const after = async (kind: string, before: number) => {
      await standing(kind);
      return eventually(
        () => statusOf(entry),
        (s) => s.value !== before,
      );
    };
    expect(await after('suspension', 0)).toEqual({ value: 2, message: 'suspended' });
    expect(await after('reinstatement', 2)).toEqual({ value: 0, message: 'valid' });
    expect(await after('revocation', 0)).toEqual({ value: 1, message: 'revoked' });
    // Nobody else's entry moved.
    const other = decodeJwt(await credentialOf('ob-4'))['credentialStatus'] as StatusEntry;
    expect(await statusOf(other)).toEqual({ value: 0, message: 'valid' });
    // The lists of credentials issued before #26 are still served.
    expect((await h.http.get('/credentials/status/revocation-0')).status).toBe(200);
  });

  it('R72: status indexes are unique in their list, stable per credential, and neither the event positions nor their order', async () => {
    const ids = ['ob-1', 'ob-2', 'ob-4', 'ob-5', 'ob-6']; // ob-3 was revoked above: no fresh credential
    const entries = await Promise.all(ids.map(async (id) => decodeJwt(await credentialOf(id))['credentialStatus'] as StatusEntry));
    const indexes = entries.map((e) => Number(e.statusListIndex));
    expect(new Set(indexes).size).toBe(ids.length);
    expect(new Set(entries.map((e) => e.statusListCredential))).toEqual(new Set([`${BASE}/credentials/status/message-0`]));
    const earnedAt = ids.map((id) => positions.get(id) as number);
    expect(indexes.filter((index) => earnedAt.some((p) => Math.abs(p - index) <= 8))).toEqual([]);
    expect(indexes).not.toEqual([...indexes].sort((a, b) => a - b));
    const again = decodeJwt(await credentialOf('ob-5'))['credentialStatus'] as StatusEntry;
    expect(again.statusListIndex).toBe(entries[3]?.statusListIndex);
  });

  it("R70: the achievement's badge image is served, one per certification", async () => {
    const payload = decodeJwt(await credentialOf('ob-1')) as {
      credentialSubject: { achievement: { image: { id: string; type: string } } };
    };
    const image = payload.credentialSubject.achievement.image;
    expect(image).toMatchObject({ id: `${BASE}/achievements/${AA}/badge.svg`, type: 'Image' });
    const res = await h.http.get(new URL(image.id).pathname).buffer(true).parse(asText);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.body as string).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*Azure Administrator Associate[^]*AZ-104[^]*<\/svg>$/,
    );
    expectProblem(await h.http.get('/achievements/no-such-thing/badge.svg'), 404, 'UNKNOWN_CERTIFICATION');
  });
});
