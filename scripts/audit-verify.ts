/**
 * `npm run audit:verify -- FILE [--key-file KEYFILE] [--public-key-file PEM]`: checks an audit export's hash chain,
 * and with a key its keyed chain head (#16.17): the HMAC key (the option, or AUDIT_HMAC_KEY_FILE) and/or the Ed25519
 * public key of AUDIT_SIGNING_KEY_FILE. Exit 0 when intact, 1 when not, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { readAuditKey, readEd25519Key } from '@recert/kernel';
import { AuditHeadKeys, verifyAuditLines } from '@recert/projections';

const USAGE = 'usage: npm run audit:verify -- FILE [--key-file KEYFILE] [--public-key-file PEM]\n';

/** The whole command, testable: its exit code and what it prints. */
export function auditVerify(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const args = [...argv];
  const option = (name: string): string | undefined | null => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    return args.splice(at, 2)[1] ?? null;
  };
  const keyFile = option('--key-file');
  const publicKeyFile = option('--public-key-file');
  const file = args[0];
  if (!file || args.length > 1 || keyFile === null || publicKeyFile === null) return { code: 2, out: USAGE };
  const hmacKeyFile = keyFile ?? (env['AUDIT_HMAC_KEY_FILE'] || undefined);
  const keys: AuditHeadKeys = {};
  try {
    if (hmacKeyFile) keys.hmacKey = readAuditKey(hmacKeyFile, '--key-file');
    if (publicKeyFile) keys.signingKey = readEd25519Key(publicKeyFile, 'public', '--public-key-file');
  } catch (error) {
    return { code: 2, out: `${error instanceof Error ? error.message : String(error)}\n` };
  }
  const text = readFileSync(file, 'utf8');
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const verdict = verifyAuditLines(lines, keys);
  if (!verdict.ok) return { code: 1, out: `TAMPERED: ${file} line ${verdict.line} was ${verdict.problem}: ${verdict.message}\n` };
  const head = verdict.authenticated
    ? `chain head authenticated with the ${[keys.hmacKey ? 'HMAC key' : '', keys.signingKey ? 'public key' : ''].filter(Boolean).join(' and ')}`
    : 'chain head NOT authenticated (no key given: whoever altered the file could have recomputed the chain)';
  return { code: 0, out: `OK: ${file} is intact, ${verdict.events} events, hash chain unbroken, ${head}\n` };
}
if (require.main === module) {
  const { code, out } = auditVerify(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(out);
  process.exit(code);
}
