/**
 * `npm run dev:token -- --role admin [--sub ada] [--hours 8]`, `--role candidate --profile cp-1` or
 * `--role candidate --account acc-1`: prints a development token (HS256 with AUTH_JWT_SECRET, else the public
 * development secret), so a fresh clone can call the API and open the pages (`/dashboard#token=...`).
 * Production refuses the development secret (ADR 0015): such a token only works where it is accepted.
 */
import { DEVELOPMENT_JWT_SECRET, ROLES, signDevelopmentToken } from '@recert/kernel';
import type { DevelopmentClaims, Role } from '@recert/kernel';

function values(name: string): string[] {
  const found: string[] = [];
  process.argv.forEach((arg, index) => {
    const next = process.argv[index + 1];
    if (arg === `--${name}` && next !== undefined) found.push(next);
  });
  return found;
}

export function developmentClaims(argv: { roles: string[]; sub?: string; profile?: string; account?: string }): DevelopmentClaims {
  const roles = argv.roles.length > 0 ? argv.roles : ['admin'];
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) throw new Error(`Unknown role ${unknown.join(', ')}: one of ${ROLES.join(', ')}`);
  if (roles.includes('candidate') && !argv.profile && !argv.account)
    throw new Error('A candidate token needs --profile <profileId> or --account <accountId>');
  return {
    sub: argv.sub ?? `dev-${roles.join('+')}`,
    roles: roles as Role[],
    ...(argv.profile ? { profileId: argv.profile } : {}),
    ...(argv.account ? { accountId: argv.account } : {}),
  };
}

function main(): void {
  try {
    const claims = developmentClaims({
      roles: values('role'),
      ...(values('sub')[0] ? { sub: values('sub')[0] } : {}),
      ...(values('profile')[0] ? { profile: values('profile')[0] } : {}),
      ...(values('account')[0] ? { account: values('account')[0] } : {}),
    });
    const hours = Number(values('hours')[0] ?? 8);
    const secret = process.env['AUTH_JWT_SECRET'] || DEVELOPMENT_JWT_SECRET;
    process.stdout.write(`${signDevelopmentToken(claims, secret, { expiresInSeconds: Math.round(hours * 3600) })}\n`);
  } catch (error) {
    process.stderr.write(`dev:token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) main();
