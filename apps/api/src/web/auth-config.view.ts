/**
 * GET /auth/config: how the pages sign in (R69), through the issuer (authorization code with PKCE) or with a pasted
 * development token. A types-only file, which the pages import too (apps/api/web/oidc.ts).
 */
export type AuthPagesConfig =
  | { mode: 'development' }
  | {
      mode: 'oidc';
      issuer: string;
      clientId: string;
      scope: string;
      rolesClaim: string;
      authorizationEndpoint: string;
      tokenEndpoint: string;
      endSessionEndpoint: string | null;
    };
