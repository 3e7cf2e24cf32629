import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@recert/eventstore';
import { loadConfig } from '@recert/kernel';
import { AuditChainWriter, sha256 } from '@recert/projections';
import { auditVerify } from './audit-verify';

const KEY = 'k'.repeat(20) + '0123456789abcdef0123456789abcdef';

const event = (position: number, actor: string): RecordedEvent => ({
  id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
  type: 'CertificationProfileCreated',
  stream: `certification-profile-p${position}`,
  revision: 0,
  position,
  recordedAt: '2026-06-01T00:00:00.000Z',
  data: { profileId: `p${position}` },
  metadata: { correlationId: 'c', causationId: 'c', actor, occurredAt: '2026-06-01T00:00:00.000Z' },
});

/** An export as the controller writes it, with or without the key. */
function exportLines(key?: Buffer, actors = ['exam-system', 'exam-system', 'support'], signingKey?: KeyObject): string[] {
  const chain = new AuditChainWriter({ hmacKey: key, signingKey });
  return [
    chain.header({ from: null, to: null, exportedAt: '2026-06-01T00:00:00.000Z' }),
    ...actors.map((actor, i) => chain.event(event(i + 1, actor))),
    chain.trailer(),
  ];
}

/** What an attacker without the key does: change a line, then recompute every prevHash after it, keeping the head. */
function alterAndRechain(lines: readonly string[]): string[] {
  const out = [...lines];
  out[2] = (out[2] as string).replace('"actor":"exam-system"', '"actor":"nobody"');
  for (let i = 3; i < out.length; i += 1) {
    const value = JSON.parse(out[i] as string) as Record<string, unknown>;
    value['prevHash'] = sha256(out[i - 1] as string);
    out[i] = JSON.stringify(value);
  }
  return out;
}

describe('audit:verify with a keyed chain head (#16.17)', () => {
  let dir: string;
  const file = (name: string, lines: readonly string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recert-audit-'));
    writeFileSync(join(dir, 'key'), `${KEY}\n`);
    writeFileSync(join(dir, 'other-key'), 'o'.repeat(40));
    writeFileSync(join(dir, 'short-key'), 'short');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('#16.17: an intact keyed export passes with and without the key; with it the head is authenticated', () => {
    const intact = file('intact.ndjson', exportLines(Buffer.from(KEY)));
    expect(auditVerify([intact, '--key-file', join(dir, 'key')], {})).toEqual({
      code: 0,
      out: expect.stringContaining('3 events, hash chain unbroken, chain head authenticated with the HMAC key') as string,
    });
    expect(auditVerify([intact], {})).toMatchObject({ code: 0, out: expect.stringContaining('NOT authenticated') as string });
    // AUDIT_HMAC_KEY_FILE serves as the option.
    expect(auditVerify([intact], { AUDIT_HMAC_KEY_FILE: join(dir, 'key') })).toMatchObject({ code: 0 });
  });

  it('#16.17: an export altered and re-chained verifies without the key but FAILS with it', () => {
    const tampered = alterAndRechain(exportLines(Buffer.from(KEY)));
    const path = file('tampered.ndjson', tampered);
    expect(auditVerify([path], {})).toMatchObject({ code: 0 });
    expect(auditVerify([path, '--key-file', join(dir, 'key')], {})).toEqual({
      code: 1,
      out: expect.stringMatching(/^TAMPERED: .* line 5 was forged: /) as string,
    });
    // Stripping the keyed head does not help: with the key, a head is required.
    const stripped = [...tampered];
    const trailer = JSON.parse(stripped[4] as string) as Record<string, unknown>;
    delete trailer['headMac'];
    stripped[4] = JSON.stringify(trailer);
    expect(auditVerify([file('stripped.ndjson', stripped), '--key-file', join(dir, 'key')], {})).toMatchObject({
      code: 1,
      out: expect.stringContaining('was unauthenticated') as string,
    });
    // An export made without a key cannot be authenticated either.
    expect(auditVerify([file('unkeyed.ndjson', exportLines()), '--key-file', join(dir, 'key')], {})).toMatchObject({ code: 1 });
  });

  it('#16.17: an Ed25519-signed head verifies with the public key alone; re-chained or stripped, it fails', () => {
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'signing.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'public.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    writeFileSync(join(dir, 'other.pem'), other);
    writeFileSync(
      join(dir, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const signingKey = loadConfig({ AUDIT_SIGNING_KEY_FILE: join(dir, 'signing.pem') }).auditSigningKey;
    const signed = exportLines(undefined, undefined, signingKey);
    const publicKey = ['--public-key-file', join(dir, 'public.pem')];
    expect(auditVerify([file('signed.ndjson', signed), ...publicKey], {})).toMatchObject({
      code: 0,
      out: expect.stringContaining('authenticated with the public key') as string,
    });
    expect(auditVerify([file('signed.ndjson', signed)], {})).toMatchObject({ code: 0 });
    const tampered = file('signed-tampered.ndjson', alterAndRechain(signed));
    expect(auditVerify([tampered], {})).toMatchObject({ code: 0 });
    expect(auditVerify([tampered, ...publicKey], {})).toMatchObject({ code: 1, out: expect.stringContaining('was forged') as string });
    expect(auditVerify([file('signed2.ndjson', signed), '--public-key-file', join(dir, 'other.pem')], {})).toMatchObject({
      code: 1,
      out: expect.stringContaining('was wrong-key') as string,
    });
    expect(auditVerify([file('unsigned.ndjson', exportLines()), ...publicKey], {})).toMatchObject({
      code: 1,
      out: expect.stringContaining('was unauthenticated') as string,
    });
    expect(auditVerify([file('signed3.ndjson', signed), '--public-key-file', join(dir, 'rsa.pem')], {})).toMatchObject({
      code: 2,
      out: expect.stringContaining('must hold an Ed25519 key') as string,
    });
    expect(() => loadConfig({ AUDIT_SIGNING_KEY_FILE: join(dir, 'public.pem') })).toThrow(/does not hold a PEM private key/);
  });

  it('#16.17 AUDIT_HMAC_KEY_FILE: read once at start (a trailing newline dropped); a missing or short file stops start-up', () => {
    expect(loadConfig({}).auditHmacKey).toBeUndefined();
    expect(loadConfig({ AUDIT_HMAC_KEY_FILE: join(dir, 'key') }).auditHmacKey).toEqual(Buffer.from(KEY));
    expect(() => loadConfig({ AUDIT_HMAC_KEY_FILE: join(dir, 'short-key') })).toThrow(/AUDIT_HMAC_KEY_FILE must hold at least 32 bytes/);
    expect(() => loadConfig({ AUDIT_HMAC_KEY_FILE: join(dir, 'absent') })).toThrow(/AUDIT_HMAC_KEY_FILE does not exist/);
  });

  it('#16.17: the wrong key is named as such; a short or missing key file and bad usage exit 2', () => {
    const intact = file('intact2.ndjson', exportLines(Buffer.from(KEY)));
    expect(auditVerify([intact, '--key-file', join(dir, 'other-key')], {})).toMatchObject({
      code: 1,
      out: expect.stringContaining('was wrong-key') as string,
    });
    expect(auditVerify([intact, '--key-file', join(dir, 'short-key')], {})).toMatchObject({
      code: 2,
      out: expect.stringContaining('at least 32 bytes') as string,
    });
    expect(auditVerify([intact, '--key-file', join(dir, 'absent')], {})).toMatchObject({ code: 2 });
    expect(auditVerify([], {})).toMatchObject({ code: 2, out: expect.stringContaining('usage') as string });
  });
});
