import { createHash } from 'node:crypto';
import { fill, formatDateTime, Language, messages } from '../i18n/holder-i18n';
import type { Verification } from './verification.queries';

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
header { display: flex; align-items: center; gap: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1.5rem; }
dt { font-weight: 600; }
.notice { padding: .75rem 1rem; border-radius: .5rem; background: #fdecea; color: #8a1c12; font-weight: 600; }
.status-active, .status-never-expires { color: #1a7f37; }
footer { margin-top: 2rem; color: #57606a; font-size: .9rem; }
`;

/** The page's Content-Security-Policy sources: nothing but its own inline style, allowed by its hash (#22.11). */
export const VERIFICATION_PAGE_SOURCES = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src data:`;

/** A visitor's zone is unknown to the server (no script runs), so times are UTC, and say so (#26.6). */
const PAGE_ZONE = 'UTC';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function page(language: Language, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * The verification for people (#13, #26.6): a self-contained page (no scripts) in the visitor's language, with the
 * certification's badge (the achievement image's SVG, R70, inlined: no request leaves the page), dates with their
 * zone, saying as of when, and never why a revocation. `certificationName` is the catalog's name in that language.
 */
export function verificationPage(
  v: Verification,
  language: Language = 'en',
  certificationName = v.certification.name,
  badge?: string,
): string {
  const all = messages(language);
  const words = all.verification;
  const when = (iso: string): string => formatDateTime(iso, language, PAGE_ZONE);
  const time = (iso: string): string => `<time datetime="${escape(iso)}">${escape(when(iso))}</time>`;
  const rows: [string, string, string][] = [
    ['certification', words.certification, escape(certificationName)],
    ['holder', words.holder, escape(v.holder.displayName ?? words.holderErased)],
    ['status', words.status, escape(all.status[v.status])],
    ['earned', words.earned, time(v.earnedAt)],
    ['expires', words.expires, v.expiresAt ? time(v.expiresAt) : escape(words.doesNotExpire)],
    ['issuer', words.issuer, escape(v.issuer.name)],
  ];
  const notice =
    v.status === 'revoked' || v.status === 'suspended' || v.status === 'expired'
      ? `<p class="notice" data-testid="${v.status}">${escape(words[v.status])}</p>`
      : '';
  const asOf = `<time datetime="${escape(v.asOf)}" data-testid="as-of">${escape(when(v.asOf))}</time>`;
  return page(
    language,
    `${all.status[v.status]}: ${certificationName}`,
    `<header>
${badge ? `<img src="data:image/svg+xml;base64,${Buffer.from(badge).toString('base64')}" width="96" height="106" alt="${escape(fill(words.badge, { name: certificationName }))}" data-testid="badge">` : ''}
<h1>${escape(words.heading)}</h1>
</header>
${notice}
<dl>
${rows.map(([key, term, value]) => `<dt>${escape(term)}</dt><dd${key === 'status' ? ` class="status-${v.status}" data-testid="status"` : ` data-testid="${key}"`}>${value}</dd>`).join('\n')}
</dl>
<footer>${escape(words.asOf).replace('{asOf}', asOf)}</footer>`,
  );
}

/** What a browser gets for an id no public verification answers to: one page for unknown, rotated and private (R19). */
export function verificationNotFoundPage(language: Language = 'en'): string {
  const words = messages(language).verification;
  return page(
    language,
    words.notFoundTitle,
    `<h1>${escape(words.notFoundTitle)}</h1>\n<p data-testid="not-found">${escape(words.notFound)}</p>`,
  );
}
