import { Controller, Get, Headers, Inject, NotFoundException, Param, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { AuthPagesConfig } from './auth-config.view';
import { OidcConfig, projectRoot, Public, setPageSecurityHeaders, settingsProvider, TokenVerifier } from '@recert/kernel';

/** Where `npm run build:web` puts the dashboard pages' bundle. */
export function webRoot(): string {
  return join(projectRoot(), 'apps', 'api', 'public');
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};
/** Names the build gave a content hash: their bytes never change, so browsers may keep them for a year. */
const HASHED = /-[A-Za-z0-9]{8}\.(?:js|css|svg|js\.map|css\.map)$/;
/** The pages' CSP; with an issuer, they also call its token endpoint (on the issuer's origin) from the browser. */
function pageCsp(connectTo: string[]): string {
  return `default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src ${["'self'", ...connectTo].join(' ')}`;
}

interface Manifest {
  icon: string;
  files: string[];
}

/** What the pages read of the settings (#28.4): the OpenID Connect provider they sign in with, if any. */
export interface WebSettings {
  oidc: OidcConfig | undefined;
}
export const WEB_SETTINGS = Symbol('WEB_SETTINGS');
export const webSettings = settingsProvider(WEB_SETTINGS, (c): WebSettings => ({ oidc: c.oidc }));

/**
 * The holders' and the program's pages: one HTML shell and its hashed, precompressed assets; the bundle reads the
 * API with the visitor's token. Only files the build listed are served, so no path reaches outside the bundle.
 */
@ApiExcludeController()
@Controller()
export class WebController {
  private manifest: Manifest | undefined;

  constructor(
    @Inject(WEB_SETTINGS) private readonly config: WebSettings,
    private readonly tokens: TokenVerifier,
  ) {}

  @Get(['dashboard', 'dashboard/program'])
  @Public()
  async page(@Headers('accept-encoding') acceptEncoding: string | undefined, @Res() response: Response): Promise<void> {
    const issuer = this.config.oidc ? new URL(this.config.oidc.issuer).origin : undefined;
    const token = this.config.oidc ? await this.tokens.endpoints().catch(() => undefined) : undefined;
    const origins = [...new Set([issuer, token && new URL(token.tokenEndpoint).origin].filter((o): o is string => !!o))];
    // The holder's page has forms (preferences, visibility) that scripts send; they post nowhere else.
    setPageSecurityHeaders(response, pageCsp(origins), "'self'");
    this.send('index.html', acceptEncoding, response, 'no-cache');
  }

  /**
   * What the pages need to sign in (R69): the issuer's endpoints and the public client, or development mode (the
   * token form). Without OIDC_CLIENT_ID the pages cannot sign in through the issuer: development mode then too.
   */
  @Get('auth/config')
  @Public()
  async authConfig(): Promise<AuthPagesConfig> {
    const oidc = this.config.oidc;
    if (!oidc?.clientId) return { mode: 'development' };
    const endpoints = await this.tokens.endpoints().catch((error: unknown) => {
      throw new ServiceUnavailableException(error instanceof Error ? error.message : 'The issuer is unreachable');
    });
    if (!endpoints) return { mode: 'development' };
    return {
      mode: 'oidc',
      issuer: endpoints.issuer,
      clientId: oidc.clientId,
      scope: oidc.pagesScope,
      rolesClaim: oidc.rolesClaim,
      authorizationEndpoint: endpoints.authorizationEndpoint,
      tokenEndpoint: endpoints.tokenEndpoint,
      endSessionEndpoint: endpoints.endSessionEndpoint ?? null,
    };
  }

  @Get('dashboard/assets/:file')
  @Public()
  asset(@Param('file') file: string, @Headers('accept-encoding') acceptEncoding: string | undefined, @Res() response: Response): void {
    const known = this.built().files.includes(file) || (file.endsWith('.map') && this.built().files.includes(file.slice(0, -4)));
    if (!known) throw new NotFoundException(`No dashboard asset ${file}`);
    this.send(file, acceptEncoding, response, HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
  }

  /** Browsers ask for /favicon.ico whatever the page links: answer with the page's icon. */
  @Get('favicon.ico')
  @Public()
  favicon(@Headers('accept-encoding') acceptEncoding: string | undefined, @Res() response: Response): void {
    this.send(this.built().icon, acceptEncoding, response, 'public, max-age=86400');
  }

  private built(): Manifest {
    if (!this.manifest) {
      const path = join(webRoot(), 'manifest.json');
      if (!existsSync(path)) throw new NotFoundException('The dashboard pages are not built: run npm run build');
      this.manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    }
    return this.manifest;
  }

  private send(file: string, acceptEncoding: string | undefined, response: Response, cacheControl: string): void {
    const path = join(webRoot(), file);
    if (!existsSync(path)) throw new NotFoundException('The dashboard pages are not built: run npm run build');
    // The build stored brotli and gzip beside each file; maps are for developers and go as they are.
    const encoding = file.endsWith('.map') ? undefined : preferredEncoding(acceptEncoding);
    response.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    response.setHeader('Cache-Control', cacheControl);
    response.setHeader('Vary', 'Accept-Encoding');
    if (encoding) response.setHeader('Content-Encoding', encoding);
    response.send(readFileSync(encoding ? `${path}.${encoding === 'br' ? 'br' : 'gz'}` : path));
  }
}

/** br over gzip when both are acceptable; q=0 excludes one. */
export function preferredEncoding(header: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string): boolean => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return undefined;
}
