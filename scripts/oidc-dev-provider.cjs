'use strict';
// A development OpenID Connect provider (oidc-provider, its development login and consent pages: any login, any
// password) for local runs and the specs. NEVER for production. Run: `npm run dev:oidc` (settings below), or
// docker compose --profile oidc up oidc. The specs load createProvider with Node's own require, so that its
// configuration is built in Node's realm, not jest's (the provider's Array/Set checks fail across realms).
const { default: Provider } = require('oidc-provider');

/**
 * @param {string} issuer
 * @param {{ keys?: object[], accessTokenAlg?: string, redirects: string[], audience: string, pagesClientId: string,
 *   systems: Record<string, { secret: string }>, extraClaims: (kind: string, clientId: string, accountId: string) => object | undefined }} options
 */
function createProvider(issuer, options) {
  const plain = (value) => JSON.parse(JSON.stringify(value));
  const redirects = plain(options.redirects);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.pagesClientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: redirects.length > 0 ? redirects : ['http://127.0.0.1/unused'],
        post_logout_redirect_uris: redirects,
      },
      ...Object.entries(plain(options.systems)).map(([clientId, system]) => ({
        client_id: clientId,
        client_secret: system.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    ...(options.keys ? { jwks: { keys: plain(options.keys) } } : {}),
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    pkce: { required: () => true, methods: ['S256'] },
    cookies: { keys: ['recert-test-cookie-key-0123456789abcdef'] },
    // The pages call the token endpoint from their own origin.
    clientBasedCORS: () => true,
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: options.audience,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: options.accessTokenAlg || 'ES256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx, token) => {
      const claims = options.extraClaims(token.kind, token.clientId || '', token.accountId || '');
      return claims ? plain(claims) : undefined;
    },
  });
  return provider.callback();
}

module.exports = { createProvider };

/**
 * Standalone: OIDC_DEV_PORT (default 4000), OIDC_DEV_ISSUER (default http://localhost:<port>), OIDC_DEV_AUDIENCE
 * (default urn:recert:api), OIDC_DEV_REDIRECTS (default http://localhost:3000/dashboard), OIDC_DEV_STAFF
 * (`ops-ann:admin,desk-bo:support`: these logins get those roles; any other login is a holder whose account is
 * its login), OIDC_DEV_SYSTEMS (`exam-system:secret:exam-system,...`: client-credentials clients and their role).
 */
if (require.main === module) {
  const { createServer } = require('node:http');
  const env = process.env;
  const port = Number(env.OIDC_DEV_PORT || 4000);
  const issuer = env.OIDC_DEV_ISSUER || `http://localhost:${port}`;
  const pairs = (text) =>
    (text || '')
      .split(',')
      .filter(Boolean)
      .map((item) => item.split(':'));
  const staff = new Map(pairs(env.OIDC_DEV_STAFF || 'ops-ann:admin,ops-bo:admin,desk-cy:support').map(([login, role]) => [login, [role]]));
  const systemList = pairs(env.OIDC_DEV_SYSTEMS || 'exam-system:exam-system-secret-change-me:exam-system');
  const systems = Object.fromEntries(systemList.map(([id, secret, role]) => [id, { secret, roles: role ? [role] : [] }]));
  const handler = createProvider(issuer, {
    accessTokenAlg: 'RS256',
    redirects: (env.OIDC_DEV_REDIRECTS || 'http://localhost:3000/dashboard').split(','),
    audience: env.OIDC_DEV_AUDIENCE || 'urn:recert:api',
    pagesClientId: env.OIDC_DEV_CLIENT_ID || 'recert-pages',
    systems,
    extraClaims: (kind, clientId, accountId) => {
      if (kind === 'ClientCredentials') return { roles: (systems[clientId] || { roles: [] }).roles };
      const roles = staff.get(accountId);
      return roles ? { roles } : undefined;
    },
  });
  createServer(handler).listen(port, () => {
    process.stdout.write(
      `development OpenID Connect provider: ${issuer} (any login, any password; staff ${[...staff.keys()].join(', ')})\n`,
    );
  });
}
