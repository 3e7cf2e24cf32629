'use strict';
// Builds oidc-provider's configuration in Node's own realm, not jest's: the provider merges its defaults with
// plain-object and Array/Set checks that objects from jest's sandbox fail. Loaded with Node's require only.
const { default: Provider } = require('oidc-provider');

/**
 * @param {string} issuer
 * @param {{ keys: object[], redirects: string[], audience: string, pagesClientId: string,
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
    jwks: { keys: plain(options.keys) },
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
          jwt: { sign: { alg: 'ES256' } },
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
