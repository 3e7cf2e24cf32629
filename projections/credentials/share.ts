/**
 * #13.4 sharing: the links the holder page offers for a holding in good standing. Pure functions of the read model's
 * facts, so the dashboard and its specs compute them alike.
 */

import type { DashboardCertification, Share } from '../dashboard/dashboard.view';

export type { Share } from '../dashboard/dashboard.view';

export interface LinkedInCertification {
  name: string;
  organizationName: string;
  issuedAt: string;
  /** Null for a certification that never expires: LinkedIn then shows no expiry. */
  expiresAt: string | null;
  certUrl: string;
  certId: string;
}

const LINKEDIN_ADD_TO_PROFILE = 'https://www.linkedin.com/profile/add';

/**
 * LinkedIn's add-to-profile URL (its "Add to profile" certification form, prefilled). Years and months are the
 * instants' UTC calendar ones, months 1-12; every value is percent-encoded (encodeURIComponent: a space is %20,
 * an ampersand or a plus in a name cannot break out of its parameter).
 */
export function linkedInAddToProfileUrl(certification: LinkedInCertification): string {
  const issued = new Date(certification.issuedAt);
  const expires = certification.expiresAt === null ? null : new Date(certification.expiresAt);
  const params: [string, string][] = [
    ['startTask', 'CERTIFICATION_NAME'],
    ['name', certification.name],
    ['organizationName', certification.organizationName],
    ['issueYear', String(issued.getUTCFullYear())],
    ['issueMonth', String(issued.getUTCMonth() + 1)],
    ...(expires
      ? ([
          ['expirationYear', String(expires.getUTCFullYear())],
          ['expirationMonth', String(expires.getUTCMonth() + 1)],
        ] as [string, string][])
      : []),
    ['certUrl', certification.certUrl],
    ['certId', certification.certId],
  ];
  return `${LINKEDIN_ADD_TO_PROFILE}?${params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`;
}

/** The API paths of a holding's credential download and PDF certificate (the page fetches them with its token). */
export function holdingDocumentPaths(profileId: string, code: string): { credentialUrl: string; certificateUrl: string } {
  const base = `/certification-profiles/${encodeURIComponent(profileId)}/certifications/${encodeURIComponent(code)}`;
  return { credentialUrl: `${base}/credential?download=1`, certificateUrl: `${base}/certificate.pdf` };
}

export interface ShareFacts {
  profileId: string;
  code: string;
  certificationName: string;
  status: DashboardCertification['status'];
  verificationId: string | null;
  verificationPrivate: boolean;
  earnedAt: string;
  expiresAt: string | null;
  publicBaseUrl: string;
  issuerName: string;
}

/**
 * A holding's share links, or null when a third party could check nothing in good standing: no verification id
 * (cycles earned before #13), a private verification (its link answers 404, R19), a revoked or an expired holding
 * (no credential is issued for them, R15/R21), or a suspended one (R106: nothing offered for sharing while it
 * cannot be relied on; its verification page still shows it suspended, live).
 */
export function shareOf(facts: ShareFacts): Share | null {
  if (facts.verificationId === null || facts.verificationPrivate) return null;
  if (facts.status === 'revoked' || facts.status === 'expired' || facts.status === 'suspended') return null;
  const verificationUrl = `${facts.publicBaseUrl}/verify/${facts.verificationId}`;
  return {
    verificationUrl,
    ...holdingDocumentPaths(facts.profileId, facts.code),
    linkedInUrl: linkedInAddToProfileUrl({
      name: facts.certificationName,
      organizationName: facts.issuerName,
      issuedAt: facts.earnedAt,
      expiresAt: facts.expiresAt,
      certUrl: verificationUrl,
      certId: facts.verificationId,
    }),
  };
}
