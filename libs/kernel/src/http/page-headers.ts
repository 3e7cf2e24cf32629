/** What a page response needs here: Express's and Node's responses both have it. */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Directives every HTML page gets whatever it loads: no framing (clickjacking), no `<base>` or plugin content, and
 * forms post only where the page allows (`formAction`).
 */
const EVERY_PAGE = ["frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"];

/**
 * The hardening headers of every HTML page recert serves (the dashboard, the public verification pages; #22.11):
 * a Content-Security-Policy of the page's own `sources` plus the common directives, `nosniff`, `X-Frame-Options`
 * for browsers without `frame-ancestors`, and no referrer (a verification URL is a bearer of its id: it must not
 * leak to the sites a page links to).
 */
export function setPageSecurityHeaders(response: HeaderSink, sources: string, formAction: "'self'" | "'none'" = "'none'"): void {
  response.setHeader('Content-Security-Policy', [sources, ...EVERY_PAGE, `form-action ${formAction}`].join('; '));
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}
