import { importJWK, JWK, jwtVerify, decodeProtectedHeader } from 'jose';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { IssuerKeys } from '@recert/projections';
import { asText, eventually, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const BASE = 'https://certs.example.org';

type DidDocument = { id: string; verificationMethod: { id: string; controller: string; publicKeyJwk: JWK }[] };
type Entry = { type: string; statusPurpose: string; statusListIndex: string; statusListCredential: string; statusSize: number };

/**
 * #13.3 checked by an independent path: jose's jwtVerify with the key resolved from the served did.json (not recert's
 * own code), and the status list's bitstring decoded here (multibase base64url, gzip).
 */
describe('signed Open Badges credentials, verified independently', () => {
  let h: Harness;
  let keyDir: string;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;
  const credentialOf = async (profileId: string, roles: Parameters<Harness['token']>[0] = ['candidate']): Promise<string> => {
    const res = await eventually(
      () =>
        h.http
          .get(`/certification-profiles/${profileId}/certifications/${AA}/credential`)
          .set('Authorization', bearer(roles, profileId))
          .buffer(true)
          .parse(asText),
      (r) => r.status === 200,
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
    return res.body as string;
  };

  /** did:web resolution as a verifier does it: the DID document from /.well-known/did.json, the key by the header's kid. */
  const verifyIndependently = async (jwt: string) => {
    const did = (await h.http.get('/.well-known/did.json')).body as DidDocument;
    const { kid, alg, typ } = decodeProtectedHeader(jwt);
    expect({ alg, typ }).toEqual({ alg: 'ES256', typ: 'JWT' });
    const method = did.verificationMethod.find((m) => m.id === kid);
    if (!method) throw new Error(`kid ${String(kid)} is not in the DID document`);
    return jwtVerify(jwt, await importJWK(method.publicKeyJwk, 'ES256'), { issuer: did.id, currentDate: h.clock.now() });
  };

  /** The entry's two-bit value (R71): 0 valid, 1 revoked, 2 suspended. */
  const statusOf = async (entry: Entry): Promise<number> => {
    const url = new URL(entry.statusListCredential);
    const res = await h.http.get(url.pathname);
    expect(res.status).toBe(200);
    const { payload } = await verifyIndependently(res.text);
    const subject = payload['credentialSubject'] as { type: string; statusPurpose: string; encodedList: string };
    expect(subject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: entry.statusPurpose });
    expect(subject.encodedList.startsWith('u')).toBe(true);
    const bits = gunzipSync(Buffer.from(subject.encodedList.slice(1), 'base64url'));
    expect(bits.length).toBe((131_072 * entry.statusSize) / 8);
    const bit = Number(entry.statusListIndex) * entry.statusSize;
    return ((bits[bit >> 3] as number) >> (6 - (bit & 7))) & 0b11;
  };

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'recert-keys-'));
    writeFileSync(join(keyDir, 'keys.json'), JSON.stringify({ keys: [IssuerKeys.generate('k1', new Date('2025-01-01T00:00:00Z'))] }));
    h = await startApp({
      // Our own folder, kept across the restart of the rotation test.
      dataDir: join(keyDir, 'data'),
      clockStart: '2026-01-01T00:00:00Z',
      env: { PUBLIC_BASE_URL: BASE, ISSUER_NAME: 'Example Certification Board', ISSUER_KEY_FILE: join(keyDir, 'keys.json') },
    });
    for (const id of ['cr-1', 'cr-2']) await seedProfile(h, id, { linked: true, displayName: `Holder ${id}`, earn: [{ code: AA }] });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('#13.3: did.json is a did:web document with the public key as a JWK, and no private part', async () => {
    const res = await h.http.get('/.well-known/did.json');
    expect(res.status).toBe(200);
    const did = res.body as DidDocument;
    expect(did.id).toBe('did:web:certs.example.org');
    expect(did.verificationMethod).toEqual([
      {
        id: 'did:web:certs.example.org#k1',
        type: 'JsonWebKey2020',
        controller: did.id,
        publicKeyJwk: expect.objectContaining({ kty: 'EC', crv: 'P-256' }),
      },
    ]);
    expect(res.text).not.toMatch(/"d"\s*:/);
  });

  it('#13.3: a valid OpenBadgeCredential verifies with jose against did.json: contexts, types, issuer, validity, status entries', async () => {
    const { payload } = await verifyIndependently(await credentialOf('cr-1'));
    expect(payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      issuer: { id: 'did:web:certs.example.org', type: ['Profile'], name: 'Example Certification Board' },
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
      credentialSubject: {
        type: ['AchievementSubject'],
        achievement: {
          type: ['Achievement'],
          achievementType: 'Certification',
          name: 'Microsoft Certified: Azure Administrator Associate',
        },
      },
    });
    const entry = payload['credentialStatus'] as Entry;
    expect([entry.type, entry.statusPurpose, entry.statusSize]).toEqual(['BitstringStatusListEntry', 'message', 2]);
    expect(JSON.stringify(payload)).not.toContain('cr-1');
  });

  it('#13.3: a tampered credential fails verification', async () => {
    const jwt = await credentialOf('cr-1');
    const [header, body, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { validUntil: string };
    claims.validUntil = '2099-01-01T00:00:00.000Z';
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(verifyIndependently(tampered)).rejects.toThrow(/signature/i);
  });

  it('#13.3/R15/R16/R17: the status lists show a suspension, its reinstatement, and a revocation', async () => {
    const { payload } = await verifyIndependently(await credentialOf('cr-2'));
    const entry = payload['credentialStatus'] as Entry;
    expect(await statusOf(entry)).toBe(0);
    const standing = (kind: string) =>
      h.http
        .post(`/certification-profiles/cr-2/certifications/${AA}/${kind}`)
        .set('Authorization', bearer(['admin']))
        .send({ reason: 'status list check' })
        .expect(200);
    await standing('suspension');
    expect(
      await eventually(
        () => statusOf(entry),
        (value) => value === 2,
      ),
    ).toBe(2);
    await standing('reinstatement');
    expect(
      await eventually(
        () => statusOf(entry),
        (value) => value === 0,
      ),
    ).toBe(0);
    await standing('revocation');
    expect(
      await eventually(
        () => statusOf(entry),
        (value) => value === 1,
      ),
    ).toBe(1);
    // No fresh credential for a revoked cycle.
    expectProblem(
      await h.http.get(`/certification-profiles/cr-2/certifications/${AA}/credential`).set('Authorization', bearer(['support'])),
      409,
      'HOLDING_REVOKED',
    );
  });

  it("#13.3: no other holder's credential (403), no credential for what is not held (404), unknown lists 404", async () => {
    const other = await h.http
      .get(`/certification-profiles/cr-2/certifications/${AA}/credential`)
      .set('Authorization', bearer(['candidate'], 'cr-1'));
    expect(other.status).toBe(403);
    expect(other.text).not.toContain('eyJ');
    expectProblem(
      await h.http
        .get('/certification-profiles/cr-1/certifications/azure-developer-associate/credential')
        .set('Authorization', bearer(['support'])),
      404,
      'HOLDING_NOT_FOUND',
    );
    expect((await h.http.get(`/certification-profiles/cr-1/certifications/${AA}/credential`)).status).toBe(401);
    expect((await h.http.get('/credentials/status/expired-0')).status).toBe(404);
    expect((await h.http.get('/credentials/status/revocation-99999999999')).status).toBe(404);
  });

  it('#13.3: key rotation: the newest key signs, and a credential signed with the old key still verifies', async () => {
    const before = await credentialOf('cr-1');
    await h.close();
    writeFileSync(
      join(keyDir, 'keys.json'),
      JSON.stringify({
        keys: [
          ...(JSON.parse(readFileSync(join(keyDir, 'keys.json'), 'utf8')) as { keys: unknown[] }).keys,
          IssuerKeys.generate('k2', new Date('2026-01-01T00:00:00Z')),
        ],
      }),
    );
    h = await startApp({
      dataDir: h.dataDir,
      clockStart: '2026-01-02T00:00:00Z',
      env: { PUBLIC_BASE_URL: BASE, ISSUER_KEY_FILE: join(keyDir, 'keys.json') },
    });
    const did = (await h.http.get('/.well-known/did.json')).body as DidDocument;
    expect(did.verificationMethod.map((m) => m.id)).toEqual(['did:web:certs.example.org#k1', 'did:web:certs.example.org#k2']);
    const after = await credentialOf('cr-1');
    expect(decodeProtectedHeader(after).kid).toBe('did:web:certs.example.org#k2');
    await expect(verifyIndependently(after)).resolves.toBeDefined();
    await expect(verifyIndependently(before)).resolves.toBeDefined();
  });
});
