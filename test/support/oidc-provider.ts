import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, JWTPayload, KeyLike, SignJWT } from 'jose';

/**
 * A real OpenID Connect provider (`oidc-provider`, the certified Node implementation) in this process on
 * 127.0.0.1, for specs of sign-in (ADR 0015): discovery, JWKS, authorization code with PKCE and its development
 * login and consent pages, client credentials, end_session. Two steps, because recert needs the issuer's URL to
 * start and the pages' client needs recert's URL: `listenOidcProvider()`, start recert, then `configure()`.
 */
export const AUDIENCE = 'urn:recert:api';
export const PAGES_CLIENT_ID = 'recert-pages';
/** Confidential clients of systems (client credentials) and the roles the provider puts in their tokens. */
export const SYSTEM_CLIENTS: Record<string, { secret: string; roles: string[] }> = {
  'exam-system': { secret: 'exam-system-client-secret-0123456789', roles: ['exam-system'] },
  'assessment-site': { secret: 'assessment-site-client-secret-01234', roles: ['assessment-system'] },
  'no-role-system': { secret: 'no-role-system-client-secret-012345', roles: [] },
};

type Handler = (request: IncomingMessage, response: ServerResponse) => void;
type CreateProvider = (
  issuer: string,
  options: {
    keys: JWK[];
    redirects: string[];
    audience: string;
    pagesClientId: string;
    systems: Record<string, { secret: string }>;
    extraClaims: (kind: string, clientId: string, accountId: string) => Record<string, unknown> | undefined;
  },
) => Handler;

interface SigningKey {
  alg: 'RS256' | 'ES256' | 'EdDSA';
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

export interface OidcProvider {
  issuer: string;
  /** Builds the provider (again: keys and accounts kept) with the pages' redirect URIs. */
  configure(redirectUris: string[]): Promise<void>;
  /** Staff of the provider: these subjects get these recert roles in their tokens; anyone else is a holder. */
  staff: Map<string, string[]>;
  /** A client-credentials access token of one of SYSTEM_CLIENTS, from the provider's token endpoint. */
  clientCredentialsToken(clientId: string): Promise<string>;
  /**
   * A token signed with one of the provider's current keys (its kid), claims as given on top of a valid access
   * token's (iss, aud, iat, exp, sub): for refusals (wrong aud, expired) and holders of API specs.
   */
  sign(claims: JWTPayload, options?: { alg?: SigningKey['alg']; header?: Record<string, unknown> }): Promise<string>;
  /** A new signing key of each algorithm first in the set (the old ones kept, as a real rotation does). */
  rotateKeys(): Promise<void>;
  /** The current RS256 public key as PEM: what an alg-confusion attacker would use as an HMAC secret. */
  publicKeyPem(): Promise<string>;
  close(): Promise<void>;
}

let kidCounter = 0;
async function newKey(alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const kid = `${alg.toLowerCase()}-${(kidCounter += 1)}-${Date.now().toString(36)}`;
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' } };
}

/**
 * oidc-provider is ESM only: loaded with Node's own require (require(esm), Node 20.19+), outside jest's registry
 * (jest hands out its own `module.createRequire`; process.getBuiltinModule reaches Node's).
 */
function providerFactory(): CreateProvider {
  const nodeModule = (process as unknown as { getBuiltinModule(name: string): typeof import('node:module') }).getBuiltinModule(
    'node:module',
  );
  const nativeRequire = nodeModule.createRequire(__filename);
  return (nativeRequire('../../scripts/oidc-dev-provider.cjs') as { createProvider: CreateProvider }).createProvider;
}

export async function listenOidcProvider(): Promise<OidcProvider> {
  let handler: Handler | undefined;
  const server: Server = createServer((request, response) => {
    if (handler) return handler(request, response);
    response.statusCode = 503;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let keys: SigningKey[] = await Promise.all([newKey('RS256'), newKey('ES256'), newKey('EdDSA')]);
  let redirects: string[] = [];
  const staff = new Map<string, string[]>();

  const create = providerFactory();
  const build = (): void => {
    handler = create(issuer, {
      keys: keys.map((key) => key.jwk),
      redirects,
      audience: AUDIENCE,
      pagesClientId: PAGES_CLIENT_ID,
      systems: SYSTEM_CLIENTS,
      extraClaims: (kind, clientId, accountId) => {
        if (kind === 'ClientCredentials') return { roles: SYSTEM_CLIENTS[clientId]?.roles ?? [] };
        const roles = staff.get(accountId);
        return roles ? { roles } : undefined;
      },
    });
  };
  build();

  return {
    issuer,
    staff,
    configure: (redirectUris) => {
      redirects = redirectUris;
      build();
      return Promise.resolve();
    },
    clientCredentialsToken: async (clientId) => {
      const client = SYSTEM_CLIENTS[clientId];
      if (!client) throw new Error(`No system client ${clientId}`);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: AUDIENCE }).toString(),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`client credentials refused: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    sign: async (claims, options = {}) => {
      const alg = options.alg ?? 'RS256';
      const key = keys.find((candidate) => candidate.alg === alg);
      if (!key) throw new Error(`No ${alg} key`);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: AUDIENCE, iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt', ...options.header })
        .sign(key.privateKey);
    },
    rotateKeys: async () => {
      keys = [...(await Promise.all([newKey('RS256'), newKey('ES256'), newKey('EdDSA')])), ...keys];
      build();
    },
    publicKeyPem: async () => {
      const { createPublicKey } = await import('node:crypto');
      const key = keys.find((candidate) => candidate.alg === 'RS256');
      if (!key) throw new Error('No RS256 key');
      return createPublicKey({ key: key.jwk as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
