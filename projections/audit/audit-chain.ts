import { createHash, createHmac, createPublicKey, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import type { RecordedEvent } from '@recert/eventstore';

/**
 * The audit export's format: NDJSON, one header line, one line per event in global order, one trailer line.
 * Every line after the header carries `prevHash`, the SHA-256 of the previous line's exact text, and every event
 * line its `seq`; the trailer carries the count. Changing, removing or reordering any line breaks the chain at
 * that line, and the verifier names it.
 *
 * A chain alone can be recomputed by whoever alters the file (#16.17). With a key (AUDIT_HMAC_KEY_FILE, kept outside
 * the export) the trailer also carries `headMac`: HMAC-SHA256 over the format, the count and the trailer's `prevHash`,
 * which the chain ties to every line before it. Re-chaining an altered export then needs the key too. With an Ed25519
 * private key (AUDIT_SIGNING_KEY_FILE) it carries `headSignature` over the same head, which anyone holding only the
 * public key can check.
 */
export const AUDIT_FORMAT = 'recert-audit-export/1';

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface HeadMac {
  alg: 'HMAC-SHA256';
  /** Names the key (its SHA-256, first 16 hex digits) so a verifier can tell a wrong key from a forged head. */
  keyId: string;
  mac: string;
}

export function auditKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** What the keyed head covers: the count and the last line's hash, hence (through the chain) every line. */
function headMessage(count: number, prevHash: string): Buffer {
  return Buffer.from(`${AUDIT_FORMAT}\n${count}\n${prevHash}`, 'utf8');
}

/** The keyed chain head: binds the count and the last line's hash, hence the whole chain, to the key. */
export function headMac(key: Buffer, count: number, prevHash: string): HeadMac {
  const mac = createHmac('sha256', key).update(headMessage(count, prevHash)).digest('hex');
  return { alg: 'HMAC-SHA256', keyId: auditKeyId(key), mac };
}

export interface HeadSignature {
  alg: 'Ed25519';
  /** The public key's SHA-256 (DER), first 16 hex digits. */
  keyId: string;
  signature: string;
}

export function publicKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** The signed chain head: an Ed25519 signature over the same message as the HMAC. */
export function headSignature(privateKey: KeyObject, count: number, prevHash: string): HeadSignature {
  return {
    alg: 'Ed25519',
    keyId: publicKeyId(privateKey),
    signature: sign(null, headMessage(count, prevHash), privateKey).toString('base64'),
  };
}

/** The keys an export's head is made with, or checked against. */
export interface AuditHeadKeys {
  hmacKey?: Buffer;
  /** Writing: an Ed25519 private key. Checking: the public key (a private one works too). */
  signingKey?: KeyObject;
}

export class AuditChainWriter {
  private previous: string | undefined;
  private seq = 0;

  constructor(private readonly keys: AuditHeadKeys = {}) {}

  header(meta: { from: string | null; to: string | null; exportedAt: string }): string {
    return this.line({ format: AUDIT_FORMAT, kind: 'header', ...meta, prevHash: null });
  }

  event(event: RecordedEvent): string {
    this.seq += 1;
    return this.line({ kind: 'event', seq: this.seq, prevHash: sha256(this.previous ?? ''), event });
  }

  trailer(): string {
    const prevHash = sha256(this.previous ?? '');
    return this.line({
      kind: 'trailer',
      count: this.seq,
      prevHash,
      ...(this.keys.hmacKey ? { headMac: headMac(this.keys.hmacKey, this.seq, prevHash) } : {}),
      ...(this.keys.signingKey ? { headSignature: headSignature(this.keys.signingKey, this.seq, prevHash) } : {}),
    });
  }

  private line(value: object): string {
    const text = JSON.stringify(value);
    this.previous = text;
    return text;
  }
}

/** `authenticated`: the chain head's HMAC was checked with the key given (false when no key was given). */
export type AuditVerdict =
  | { ok: true; events: number; authenticated: boolean }
  | {
      ok: false;
      line: number;
      problem: 'changed' | 'removed' | 'reordered' | 'truncated' | 'malformed' | 'unauthenticated' | 'wrong-key' | 'forged';
      message: string;
    };

interface ParsedLine {
  kind?: string;
  seq?: number;
  count?: number;
  prevHash?: string | null;
  format?: string;
  headMac?: Partial<HeadMac>;
  headSignature?: Partial<HeadSignature>;
}

/**
 * Checks an export given as its lines (without newlines); line numbers in the verdict are 1-based. With `hmacKey`,
 * the trailer's keyed head must be there and match: an export altered and re-chained fails as `forged`.
 */
export function verifyAuditLines(lines: readonly string[], options: AuditHeadKeys = {}): AuditVerdict {
  const fail = (line: number, problem: Exclude<AuditVerdict, { ok: true }>['problem'], message: string): AuditVerdict => ({
    ok: false,
    line,
    problem,
    message,
  });
  const parsed: ParsedLine[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    try {
      parsed.push(JSON.parse(lines[i] as string) as ParsedLine);
    } catch {
      return fail(i + 1, 'changed', 'the line is not valid JSON');
    }
  }
  const header = parsed[0];
  if (!header || header.kind !== 'header' || header.format !== AUDIT_FORMAT)
    return fail(1, 'malformed', `the first line is not a ${AUDIT_FORMAT} header`);
  let expectedSeq = 1;
  for (let i = 1; i < parsed.length; i += 1) {
    const current = parsed[i] as ParsedLine;
    const lineNo = i + 1;
    if (current.kind === 'event') {
      if (typeof current.seq !== 'number') return fail(lineNo, 'changed', 'the event line has no seq');
      if (current.seq > expectedSeq) {
        // The missing seq further down means lines were swapped; nowhere means they were taken out.
        const later = parsed.slice(i + 1).some((line) => line.kind === 'event' && line.seq === expectedSeq);
        return later
          ? fail(lineNo, 'reordered', `seq ${current.seq} stands where seq ${expectedSeq} belongs`)
          : fail(lineNo, 'removed', `line(s) before this one were removed: expected seq ${expectedSeq}, found ${current.seq}`);
      }
      if (current.seq < expectedSeq) return fail(lineNo, 'reordered', `seq ${current.seq} comes after seq ${expectedSeq - 1}`);
    }
    if (current.prevHash !== sha256(lines[i - 1] as string)) {
      // The previous line no longer hashes to what this one recorded: it was changed (the header counts too).
      return fail(i, 'changed', `its SHA-256 does not match the prevHash recorded on line ${lineNo}`);
    }
    if (current.kind === 'trailer') {
      if (current.count !== expectedSeq - 1)
        return fail(lineNo, 'changed', `the trailer counts ${String(current.count)} events, the file has ${expectedSeq - 1}`);
      if (i !== parsed.length - 1) return fail(lineNo + 1, 'malformed', 'lines follow the trailer');
      if (!options.hmacKey && !options.signingKey) return { ok: true, events: expectedSeq - 1, authenticated: false };
      return (
        (options.hmacKey ? checkHead(current, options.hmacKey, lineNo) : undefined) ??
        (options.signingKey ? checkSignature(current, options.signingKey, lineNo) : undefined) ?? {
          ok: true,
          events: expectedSeq - 1,
          authenticated: true,
        }
      );
    }
    if (current.kind !== 'event') return fail(lineNo, 'changed', `unknown line kind ${String(current.kind)}`);
    expectedSeq += 1;
  }
  return fail(lines.length + 1, 'truncated', 'the trailer is missing: the end of the export was removed');
}

type HeadProblem = 'unauthenticated' | 'wrong-key' | 'forged';
const headFailure =
  (line: number) =>
  (problem: HeadProblem, message: string): AuditVerdict => ({ ok: false, line, problem, message });

function checkSignature(trailer: ParsedLine, key: KeyObject, lineNo: number): AuditVerdict | undefined {
  const fail = headFailure(lineNo);
  const given = trailer.headSignature;
  if (!given || typeof given.signature !== 'string')
    return fail('unauthenticated', 'the trailer has no signed head (headSignature): it was exported without a signing key, or stripped');
  const keyId = publicKeyId(key);
  if (given.keyId !== keyId) return fail('wrong-key', `the head was signed with key ${String(given.keyId)}, the key given is ${keyId}`);
  const message = headMessage(trailer.count ?? -1, typeof trailer.prevHash === 'string' ? trailer.prevHash : '');
  if (!verify(null, message, key, Buffer.from(given.signature, 'base64')))
    return fail('forged', 'the signed head does not match: the export was altered and its chain recomputed');
  return undefined;
}

function checkHead(trailer: ParsedLine, key: Buffer, lineNo: number): AuditVerdict | undefined {
  const fail = headFailure(lineNo);
  const given = trailer.headMac;
  if (!given || typeof given.mac !== 'string')
    return fail('unauthenticated', 'the trailer has no keyed head (headMac): it was exported without a key, or the head was stripped');
  const expected = headMac(key, trailer.count ?? -1, typeof trailer.prevHash === 'string' ? trailer.prevHash : '');
  if (given.keyId !== expected.keyId)
    return fail('wrong-key', `the head was made with key ${String(given.keyId)}, the key given is ${expected.keyId}`);
  const a = Buffer.from(given.mac, 'utf8');
  const b = Buffer.from(expected.mac, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return fail('forged', 'the keyed head does not match: the export was altered and its chain recomputed');
  return undefined;
}
