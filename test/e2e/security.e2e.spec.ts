import { LoggerService } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import request from 'supertest';
import {
  asBytes,
  asText,
  eventually,
  expectNothingStored,
  expectProblem,
  Harness,
  startApp,
  TEST_SECRET,
  seedProfile,
} from '../support/harness';
import { signDevelopmentToken } from '@recert/kernel';
import { signExactly } from '../support/tokens';

const AF = 'azure-fundamentals';
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private capture(...parts: unknown[]): void {
    this.lines.push(
      parts
        .map((part) =>
          part instanceof Error ? `${part.message} ${part.stack ?? ''}` : typeof part === 'string' ? part : JSON.stringify(part),
        )
        .join(' '),
    );
  }
  log(...parts: unknown[]): void {
    this.capture(...parts);
  }
  error(...parts: unknown[]): void {
    this.capture(...parts);
  }
  warn(...parts: unknown[]): void {
    this.capture(...parts);
  }
  debug(...parts: unknown[]): void {
    this.capture(...parts);
  }
  verbose(...parts: unknown[]): void {
    this.capture(...parts);
  }
}

describe('security', () => {
  let h: Harness;
  const logger = new CapturingLogger();
  const usedTokens: string[] = [];
  const token = (roles: Parameters<Harness['token']>[0], claims?: { sub?: string; profileId?: string }): string => {
    const t = h.token(roles, claims);
    usedTokens.push(t);
    return t;
  };

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z', logger });
    for (const profileId of ['sec-a', 'sec-b']) await seedProfile(h, profileId, { earn: [{ code: 'azure-fundamentals' }] });
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  describe('tokens', () => {
    const claims = { sub: 'mallory', roles: ['admin'] };
    const hour = (): number => Math.floor(Date.now() / 1000) + 3600;
    const attempts: [string, () => string | Promise<string>][] = [
      ['an expired exp', () => signExactly({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, TEST_SECRET)],
      ['a not-yet-valid nbf', () => signExactly({ ...claims, exp: hour(), nbf: hour() }, TEST_SECRET)],
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
      [
        'RS256 in the header, signed with the HS secret',
        () => {
          const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
          return `${head}.${createHmac('sha256', TEST_SECRET).update(head).digest('base64url')}`;
        },
      ],
      [
        'claims tampered after signing',
        () => {
          const [header, , signature] = signDevelopmentToken(
            { sub: 'mallory', roles: ['candidate'], profileId: 'sec-a' },
            TEST_SECRET,
          ).split('.');
          return `${header}.${b64(claims)}.${signature}`;
        },
      ],
      ['HS512 with the right secret', () => signExactly({ ...claims, exp: hour() }, TEST_SECRET, 'HS512')],
      ['an unknown role', () => signDevelopmentToken({ sub: 'mallory', roles: ['root'] }, TEST_SECRET)],
      ['no sub', () => signExactly({ roles: ['admin'], exp: hour() }, TEST_SECRET)],
      ['#16.1 no exp (valid forever)', () => signExactly(claims, TEST_SECRET)],
    ];

    it.each(attempts)('refuses a token with %s: 401 problem, nothing stored', async (_label, make) => {
      const forged = await make();
      usedTokens.push(forged);
      await expectNothingStored(h, async () => {
        expectProblem(await h.http.get('/reports/summary').set('Authorization', `Bearer ${forged}`), 401, 'UNAUTHORIZED');
        expectProblem(
          await h.http
            .post('/certification-profiles')
            .set('Authorization', `Bearer ${forged}`)
            .send({ profileId: 'evil', accountId: 'e', accountType: 'personal', displayName: 'E', email: 'e@example.com' }),
          401,
          'UNAUTHORIZED',
        );
      });
    });
  });

  describe('R45 (#22.10): the token subject is recorded text, and actors compare canonically', () => {
    it.each([
      ['NUL', 'mal\u0000lory'],
      ['an escape', 'mallory\u001b[2J'],
      ['a right-to-left override', 'admin\u202eyrollam'],
      ['an isolate', '\u2066mallory\u2069'],
      ['a lone surrogate', 'mallory\ud800'],
      ['only white space', '   '],
    ])('R45 (#22.10): a sub holding %s is a 401 problem, nothing stored', async (_what, sub) => {
      const forged = signDevelopmentToken({ sub, roles: ['admin'] }, TEST_SECRET);
      usedTokens.push(forged);
      await expectNothingStored(h, async () => {
        expectProblem(await h.http.get('/reports/summary').set('Authorization', `Bearer ${forged}`), 401, 'UNAUTHORIZED');
        expectProblem(
          await h.http
            .post(`/certification-profiles/sec-a/certifications/${AF}/suspension`)
            .set('Authorization', `Bearer ${forged}`)
            .send({ reason: 'why not' }),
          401,
          'UNAUTHORIZED',
        );
      });
    });

    it('R45 R22 (#22.10): case, white space, NFC/NFD and full-width spellings of the requester are the requester under four eyes; the actor is recorded in NFC, trimmed', async () => {
      await seedProfile(h, 'sec-4eyes', { earn: [{ code: AF }] });
      const requester = 'Jos\u00e9 Admin'; // NFC
      const asked = await h.http
        .post('/admin/override-requests')
        .set('Authorization', `Bearer ${token(['admin'], { sub: ` Jose\u0301 Admin ` })}`) // NFD, padded
        .send({ kind: 'revoke', target: { profileId: 'sec-4eyes', certificationCode: AF }, params: {}, reason: 'four eyes drill' });
      expect(asked.status).toBe(201);
      const id = (asked.body as { id: string }).id;
      const requestedBy = (asked.body as { requestedBy?: string }).requestedBy;
      expect(requestedBy).toBe(requester);
      for (const variant of [
        requester,
        'jos\u00e9 admin',
        'JOS\u00c9 ADMIN',
        'Jose\u0301 Admin',
        'Jos\u00e9  Admin',
        '\uff2a\uff4f\uff53\u00e9 Admin',
      ]) {
        await expectNothingStored(h, async () => {
          for (const verb of ['approve', 'reject'] as const) {
            expectProblem(
              await h.http
                .post(`/admin/override-requests/${id}/${verb}`)
                .set('Authorization', `Bearer ${token(['admin'], { sub: variant })}`)
                .send(verb === 'reject' ? { reason: 'not me' } : {}),
              403,
              'FORBIDDEN',
            );
          }
        });
      }
      const approved = await h.http
        .post(`/admin/override-requests/${id}/approve`)
        .set('Authorization', `Bearer ${token(['admin'], { sub: 'Another Admin' })}`)
        .send({});
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ requestedBy: requester, decidedBy: 'Another Admin' });
    });
  });

  describe('R51 (#22.2): webhooks cannot be aimed at the service or its network', () => {
    it.each([
      'http://127.0.0.1:5432/',
      'http://[::ffff:127.0.0.1]:3000/',
      'http://0x7f000001:3000/',
      'http://2130706433:3000/',
      'http://127.1:3000/',
      'http://0:3000/',
      'http://localhost:3000/admin/clock',
      'http://169.254.169.254/latest/meta-data/',
      'http://192.168.1.1/',
      'http://[fe80::1]/',
    ])('R51: %s is refused at registration (400 WEBHOOK_TARGET_REFUSED), nothing stored', async (url) => {
      await expectNothingStored(h, async () => {
        const res = await h.http
          .post('/admin/webhooks')
          .set('Authorization', `Bearer ${h.token(['admin'])}`)
          .send({ url, events: ['certification.earned'] });
        expectProblem(res, 400, 'WEBHOOK_TARGET_REFUSED');
      });
    });
  });

  describe('R11: a candidate reaches its own profile only', () => {
    /** Every endpoint, called by candidate A on profile B (or on program-wide data). */
    const matrix: { name: string; call: (h: Harness, auth: string) => Promise<import('supertest').Response> }[] = [
      { name: 'dashboard', call: (h, auth) => h.http.get('/certification-profiles/sec-b/dashboard').set('Authorization', auth) },
      { name: 'history', call: (h, auth) => h.http.get('/certification-profiles/sec-b/history').set('Authorization', auth) },
      {
        name: 'link',
        call: (h, auth) =>
          h.http
            .post('/certification-profiles/sec-b/learn-profile-link')
            .set('Authorization', auth)
            .send({ learnProfileId: 'l', accountId: 'acc-sec-b', accountType: 'personal' }),
      },
      {
        name: 'create',
        call: (h, auth) =>
          h.http
            .post('/certification-profiles')
            .set('Authorization', auth)
            .send({ profileId: 'c', accountId: 'c', accountType: 'personal', displayName: 'C', email: 'c@example.com' }),
      },
      {
        name: 'merge',
        call: (h, auth) =>
          h.http.post('/certification-profiles/sec-a/merges').set('Authorization', auth).send({ sourceProfileId: 'sec-b' }),
      },
      {
        name: 'earn',
        call: (h, auth) =>
          h.http
            .post('/certification-profiles/sec-a/certifications')
            .set('Authorization', auth)
            .send({ certificationCode: 'azure-developer-associate' }),
      },
      {
        name: 'attempt',
        call: (h, auth) =>
          h.http
            .post('/certification-profiles/sec-a/certifications/azure-fundamentals/renewal-attempts')
            .set('Authorization', auth)
            .send({ passed: true, language: 'en' }),
      },
      { name: 'reports summary', call: (h, auth) => h.http.get('/reports/summary').set('Authorization', auth) },
      { name: 'reports expiring', call: (h, auth) => h.http.get('/reports/expiring').set('Authorization', auth) },
      { name: 'audit export', call: (h, auth) => h.http.get('/audit/export').set('Authorization', auth) },
      { name: 'scheduler', call: (h, auth) => h.http.post('/admin/scheduler/run').set('Authorization', auth) },
      { name: 'clock', call: (h, auth) => h.http.post('/admin/clock').set('Authorization', auth).send({ now: '2030-01-01T00:00:00Z' }) },
      {
        name: 'policy adoption',
        call: (h, auth) =>
          h.http.post('/admin/policies').set('Authorization', auth).send({ policy: {}, effectiveFrom: '2030-01-01T00:00:00Z' }),
      },
      { name: 'policy replay', call: (h, auth) => h.http.post('/admin/policy-replays').set('Authorization', auth).send({ policy: [] }) },
      // #13.5: another holder's credential, certificate and verification settings; the program's standing decisions.
      {
        name: 'credential',
        call: (h, auth) => h.http.get(`/certification-profiles/sec-b/certifications/${AF}/credential`).set('Authorization', auth),
      },
      {
        name: 'credential download',
        call: (h, auth) =>
          h.http.get(`/certification-profiles/sec-b/certifications/${AF}/credential?download=1`).set('Authorization', auth),
      },
      {
        name: 'certificate',
        call: (h, auth) => h.http.get(`/certification-profiles/sec-b/certifications/${AF}/certificate.pdf`).set('Authorization', auth),
      },
      {
        name: 'verification rotation',
        call: (h, auth) =>
          h.http.post(`/certification-profiles/sec-b/certifications/${AF}/verification-id-rotation`).set('Authorization', auth),
      },
      {
        name: 'verification visibility',
        call: (h, auth) =>
          h.http
            .post(`/certification-profiles/sec-b/certifications/${AF}/verification-visibility`)
            .set('Authorization', auth)
            .send({ visibility: 'private' }),
      },
      ...(['revocation', 'suspension', 'reinstatement'] as const).map((decision) => ({
        name: decision,
        call: (h: Harness, auth: string) =>
          h.http.post(`/certification-profiles/sec-a/certifications/${AF}/${decision}`).set('Authorization', auth).send({ reason: 'mine' }),
      })),
    ];

    it.each(matrix.map((entry) => [entry.name, entry] as const))('%s: 403 for candidate A, nothing stored', async (_name, entry) => {
      const auth = `Bearer ${token(['candidate'], { sub: 'cand-a', profileId: 'sec-a' })}`;
      await expectNothingStored(h, async () => expectProblem(await entry.call(h, auth), 403, 'FORBIDDEN'));
    });

    it('and its own dashboard and history answer 200', async () => {
      const auth = `Bearer ${token(['candidate'], { sub: 'cand-a', profileId: 'sec-a' })}`;
      expect((await h.http.get('/certification-profiles/sec-a/dashboard').set('Authorization', auth)).status).toBe(200);
      expect((await h.http.get('/certification-profiles/sec-a/history').set('Authorization', auth)).status).toBe(200);
    });

    it("#16.1 R11: a token with candidate and scheduler (unlisted) reads no other holder's dashboard or history and links nothing for another", async () => {
      const auth = `Bearer ${token(['candidate', 'scheduler'], { sub: 'cand-a', profileId: 'sec-a' })}`;
      await expectNothingStored(h, async () => {
        for (const entry of matrix.filter((e) => ['dashboard', 'history', 'link'].includes(e.name))) {
          expectProblem(await entry.call(h, auth), 403, 'FORBIDDEN');
        }
      });
      expect((await h.http.get('/certification-profiles/sec-a/dashboard').set('Authorization', auth)).status).toBe(200);
      // A role the endpoint lists, other than candidate, still reaches any profile.
      const support = `Bearer ${token(['candidate', 'support'], { sub: 'sup', profileId: 'sec-a' })}`;
      expect((await h.http.get('/certification-profiles/sec-b/dashboard').set('Authorization', support)).status).toBe(200);
    });

    it('a candidate token without a profileId reaches no profile', async () => {
      const auth = `Bearer ${token(['candidate'], { sub: 'cand-x' })}`;
      expectProblem(await h.http.get('/certification-profiles/sec-a/dashboard').set('Authorization', auth), 403, 'FORBIDDEN');
    });
  });

  describe('#13.5 public verification and credentials', () => {
    type Cert = { code: string; verificationUrl: string | null; share: Record<string, string> | null };
    const certOf = async (profileId: string): Promise<Cert> => {
      const res = await eventually(
        () => h.http.get(`/certification-profiles/${profileId}/dashboard`).set('Authorization', `Bearer ${token(['support'])}`),
        (r) => ((r.body as { certifications?: Cert[] }).certifications ?? []).some((c) => c.code === AF && c.verificationUrl !== null),
      );
      return (res.body as { certifications: Cert[] }).certifications.find((c) => c.code === AF) as Cert;
    };
    const idOf = async (profileId: string): Promise<string> =>
      ((await certOf(profileId)).verificationUrl as string).split('/').pop() as string;

    it("#13.5: what leaves recert (verification JSON and page, credential, PDF, share links, did.json, status list) carries no token, secret nor the holder's ids", async () => {
      // A name unlike the ids, so that finding an id in an output means leaking it.
      await seedProfile(h, 'sec-c', { displayName: 'Grace Hopper', earn: [{ code: AF }] });
      const holder = `Bearer ${token(['candidate'], { sub: 'cand-c', profileId: 'sec-c' })}`;
      const id = await idOf('sec-c');
      const cert = await certOf('sec-c');
      const verifyJson = await h.http.get(`/verify/${id}`).set('Accept', 'application/json').set('Authorization', holder);
      const verifyHtml = await h.http.get(`/verify/${id}`).set('Accept', 'text/html');
      const credential = await h.http
        .get(`/certification-profiles/sec-c/certifications/${AF}/credential?download=1`)
        .set('Authorization', holder)
        .buffer(true)
        .parse(asText);
      const pdf = await h.http
        .get(`/certification-profiles/sec-c/certifications/${AF}/certificate.pdf`)
        .set('Authorization', holder)
        .buffer(true)
        .parse(asBytes);
      const did = await h.http.get('/.well-known/did.json');
      const statusUrl = (decodeJwt(credential.body as string)['credentialStatus'] as { statusListCredential: string }).statusListCredential;
      const statusList = await h.http.get(new URL(statusUrl).pathname).buffer(true).parse(asText);
      for (const res of [verifyJson, verifyHtml, credential, pdf, did, statusList]) expect(res.status).toBe(200);
      const outputs: [string, string][] = [
        ['verification JSON', verifyJson.text],
        ['verification page', verifyHtml.text],
        ['credential', JSON.stringify(decodeJwt(credential.body as string))],
        ['PDF', (pdf.body as Buffer).toString('latin1')],
        ['LinkedIn link', decodeURIComponent(cert.share?.['linkedInUrl'] ?? '')],
        ['did.json', did.text],
        ['status list', JSON.stringify(decodeJwt(statusList.body as string))],
      ];
      for (const [name, text] of outputs) {
        for (const secret of [TEST_SECRET, ...usedTokens, 'sec-c', 'acc-sec-c', 'sec-c@example.com', '"d":'])
          expect({ name, leaks: text.includes(secret) ? secret : null }).toEqual({ name, leaks: null });
      }
      expect(cert.share?.['linkedInUrl']).toContain(encodeURIComponent(id));
    });

    it('#13.5/R19: verification ids are not derived from holder ids: the same profile, certification and clock get another id in another run', async () => {
      const id = await idOf('sec-a');
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      const twin = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
      try {
        await seedProfile(twin, 'sec-a', { earn: [{ code: AF }] });
        const res = await eventually(
          () => twin.http.get('/certification-profiles/sec-a/dashboard').set('Authorization', `Bearer ${twin.token(['support'])}`),
          (r) => ((r.body as { certifications?: Cert[] }).certifications ?? []).some((c) => c.verificationUrl !== null),
        );
        const twinId = ((res.body as { certifications: Cert[] }).certifications[0]?.verificationUrl as string).split('/').pop();
        expect(twinId).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(twinId).not.toBe(id);
      } finally {
        await twin.close();
      }
      // Nor of each other: the two holders' ids share no prefix longer than chance allows.
      const other = await idOf('sec-b');
      let common = 0;
      while (common < id.length && id[common] === other[common]) common++;
      expect(common).toBeLessThan(8);
    }, 60_000);

    it('#13.5/R19: an unknown and a private verification look alike: status, headers, body, in JSON and in HTML', async () => {
      const id = await idOf('sec-b');
      const holder = `Bearer ${token(['candidate'], { sub: 'cand-b', profileId: 'sec-b' })}`;
      const visibility = (value: string): request.Test =>
        h.http
          .post(`/certification-profiles/sec-b/certifications/${AF}/verification-visibility`)
          .set('Authorization', holder)
          .send({ visibility: value });
      await visibility('private').expect(200);
      try {
        for (const accept of ['application/json', 'text/html']) {
          const get = (verificationId: string) => h.http.get(`/verify/${verificationId}`).set('Accept', accept);
          const hidden = await eventually(
            () => get(id),
            (r) => r.status === 404,
          );
          const unknown = await get('AAAAAAAAAAAAAAAAAAAAAA');
          const stable = (res: request.Response) => ({
            status: res.status,
            type: res.headers['content-type'],
            headers: Object.keys(res.headers)
              .filter((name) => !['date', 'etag', 'content-length', 'x-request-id'].includes(name))
              .sort(),
            body: res.text,
          });
          expect(stable(hidden)).toEqual(stable(unknown));
          expect(hidden.status).toBe(404);
        }
      } finally {
        await visibility('public').expect(200);
      }
    });

    it("#22.11: the public verification page carries the dashboard page's hardening headers: CSP (no framing, no scripts, its one style by hash), nosniff, no referrer", async () => {
      const res = await h.http.get(`/verify/${await idOf('sec-a')}`).set('Accept', 'text/html');
      expect(res.status).toBe(200);
      const csp = String(res.headers['content-security-policy']).split(/;\s*/);
      expect(csp).toEqual(
        expect.arrayContaining([
          "default-src 'none'",
          "frame-ancestors 'none'",
          "base-uri 'none'",
          "object-src 'none'",
          "form-action 'none'",
        ]),
      );
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      // The page's only inline style is allowed by its hash, so the policy needs no 'unsafe-inline', and it has no script.
      const styles = [...res.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
      expect(styles).toHaveLength(1);
      expect(csp).toContain(
        `style-src 'sha256-${createHash('sha256')
          .update(styles[0] as string)
          .digest('base64')}'`,
      );
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.text).not.toMatch(/<script|\son[a-z]+=/i);
    });
  });

  it('secrets never appear in logs: neither the signing secret nor any token', () => {
    expect(logger.lines.length).toBeGreaterThan(0);
    const all = logger.lines.join('\n');
    expect(all).not.toContain(TEST_SECRET);
    for (const used of usedTokens) expect(all).not.toContain(used);
  });
});

describe('erasing personal data (crypto-shredding)', () => {
  it('R14: erases name and e-mail from every copy of the log without rewriting history; support only; once', async () => {
    const h = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
    try {
      const t = (roles: Parameters<Harness['token']>[0], profileId?: string) => `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;
      await seedProfile(h, 'gdpr-1', { displayName: 'Erin Erased', earn: [{ code: 'azure-fundamentals' }] });
      const before = await h.store.readAll({ maxCount: 1000 });
      expect((await h.http.get('/certification-profiles/gdpr-1/dashboard').set('Authorization', t(['support']))).body).toMatchObject({
        profile: { displayName: 'Erin Erased' },
      });

      await expectNothingStored(h, async () => {
        expectProblem(
          await h.http
            .post('/certification-profiles/gdpr-1/personal-data-erasure')
            .set('Authorization', t(['candidate'], 'gdpr-1'))
            .send({ reason: 'please forget me' }),
          403,
          'FORBIDDEN',
        );
        expectProblem(
          await h.http
            .post('/certification-profiles/nobody/personal-data-erasure')
            .set('Authorization', t(['support']))
            .send({ reason: 'request 1' }),
          404,
          'PROFILE_NOT_FOUND',
        );
        expectProblem(
          await h.http
            .post('/certification-profiles/gdpr-1/personal-data-erasure')
            .set('Authorization', t(['support']))
            .send({}),
          400,
          'VALIDATION_FAILED',
        );
      });
      const erased = await h.http
        .post('/certification-profiles/gdpr-1/personal-data-erasure')
        .set('Authorization', t(['support']))
        .send({ reason: 'GDPR request 42' });
      expect(erased.status).toBe(200);
      expect((erased.body as { events: { type: string; data: Record<string, unknown> }[] }).events).toMatchObject([
        { type: 'PersonalDataErased', data: { profileId: 'gdpr-1', reason: 'GDPR request 42' } },
      ]);
      await expectNothingStored(h, async () => {
        expect(
          (
            await h.http
              .post('/certification-profiles/gdpr-1/personal-data-erasure')
              .set('Authorization', t(['admin']))
              .send({ reason: 'again' })
          ).status,
        ).toBe(200);
      });

      // History is untouched, byte for byte; only the key is gone, so the name reads as null.
      const after = await h.store.readAll({ maxCount: 1000 });
      expect(after.slice(0, before.length)).toEqual(before);
      const dashboard = await h.http
        .get(`/certification-profiles/gdpr-1/dashboard?consistentWith=${(erased.body as { position: number }).position}`)
        .set('Authorization', t(['support']));
      expect(dashboard.body).toMatchObject({ profile: { displayName: null }, certifications: [{ code: 'azure-fundamentals' }] });
      const history = await h.http.get('/certification-profiles/gdpr-1/history').set('Authorization', t(['support']));
      expect(JSON.stringify(history.body)).not.toContain('Erin');
      expect((history.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
        'CertificationProfileCreated',
        'CertificationEarned',
        'PersonalDataErased',
      ]);
    } finally {
      await h.close();
    }
  });
});
