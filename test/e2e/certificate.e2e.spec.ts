import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFString } from 'pdf-lib';
import { create as createQr } from 'qrcode';
import request from 'supertest';
import { asBytes, asText, eventually, expectProblem, Harness, seedProfile, startApp } from '../support/harness';
import { pdfText as readPdf } from '../support/pdf-text';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const BASE = 'https://certs.example.org';
const ISSUER = 'Example Certification Board';

type Share = { verificationUrl: string; credentialUrl: string; certificateUrl: string; linkedInUrl: string };
type Cert = {
  code: string;
  name: string;
  status: string;
  earnedAt: string;
  expiresAt: string | null;
  verificationUrl: string | null;
  share: Share | null;
};

/** The text a page draws, read back independently: its content streams inflated, the hex strings of Tj decoded. */
async function pdfText(bytes: Buffer): Promise<{ doc: PDFDocument; text: string; blackSquares: number; links: string[] }> {
  const doc = await PDFDocument.load(bytes);
  const [page] = doc.getPages();
  if (!page) throw new Error('no page');
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref)) : [contents];
  const ops = streams
    .filter((stream): stream is PDFRawStream => stream instanceof PDFRawStream)
    .map((stream) => Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1'))
    .join('\n');
  const text = [...ops.matchAll(/<([0-9A-Fa-f]*)> Tj/g)].map((m) => Buffer.from(m[1] as string, 'hex').toString('latin1')).join('\n');
  const annots = page.node.Annots()?.asArray() ?? [];
  const links = annots.map((ref) => {
    const action = (doc.context.lookup(ref) as PDFDict).lookup(PDFName.of('A'), PDFDict);
    return (action.lookup(PDFName.of('URI')) as PDFString).decodeText();
  });
  // Filled squares in pure black: the QR code's modules (the text's inks are not black).
  return { doc, text, blackSquares: [...ops.matchAll(/^0 0 0 rg$/gm)].length, links };
}

/** Bytes for a PDF, the parsed problem for a problem+json answer. */
function pdfOrProblem(response: request.Response, done: (error: Error | null, body: unknown) => void): void {
  asBytes(response, (error, body) => {
    const type = String((response as unknown as { headers: Record<string, string> }).headers['content-type']);
    done(error, type.includes('json') ? (JSON.parse(body.toString('utf8')) as unknown) : body);
  });
}

/** #13.4 through HTTP: the dashboard's share links and the PDF certificate; download of the credential. */
describe('#13.4 sharing: share links, PDF certificate, credential download', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;
  const certOf = async (profileId: string): Promise<Cert> => {
    const res = await h.http.get(`/certification-profiles/${profileId}/dashboard`).set('Authorization', bearer(['candidate'], profileId));
    expect(res.status).toBe(200);
    return (res.body as { certifications: Cert[] }).certifications.find((c) => c.code === AA) as Cert;
  };
  const certUntil = (profileId: string, done: (cert: Cert) => boolean): Promise<Cert> => eventually(() => certOf(profileId), done);
  const pdfOf = (profileId: string, token = bearer(['candidate'], profileId), query = ''): request.Test =>
    h.http
      .get(`/certification-profiles/${profileId}/certifications/${AA}/certificate.pdf${query}`)
      .set('Authorization', token)
      .buffer(true)
      .parse(pdfOrProblem);
  const pdfUntil = (profileId: string, done: (res: request.Response) => boolean): Promise<request.Response> =>
    eventually(() => pdfOf(profileId), done);

  beforeAll(async () => {
    h = await startApp({
      clockStart: '2026-01-01T00:00:00Z',
      env: { PUBLIC_BASE_URL: BASE, ISSUER_NAME: ISSUER },
    });
    await seedProfile(h, 'sh-1', { linked: true, displayName: 'Katherine Johnson', earn: [{ code: AA }] });
    await seedProfile(h, 'sh-2', { linked: true, displayName: 'Dorothy Vaughan', earn: [{ code: AA }] });
    await seedProfile(h, 'sh-3', { linked: true, displayName: 'Mary Jackson', earn: [{ code: AA }] });
    await seedProfile(h, 'sh-4', { linked: true, displayName: 'Zoë 日本 🚀 Ñandú  second line', earn: [{ code: AA }] });
    await seedProfile(h, 'sh-5', { linked: true, displayName: 'Annie Easley', earn: [{ code: AA }] });
  }, 60_000);
  afterAll(async () => h.close());

  it('#13.4: the dashboard gives share links: absolute verification URL, credential download and PDF paths, LinkedIn', async () => {
    const cert = await certUntil('sh-1', (c) => c?.share !== null && c?.share !== undefined);
    const share = cert.share as Share;
    expect(share.verificationUrl).toBe(cert.verificationUrl);
    expect(share.verificationUrl).toMatch(new RegExp(`^${BASE}/verify/[A-Za-z0-9_-]{22}$`));
    expect(share.credentialUrl).toBe(`/certification-profiles/sh-1/certifications/${AA}/credential?download=1`);
    expect(share.certificateUrl).toBe(`/certification-profiles/sh-1/certifications/${AA}/certificate.pdf`);
    const linkedIn = new URL(share.linkedInUrl);
    expect(`${linkedIn.origin}${linkedIn.pathname}`).toBe('https://www.linkedin.com/profile/add');
    const earned = new Date(cert.earnedAt);
    const expires = new Date(cert.expiresAt as string);
    expect(Object.fromEntries(linkedIn.searchParams)).toEqual({
      startTask: 'CERTIFICATION_NAME',
      name: cert.name,
      organizationName: ISSUER,
      issueYear: String(earned.getUTCFullYear()),
      issueMonth: String(earned.getUTCMonth() + 1),
      expirationYear: String(expires.getUTCFullYear()),
      expirationMonth: String(expires.getUTCMonth() + 1),
      certUrl: share.verificationUrl,
      certId: share.verificationUrl.split('/').pop(),
    });
    // The paths the page follows answer with the holder's own token.
    const credential = await h.http
      .get(share.credentialUrl)
      .set('Authorization', bearer(['candidate'], 'sh-1'))
      .buffer(true)
      .parse(asText);
    expect(credential.status).toBe(200);
    expect(credential.headers['content-disposition']).toBe(`attachment; filename="${AA}.jwt"`);
    const pdf = await h.http
      .get(share.certificateUrl)
      .set('Authorization', bearer(['candidate'], 'sh-1'))
      .buffer(true)
      .parse(asBytes);
    expect(pdf.status).toBe(200);
  });

  it('#13.4: the PDF certificate carries holder, certification, dates, issuer, the verification URL (text, link) and its QR code', async () => {
    const cert = await certUntil('sh-1', (c) => c?.share !== null);
    const url = (cert.share as Share).verificationUrl;
    const res = await pdfOf('sh-1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/pdf/);
    expect(res.headers['content-disposition']).toBe(`inline; filename="${AA}-certificate.pdf"`);
    expect(res.headers['cache-control']).toBe('no-store');
    const { doc, text, blackSquares, links } = await pdfText(res.body as Buffer);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe(`Certificate: ${cert.name}`);
    expect(doc.getAuthor()).toBe(ISSUER);
    for (const expected of [
      'Katherine Johnson',
      cert.name,
      ISSUER,
      url,
      // #26.4: dates in words, in the holder's zone (none chosen: UTC, named), the expiry with its time.
      new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(cert.earnedAt)),
      `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(cert.expiresAt as string))} 00:00 (UTC)`,
    ])
      expect(text).toContain(expected);
    expect(links).toEqual([url, url]);
    // The QR code: one black square per dark module of the URL's QR matrix (computed here).
    const { modules } = createQr(url, { errorCorrectionLevel: 'M' });
    expect(blackSquares).toBe([...modules.data].filter(Boolean).length);

    const download = await pdfOf('sh-1', bearer(['candidate'], 'sh-1'), '?download=1');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${AA}-certificate.pdf"`);
  });

  it("#13.4: support and admin get a holder's certificate; another candidate gets 403, nothing held 404, a bad query 400", async () => {
    await pdfUntil('sh-2', (r) => r.status === 200);
    expect((await pdfOf('sh-2', bearer(['support']))).status).toBe(200);
    expect((await pdfOf('sh-2', bearer(['admin']))).status).toBe(200);
    expectProblem(await pdfOf('sh-2', bearer(['candidate'], 'sh-1')), 403, 'FORBIDDEN');
    expectProblem(await pdfOf('sh-2', bearer(['exam-system'])), 403, 'FORBIDDEN');
    expectProblem(await h.http.get(`/certification-profiles/sh-2/certifications/${AA}/certificate.pdf`), 401, 'UNAUTHORIZED');
    const notHeld = await h.http
      .get('/certification-profiles/sh-2/certifications/azure-fundamentals/certificate.pdf')
      .set('Authorization', bearer(['candidate'], 'sh-2'));
    expectProblem(notHeld, 404, 'HOLDING_NOT_FOUND');
    expectProblem(await pdfOf('sh-2', bearer(['candidate'], 'sh-2'), '?download=yes'), 400, 'VALIDATION_FAILED');
    const credential = await h.http
      .get(`/certification-profiles/sh-2/certifications/${AA}/credential?download=2`)
      .set('Authorization', bearer(['candidate'], 'sh-2'));
    expectProblem(credential, 400, 'VALIDATION_FAILED');
  });

  it('#13.4/R15: a revoked holding has no share links and no certificate (409 HOLDING_REVOKED)', async () => {
    await certUntil('sh-3', (c) => c?.share !== null);
    await h.http
      .post(`/certification-profiles/sh-3/certifications/${AA}/revocation`)
      .set('Authorization', bearer(['admin']))
      .send({ reason: 'exam fraud' })
      .expect(200);
    const cert = await certUntil('sh-3', (c) => c.status === 'revoked');
    expect(cert.share).toBeNull();
    const res = await pdfUntil('sh-3', (r) => r.status === 409);
    expectProblem(res, 409, 'HOLDING_REVOKED');
    expect(JSON.stringify(res.body)).not.toContain('exam fraud');
  });

  it('#13.4/R19: a private verification has no share links and no certificate (409 VERIFICATION_PRIVATE) until public again', async () => {
    await certUntil('sh-5', (c) => c?.share !== null);
    const visibility = (value: string) =>
      h.http
        .post(`/certification-profiles/sh-5/certifications/${AA}/verification-visibility`)
        .set('Authorization', bearer(['candidate'], 'sh-5'))
        .send({ visibility: value })
        .expect(200);
    await visibility('private');
    expect((await certUntil('sh-5', (c) => c.share === null)).share).toBeNull();
    expectProblem(await pdfUntil('sh-5', (r) => r.status === 409), 409, 'VERIFICATION_PRIVATE');
    await visibility('public');
    expect((await certUntil('sh-5', (c) => c.share !== null)).share).not.toBeNull();
    expect((await pdfUntil('sh-5', (r) => r.status === 200)).status).toBe(200);
  });

  it('#13.4/R19: after personal-data erasure the certificate names nobody; a name outside the font is drawn, not a 5xx', async () => {
    const hostile = await pdfUntil('sh-4', (r) => r.status === 200);
    expect(hostile.status).toBe(200);
    // #26.4: the CJK font embedded for it draws 日本 as written; what no font has (the rocket) is folded to '?'.
    const drawn = readPdf(hostile.body as Buffer).pages.join('\n');
    // (pdf.js reads the run of spaces the line separator became as one.)
    expect(drawn).toMatch(/Zoë 日本 \? Ñandú +second line/);

    const before = await pdfUntil('sh-1', (r) => r.status === 200);
    expect((await pdfText(before.body as Buffer)).text).toContain('Katherine Johnson');
    await h.http
      .post('/certification-profiles/sh-1/personal-data-erasure')
      .set('Authorization', bearer(['support']))
      .send({ reason: 'holder asked (GDPR art. 17)' })
      .expect((r) => expect(r.status).toBeLessThan(300));
    const after = await eventually(
      async () => (await pdfText((await pdfOf('sh-1')).body as Buffer)).text,
      (text) => !text.includes('Katherine'),
    );
    expect(after).not.toContain('Katherine');
    expect(after).toContain('This certifies that the holder');
    expect(after).toContain(BASE);
  });
});

describe('#13.5 OpenAPI', () => {
  it('#13.5: /docs/openapi.json documents every #13 endpoint, its media types, the download query and the new error codes', async () => {
    const h = await startApp();
    try {
      type Operation = {
        parameters?: { name: string; in: string }[];
        responses: Record<string, { description: string; content?: Record<string, unknown> }>;
      };
      type Doc = {
        paths: Record<string, Record<string, Operation>>;
        components: { schemas: Record<string, { properties: { code: { enum: string[] } } }> };
      };
      const res = await h.http.get('/docs/openapi.json');
      expect(res.status).toBe(200);
      const doc = res.body as Doc;
      const holding = '/certification-profiles/{profileId}/certifications/{code}';
      const expected: [string, string][] = [
        [`${holding}/revocation`, 'post'],
        [`${holding}/suspension`, 'post'],
        [`${holding}/reinstatement`, 'post'],
        [`${holding}/verification-id-rotation`, 'post'],
        [`${holding}/verification-visibility`, 'post'],
        [`${holding}/credential`, 'get'],
        [`${holding}/certificate.pdf`, 'get'],
        ['/verify/{verificationId}', 'get'],
        ['/.well-known/did.json', 'get'],
        ['/credentials/status/{list}', 'get'],
      ];
      for (const [path, method] of expected)
        expect({ path, method, documented: doc.paths[path]?.[method] !== undefined }).toEqual({ path, method, documented: true });
      const pdf = doc.paths[`${holding}/certificate.pdf`]?.['get'] as Operation;
      expect(Object.keys(pdf.responses['200']?.content ?? {})).toEqual(['application/pdf']);
      expect(pdf.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
        expect.arrayContaining(['path:profileId', 'path:code', 'query:download']),
      );
      const credential = doc.paths[`${holding}/credential`]?.['get'] as Operation;
      expect(Object.keys(credential.responses['200']?.content ?? {})).toEqual(['application/vc+jwt']);
      expect(credential.parameters?.map((p) => `${p.in}:${p.name}`)).toContain('query:download');
      expect(Object.keys(doc.paths['/verify/{verificationId}']?.['get']?.responses['200']?.content ?? {})).toEqual(
        expect.arrayContaining(['application/json', 'text/html']),
      );
      expect(doc.components.schemas['Problem']?.properties.code.enum).toEqual(
        expect.arrayContaining([
          'VERIFICATION_NOT_FOUND',
          'HOLDING_REVOKED',
          'HOLDING_SUSPENDED',
          'HOLDING_NOT_SUSPENDED',
          'VERIFICATION_PRIVATE',
        ]),
      );
      expect(pdf.responses['409']?.description).toContain('VERIFICATION_PRIVATE');
    } finally {
      await h.close();
    }
  });
});
