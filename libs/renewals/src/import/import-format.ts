/**
 * Streaming readers of an import file (#14.3): NDJSON (one JSON object a line) or CSV (RFC 4180: a header line,
 * quoted fields with doubled quotes, CRLF or LF, newlines inside quotes). Each yields one record at a time with the
 * line it starts on, so memory stays bounded whatever the file's size and the report can name the line.
 */
export type ImportFormat = 'ndjson' | 'csv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['ndjson', 'csv'];

/** One record: its fields, or why it could not be read (a malformed line is reported, the rest goes on). */
export type RawRecord = { line: number; fields: Record<string, unknown> } | { line: number; error: string };

/** Longest line or record accepted: a file without newlines must not grow one string without end (RSS bound). */
export const MAX_RECORD_CHARS = 64 * 1024;

/** Splits text chunks into lines (LF or CRLF), numbered from 1; one over MAX_RECORD_CHARS is cut and flagged. */
export async function* lines(
  chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): AsyncGenerator<{ line: number; text: string; tooLong: boolean }> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let tooLong = false;
  let line = 0;
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = pending.indexOf('\n', start); newline >= 0; newline = pending.indexOf('\n', start)) {
      line += 1;
      const end = newline > start && pending.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      const long = tooLong || end - start > MAX_RECORD_CHARS;
      yield { line, text: long ? '' : pending.slice(start, end), tooLong: long };
      tooLong = false;
      start = newline + 1;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_RECORD_CHARS) {
      tooLong = true;
      pending = '';
    }
  }
  pending += decoder.decode();
  if (pending.length > MAX_RECORD_CHARS) tooLong = true;
  if (pending.length > 0 || tooLong) yield { line: line + 1, text: tooLong ? '' : pending.replace(/\r$/, ''), tooLong };
}

/** NDJSON: every non-blank line one JSON object. */
export async function* ndjsonRecords(chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<RawRecord> {
  for await (const { line, text, tooLong } of lines(chunks)) {
    if (tooLong) {
      yield { line, error: `the line is longer than ${MAX_RECORD_CHARS} characters` };
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
  for await (const { line, text, tooLong } of lines(chunks)) {
    if (tooLong) {
      record = '';
      yield { line: recordLine || line, error: `the record is longer than ${MAX_RECORD_CHARS} characters` };
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
