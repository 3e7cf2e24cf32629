/**
 * Streaming readers of an import file (#14.3): NDJSON (one JSON object a line) or CSV (RFC 4180: a header line,
 * quoted fields with doubled quotes, CRLF or LF, newlines inside quotes). Each yields one record at a time with the
 * line it starts on, so memory stays bounded whatever the file's size and the report can name the line.
 */
import { isUtf8 } from 'node:buffer';

export type ImportFormat = 'ndjson' | 'csv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['ndjson', 'csv'];

/** One record: its fields, or why it could not be read (a malformed line is reported, the rest goes on). */
export type RawRecord = { line: number; fields: Record<string, unknown> } | { line: number; error: string };

/** Longest line or record accepted: a file without newlines must not grow one string without end (RSS bound). */
export const MAX_RECORD_CHARS = 64 * 1024;

/** Bytes a line may take before it is decoded: UTF-8 spends at most 3 bytes on a UTF-16 code unit. */
const MAX_RECORD_BYTES = MAX_RECORD_CHARS * 3;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One line: its text, or flagged too long or not UTF-8 (then its text is empty). */
export interface Line {
  line: number;
  text: string;
  tooLong: boolean;
  notUtf8?: boolean;
}

function decodeLine(line: number, bytes: Buffer): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  const body = bytes.subarray(0, end);
  // #22.8: a line that is not UTF-8 is reported, never read with replacement characters the API would not take.
  if (!isUtf8(body)) return { line, text: '', tooLong: false, notUtf8: true };
  const text = body.toString('utf8');
  return text.length > MAX_RECORD_CHARS ? { line, text: '', tooLong: true } : { line, text, tooLong: false };
}

/**
 * Splits chunks into lines (LF or CRLF), numbered from 1; one over MAX_RECORD_CHARS is cut and flagged, one that is
 * not UTF-8 flagged. Text and bytes are split alike, and a leading byte order mark is dropped from both, so a file
 * gives the same lines (and report, R42) through HTTP as through the CLI (#22.8).
 */
export async function* lines(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (head !== undefined) {
      // The first three bytes decide whether a BOM starts the file, however the chunks fall.
      head = Buffer.concat([head, bytes]);
      if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue;
      bytes = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
      head = undefined;
    }
    let start = 0;
    for (let newline = bytes.indexOf(10, start); newline >= 0; newline = bytes.indexOf(10, start)) {
      line += 1;
      const piece = bytes.subarray(start, newline);
      if (tooLong || size + piece.length > MAX_RECORD_BYTES) yield { line, text: '', tooLong: true };
      else yield decodeLine(line, parts.length > 0 ? Buffer.concat([...parts, piece]) : piece);
      parts = [];
      size = 0;
      tooLong = false;
      start = newline + 1;
    }
    const rest = bytes.subarray(start);
    if (tooLong || rest.length === 0) continue;
    if (size + rest.length > MAX_RECORD_BYTES) {
      tooLong = true;
      parts = [];
      size = 0;
    } else {
      parts.push(rest);
      size += rest.length;
    }
  }
  if (head !== undefined && head.length > 0) parts.push(head);
  if (tooLong) yield { line: line + 1, text: '', tooLong: true };
  else if (parts.length > 0) yield decodeLine(line + 1, Buffer.concat(parts));
}

const NOT_UTF8 = 'the line is not valid UTF-8';

/** NDJSON: every non-blank line one JSON object. */
export async function* ndjsonRecords(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<RawRecord> {
  for await (const { line, text, tooLong, notUtf8 } of lines(chunks)) {
    if (tooLong) {
      yield { line, error: `the line is longer than ${MAX_RECORD_CHARS} characters` };
      continue;
    }
    if (notUtf8) {
      yield { line, error: NOT_UTF8 };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, error: 'not a JSON object' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { line, error: 'not a JSON object' };
    else yield { line, fields: value as Record<string, unknown> };
  }
}

/** The fields of one CSV record; `open` while a quoted field runs on to the next line. */
function splitCsv(text: string): { fields: string[]; open: boolean; error?: string } {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let atFieldStart = true;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        if (i < text.length && text[i] !== ',') return { fields, open: false, error: 'text after a closing quote' };
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      i += 1;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
      i += 1;
      continue;
    }
    if (c === '"') return { fields, open: false, error: 'a quote inside an unquoted field' };
    field += c;
    atFieldStart = false;
    i += 1;
  }
  if (quoted) return { fields, open: true };
  fields.push(field);
  return { fields, open: false };
}

/** CSV with a header line naming the columns; empty cells are absent fields; blank lines are skipped. */
export async function* csvRecords(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<RawRecord> {
  let header: string[] | undefined;
  let record = '';
  let recordLine = 0;
  for await (const { line, text, tooLong, notUtf8 } of lines(chunks)) {
    if (tooLong || notUtf8) {
      record = '';
      yield { line: recordLine || line, error: notUtf8 ? NOT_UTF8 : `the record is longer than ${MAX_RECORD_CHARS} characters` };
      recordLine = 0;
      continue;
    }
    if (recordLine === 0) {
      if (text.trim() === '') continue;
      recordLine = line;
      record = text;
    } else {
      record += `\n${text}`;
    }
    if (record.length > MAX_RECORD_CHARS) {
      yield { line: recordLine, error: `the record is longer than ${MAX_RECORD_CHARS} characters` };
      record = '';
      recordLine = 0;
      continue;
    }
    const split = splitCsv(record);
    if (split.open) continue;
    const at = recordLine;
    recordLine = 0;
    record = '';
    if (split.error) {
      yield { line: at, error: `malformed CSV: ${split.error}` };
      continue;
    }
    if (!header) {
      header = split.fields.map((name) => name.trim());
      continue;
    }
    if (split.fields.length !== header.length) {
      yield { line: at, error: `${split.fields.length} fields where the header names ${header.length}` };
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((name, index) => {
      const value = split.fields[index] as string;
      if (value !== '') fields[name] = value;
    });
    yield { line: at, fields };
  }
  if (recordLine !== 0) yield { line: recordLine, error: 'malformed CSV: a quoted field is not closed' };
}

export function recordsOf(
  format: ImportFormat,
  chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): AsyncGenerator<RawRecord> {
  return format === 'csv' ? csvRecords(chunks) : ndjsonRecords(chunks);
}

/** The format a file name or content type names, or undefined. */
export function formatOf(nameOrType: string): ImportFormat | undefined {
  const lower = nameOrType.toLowerCase();
  if (lower.endsWith('.csv') || lower.includes('text/csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.includes('ndjson') || lower.includes('jsonl')) return 'ndjson';
  return undefined;
}
