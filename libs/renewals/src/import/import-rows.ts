import { createHash } from 'node:crypto';
import { isEmail } from 'class-validator';
import { CERTIFICATION_CODE, DISPLAY_TEXT, EXTERNAL_ID, isSafeText, ISO_INSTANT, PROFILE_ID, unsafeTextFields } from '@recert/kernel';
import type { AccountType } from '@recert/domain';
import type { RawRecord } from './import-format';

/** A holder of the legacy system: becomes a certification profile, its name and e-mail sealed (ADR 0004). */
export interface HolderRow {
  kind: 'holder';
  line: number;
  sourceId: string;
  accountId: string;
  accountType: AccountType;
  displayName: string;
  email: string;
}

/** A holding of the legacy system with its history: earned, renewals, expiry (R40, R41). */
export interface HoldingRow {
  kind: 'holding';
  line: number;
  sourceId: string;
  /** The holder's source id: the profile is the one imported for it (`importedProfileId`). */
  holder: string;
  certificationCode: string;
  earnedAt: Date;
  renewedAt: Date[];
  /** Absent: the expiry the policy gives for this history; null: never expires (fundamentals, R1). */
  expiresAt?: Date | null;
}

export type ImportRow = HolderRow | HoldingRow;
export interface RowProblem {
  line: number;
  kind?: string;
  sourceId?: string;
  code: 'VALIDATION_FAILED';
  detail: string;
}

const MAX_RENEWALS = 100;

/** The profile id an imported holder gets: `<system>-<sourceId>` when that is a valid id, else a hash of both (R39). */
export function importedProfileId(system: string, holderSourceId: string): string {
  const plain = `${system}-${holderSourceId}`;
  if (PROFILE_ID.test(plain)) return plain;
  return `${system.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20) || 'import'}-${createHash('sha256').update(`${system}\n${holderSourceId}`).digest('hex').slice(0, 40)}`;
}

/** A system name as it appears in ids and actors: letters, digits, `_` and `-`, 1-32. */
export const IMPORT_SYSTEM = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

function text(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function instant(value: unknown, field: string): Date {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) throw new Error(`${field}: an ISO 8601 instant with a time zone`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${field}: not a date`);
  return date;
}

function required(fields: Record<string, unknown>, name: string, pattern: RegExp, what: string): string {
  const value = text(fields, name);
  if (value === undefined || !pattern.test(value)) throw new Error(`${name}: ${what}`);
  return value;
}

/**
 * One record checked field by field (R39): the row, or VALIDATION_FAILED with the line and the first field at fault.
 * Renewals are a JSON array in NDJSON and `;`-separated instants in CSV; an empty expiry in CSV means "as the policy
 * gives", `never` or JSON null means never expires.
 */
export function validateRecord(record: RawRecord): ImportRow | RowProblem {
  if ('error' in record) return { line: record.line, code: 'VALIDATION_FAILED', detail: record.error };
  const fields = record.fields;
  const kind = text(fields, 'kind');
  const sourceId = text(fields, 'sourceId');
  const problem = (detail: string): RowProblem => ({
    line: record.line,
    // The report shows them: only when they are text R45 lets through (a cut could also split a surrogate pair).
    ...(kind !== undefined && isSafeText(kind.slice(0, 32)) ? { kind: kind.slice(0, 32) } : {}),
    ...(sourceId !== undefined && isSafeText(sourceId.slice(0, 128)) ? { sourceId: sourceId.slice(0, 128) } : {}),
    code: 'VALIDATION_FAILED',
    detail,
  });
  // R45 as for the API's bodies (#22.8): no control, bidi or unpaired-surrogate character in any field.
  const [unsafe] = unsafeTextFields(fields);
  if (unsafe) return problem(unsafe.message);
  try {
    if (kind !== 'holder' && kind !== 'holding') return problem('kind: holder or holding');
    const id = required(fields, 'sourceId', EXTERNAL_ID, '1-128 letters, digits, _ . : @ or -');
    if (kind === 'holder') {
      const accountType = text(fields, 'accountType') ?? 'personal';
      if (accountType !== 'personal' && accountType !== 'work') return problem('accountType: personal or work');
      const displayName = text(fields, 'displayName');
      if (displayName === undefined || displayName.length < 1 || displayName.length > 200 || !DISPLAY_TEXT.test(displayName))
        return problem('displayName: 1-200 characters, no control or bidirectional formatting characters');
      const email = text(fields, 'email');
      // The API's own check (create-profile's IsEmail), so an imported holder is one the API would have taken (#22.8).
      if (email === undefined || email.length < 3 || email.length > 254 || !isEmail(email)) return problem('email: an e-mail address');
      return {
        kind,
        line: record.line,
        sourceId: id,
        accountId: required(fields, 'accountId', EXTERNAL_ID, '1-128 letters, digits, _ . : @ or -'),
        accountType,
        displayName,
        email,
      };
    }
    const holder = required(fields, 'holder', EXTERNAL_ID, "the holder's sourceId");
    const certificationCode = required(fields, 'certificationCode', CERTIFICATION_CODE, 'lower-case letters, digits and dashes');
    const earnedAt = instant(fields['earnedAt'], 'earnedAt');
    const rawRenewals = fields['renewedAt'];
    const renewalTexts: unknown[] =
      rawRenewals === undefined || rawRenewals === null
        ? []
        : Array.isArray(rawRenewals)
          ? rawRenewals
          : typeof rawRenewals === 'string'
            ? rawRenewals.split(';').map((part) => part.trim())
            : [rawRenewals];
    if (renewalTexts.length > MAX_RENEWALS) return problem(`renewedAt: at most ${MAX_RENEWALS} renewals`);
    const renewedAt = renewalTexts.map((value, index) => instant(value, `renewedAt[${index}]`));
    const rawExpiry = fields['expiresAt'];
    const expiresAt =
      rawExpiry === undefined ? undefined : rawExpiry === null || rawExpiry === 'never' ? null : instant(rawExpiry, 'expiresAt');
    return {
      kind,
      line: record.line,
      sourceId: id,
      holder,
      certificationCode,
      earnedAt,
      renewedAt,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  } catch (error) {
    return problem(error instanceof Error ? error.message : String(error));
  }
}
