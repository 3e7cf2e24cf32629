import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuerKeys } from './issuer-keys';
import { STATUS_LIST_SIZE, StatusIndexes, statusEntryOf, writeStatus } from './status-list';
import { subjectIdOf } from './issuer';

describe('status list entries (R71, R72)', () => {
  const key = Buffer.alloc(32, 1);

  it('R72: each list is a permutation: every slot once, so indexes are unique per list', () => {
    const indexes = new StatusIndexes(key);
    const seen = new Uint8Array(STATUS_LIST_SIZE);
    const lists = new Set<number>();
    for (let p = STATUS_LIST_SIZE; p < 2 * STATUS_LIST_SIZE; p += 1) {
      const { list, index } = indexes.entryOf(p);
      lists.add(list);
      seen[index] = (seen[index] ?? 0) + 1;
    }
    expect([...lists]).toEqual([1]);
    expect(seen.every((count) => count === 1)).toBe(true);
  });

  it('R72: stable for a key (a rebuild or another process gives the same index), different under another key or list', () => {
    const positions = [3, 17, 4242, 131_071, 131_072 + 3, 9_999_999];
    const a = positions.map((p) => new StatusIndexes(key).entryOf(p));
    const b = positions.map((p) => new StatusIndexes(Buffer.from(key)).entryOf(p));
    expect(b).toEqual(a);
    const other = positions.map((p) => new StatusIndexes(Buffer.alloc(32, 2)).entryOf(p).index);
    expect(other).not.toEqual(a.map((e) => e.index));
    expect(a.map((e) => e.list)).toEqual(positions.map((p) => statusEntryOf(p).list));
    // Consecutive positions land far apart: no order to read.
    const run = [10, 11, 12, 13, 14, 15].map((p) => new StatusIndexes(key).entryOf(p).index);
    expect(run).not.toEqual([...run].sort((x, y) => x - y));
  });

  it('R71: a two-bit value sits at bit index * 2, most significant bit first', () => {
    const bits = Buffer.alloc(4);
    writeStatus(bits, 1, 2, 2);
    writeStatus(bits, 2, 2, 1);
    expect(bits.toString('hex')).toBe('24000000'); // 00 10 01 00
    writeStatus(bits, 1, 2, 0);
    expect(bits.toString('hex')).toBe('04000000');
  });

  it('R70: a key file without a P-256 key is refused (Open Badges 3.0 verifiers take ES256/RS256); Ed25519 keys stay for verifying', () => {
    expect(() => new IssuerKeys([IssuerKeys.generate('ed', new Date(0), 'Ed25519')])).toThrow(/P-256/);
    const keys = new IssuerKeys([IssuerKeys.generate('ed', new Date(0), 'Ed25519'), IssuerKeys.generate('ec', new Date(1))]);
    expect(keys.signing).toMatchObject({ kid: 'ec', alg: 'ES256' });
    expect(keys.keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256']);
    expect(keys.signing.publicJwk).not.toHaveProperty('d');
  });

  it('R70: the subject id is a v5 urn:uuid of the verification id, one-way and stable', () => {
    expect(subjectIdOf('abc')).toBe(subjectIdOf('abc'));
    expect(subjectIdOf('abc')).not.toBe(subjectIdOf('abd'));
    expect(subjectIdOf('abc')).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('R70: a development key file of an earlier version (Ed25519 only) gets a P-256 key appended, its old key kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recert-keys-'));
    try {
      const file = join(dir, 'issuer-keys.json');
      writeFileSync(file, JSON.stringify({ keys: [IssuerKeys.generate('dev-1', new Date(0), 'Ed25519')] }));
      const config = { publicBaseUrl: 'https://x.example', issuerName: 'x', issuerKeyFile: file, issuerKeyIsDevelopment: true };
      const keys = IssuerKeys.load(config, new Date(1));
      expect(keys.keys.map((k) => [k.kid, k.alg])).toEqual([
        ['dev-1', 'EdDSA'],
        ['dev-2', 'ES256'],
      ]);
      expect(IssuerKeys.load(config, new Date(2)).keys).toHaveLength(2); // once
      expect((JSON.parse(readFileSync(file, 'utf8')) as { keys: unknown[] }).keys).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
