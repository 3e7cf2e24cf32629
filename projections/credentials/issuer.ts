/**
 * The issuer's did:web identity, from PUBLIC_BASE_URL: `https://example.org` is `did:web:example.org`, a port is
 * percent-encoded (`did:web:localhost%3A3000`) and a path adds segments (did:web method specification, section 3.1).
 * Its document is served at `/.well-known/did.json` (without a path) or `<path>/did.json`.
 */
export function didWebOf(publicBaseUrl: string): string {
  const url = new URL(publicBaseUrl);
  const host = url.port ? `${url.hostname}%3A${url.port}` : url.hostname;
  const path = url.pathname.split('/').filter((segment) => segment.length > 0);
  return ['did:web', host, ...path].join(':');
}

export interface IssuerProfile {
  id: string;
  type: ['Profile'];
  name: string;
  url: string;
}

export function issuerProfile(publicBaseUrl: string, name: string): IssuerProfile {
  return { id: didWebOf(publicBaseUrl), type: ['Profile'], name, url: publicBaseUrl };
}
