/** `npm run audit:verify -- FILE`: checks an audit export's hash chain; exit 0 when intact, 1 when not. */
import { readFileSync } from 'node:fs';
import { verifyAuditLines } from '@recert/projections';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: npm run audit:verify -- FILE\n');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
const verdict = verifyAuditLines(lines);
if (verdict.ok) {
  process.stdout.write(`OK: ${file} is intact, ${verdict.events} events, hash chain unbroken\n`);
} else {
  process.stdout.write(`TAMPERED: ${file} line ${verdict.line} was ${verdict.problem}: ${verdict.message}\n`);
  process.exit(1);
}
