import { createHash } from 'node:crypto';
import type { Verification } from './verification.queries';

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1.5rem; }
dt { font-weight: 600; }
.notice { padding: .75rem 1rem; border-radius: .5rem; background: #fdecea; color: #8a1c12; font-weight: 600; }
.status-active, .status-never-expires { color: #1a7f37; }
footer { margin-top: 2rem; color: #57606a; font-size: .9rem; }
`;

/** The page's Content-Security-Policy sources: nothing but its own inline style, allowed by its hash (#22.11). */
export const VERIFICATION_PAGE_SOURCES = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src data:`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const day = (iso: string): string => DATE.format(new Date(iso));

const VERDICT: Record<Verification['status'], string> = {
  active: 'Valid',
  'never-expires': 'Valid (does not expire)',
  expired: 'Expired',
  suspended: 'Suspended',
  revoked: 'Revoked',
};

/** The verification for people: a self-contained page (no scripts), saying as of when, and never why a revocation. */
export function verificationPage(v: Verification): string {
  const rows: [string, string][] = [
    ['Certification', v.certification.name],
    ['Holder', v.holder.displayName ?? 'Not shown (personal data erased)'],
    ['Status', VERDICT[v.status]],
    ['Earned', day(v.earnedAt)],
    ['Expires', v.expiresAt ? day(v.expiresAt) : 'Does not expire'],
    ['Issuer', v.issuer.name],
  ];
  const notice =
    v.status === 'revoked'
      ? '<p class="notice" data-testid="revoked">This certification was revoked by the issuer and is no longer valid.</p>'
      : v.status === 'suspended'
        ? '<p class="notice" data-testid="suspended">This certification is currently suspended by the issuer.</p>'
        : v.status === 'expired'
          ? '<p class="notice" data-testid="expired">This certification has expired.</p>'
          : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(VERDICT[v.status])}: ${escape(v.certification.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Certification verification</h1>
${notice}
<dl>
${rows.map(([term, value]) => `<dt>${escape(term)}</dt><dd${term === 'Status' ? ` class="status-${v.status}" data-testid="status"` : ''}>${escape(value)}</dd>`).join('\n')}
</dl>
<footer>Checked against the issuer's record as of <time datetime="${escape(v.asOf)}" data-testid="as-of">${escape(new Date(v.asOf).toUTCString())}</time>.</footer>
</main>
</body>
</html>
`;
}
