/**
 * `npm run audit:verify -- FILE [--key-file KEYFILE]`: checks an audit export's hash chain, and with a key (the
 * option, or AUDIT_HMAC_KEY_FILE) its keyed chain head (#16.17). Exit 0 when intact, 1 when not, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { readAuditKey } from '@recert/kernel';
import { verifyAuditLines } from '@recert/projections';

/** The whole command, testable: its exit code and what it prints. */
export function auditVerify(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const args = [...argv];
  const option = args.indexOf('--key-file');
  const keyFile = option >= 0 ? args.splice(option, 2)[1] : env['AUDIT_HMAC_KEY_FILE'] || undefined;
  const file = args[0];
  if (!file || args.length > 1 || (option >= 0 && !keyFile))
    return { code: 2, out: 'usage: npm run audit:verify -- FILE [--key-file KEYFILE]\n' };
  let key: Buffer | undefined;
  try {
    key = keyFile ? readAuditKey(keyFile, '--key-file') : undefined;
  } catch (error) {
    return { code: 2, out: `${error instanceof Error ? error.message : String(error)}\n` };
  }
  const text = readFileSync(file, 'utf8');
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const verdict = verifyAuditLines(lines, key ? { hmacKey: key } : {});
  if (!verdict.ok) return { code: 1, out: `TAMPERED: ${file} line ${verdict.line} was ${verdict.problem}: ${verdict.message}\n` };
  const head = verdict.authenticated
    ? 'chain head authenticated with the key'
    : 'chain head NOT authenticated (no key given: whoever altered the file could have recomputed the chain)';
  return { code: 0, out: `OK: ${file} is intact, ${verdict.events} events, hash chain unbroken, ${head}\n` };
}

if (require.main === module) {
  const { code, out } = auditVerify(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(out);
  process.exit(code);
}
