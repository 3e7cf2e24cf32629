import { holdingDocumentPaths, linkedInAddToProfileUrl, shareOf, ShareFacts } from './share';

const facts: ShareFacts = {
  profileId: 'p-1',
  code: 'azure-administrator-associate',
  certificationName: 'Azure Administrator Associate',
  status: 'active',
  verificationId: 'AbCdEfGhIjKlMnOpQrStUv',
  verificationPrivate: false,
  earnedAt: '2026-01-31T23:30:00.000Z',
  expiresAt: '2027-12-01T00:00:00.000Z',
  publicBaseUrl: 'https://certs.example.org',
  issuerName: 'Example & Co + Partners',
};

describe('#13.4 share links', () => {
  it("#13.4: LinkedIn's add-to-profile URL carries name, organisation, UTC issue/expiry year and month, certUrl and certId", () => {
    const url = new URL(
      linkedInAddToProfileUrl({
        name: 'Azure Administrator Associate',
        organizationName: facts.issuerName,
        issuedAt: facts.earnedAt,
        expiresAt: facts.expiresAt,
        certUrl: 'https://certs.example.org/verify/AbCdEfGhIjKlMnOpQrStUv',
        certId: 'AbCdEfGhIjKlMnOpQrStUv',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://www.linkedin.com/profile/add');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      startTask: 'CERTIFICATION_NAME',
      name: 'Azure Administrator Associate',
      organizationName: 'Example & Co + Partners',
      issueYear: '2026',
      issueMonth: '1',
      expirationYear: '2027',
      expirationMonth: '12',
      certUrl: 'https://certs.example.org/verify/AbCdEfGhIjKlMnOpQrStUv',
      certId: 'AbCdEfGhIjKlMnOpQrStUv',
    });
    // Percent-encoded: '&' and '+' stay inside their parameter, a space is %20, the URL is one line.
    expect(url.search).toContain('organizationName=Example%20%26%20Co%20%2B%20Partners');
    expect(url.search).toContain('certUrl=https%3A%2F%2Fcerts.example.org%2Fverify%2FAbCdEfGhIjKlMnOpQrStUv');
  });

  it('#13.4: a certification that never expires gets no expiration parameters; odd characters survive the round trip', () => {
    const url = new URL(
      linkedInAddToProfileUrl({
        name: 'Zoë "Fundamentals" #1 ?=/ 日本',
        organizationName: 'Board',
        issuedAt: '2025-06-15T00:00:00Z',
        expiresAt: null,
        certUrl: 'https://x.example/verify/id',
        certId: 'id',
      }),
    );
    expect(url.searchParams.has('expirationYear')).toBe(false);
    expect(url.searchParams.has('expirationMonth')).toBe(false);
    expect(url.searchParams.get('name')).toBe('Zoë "Fundamentals" #1 ?=/ 日本');
    expect(url.hash).toBe('');
    expect(url.searchParams.get('issueMonth')).toBe('6');
  });

  it('#13.4: share gives the absolute verification URL, the API paths of the credential download and the PDF, and LinkedIn', () => {
    expect(shareOf(facts)).toEqual({
      verificationUrl: 'https://certs.example.org/verify/AbCdEfGhIjKlMnOpQrStUv',
      credentialUrl: '/certification-profiles/p-1/certifications/azure-administrator-associate/credential?download=1',
      certificateUrl: '/certification-profiles/p-1/certifications/azure-administrator-associate/certificate.pdf',
      linkedInUrl: expect.stringMatching(/^https:\/\/www\.linkedin\.com\/profile\/add\?startTask=CERTIFICATION_NAME&name=Azure%20/),
    });
    expect(holdingDocumentPaths('a/b', 'c d').certificateUrl).toBe('/certification-profiles/a%2Fb/certifications/c%20d/certificate.pdf');
  });

  it('#13.4/R19/R15/R106: share is null without a verification id, when private, revoked, expired or suspended', () => {
    expect(shareOf({ ...facts, verificationId: null })).toBeNull();
    expect(shareOf({ ...facts, verificationPrivate: true })).toBeNull();
    expect(shareOf({ ...facts, status: 'revoked' })).toBeNull();
    expect(shareOf({ ...facts, status: 'expired' })).toBeNull();
    expect(shareOf({ ...facts, status: 'suspended' })).toBeNull();
    expect(shareOf({ ...facts, status: 'never-expires', expiresAt: null })?.linkedInUrl).not.toContain('expiration');
  });
});
