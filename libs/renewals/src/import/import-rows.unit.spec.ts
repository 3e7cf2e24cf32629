import { csvRecords, ndjsonRecords, RawRecord } from './import-format';
import { importedProfileId, validateRecord } from './import-rows';

async function all(records: AsyncIterable<RawRecord>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** Splits text into chunks of `size` characters, so records and lines cross chunk boundaries. */
function chunked(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

describe('import readers (#14.3)', () => {
  it('R39: NDJSON yields one record per non-blank line with its line number, CRLF or LF, across chunk boundaries', async () => {
    const text = '{"kind":"holder","sourceId":"a"}\r\n\n{"kind":"holding"}\nnot json\n[1]\n{"last":true}';
    for (const size of [1, 3, 7, 1000]) {
      expect(await all(ndjsonRecords(chunked(text, size)))).toEqual([
        { line: 1, fields: { kind: 'holder', sourceId: 'a' } },
        { line: 3, fields: { kind: 'holding' } },
        { line: 4, error: 'not a JSON object' },
        { line: 5, error: 'not a JSON object' },
        { line: 6, fields: { last: true } },
      ]);
    }
  });

  it('R39: bytes split inside a multi-byte character are decoded whole', async () => {
    const bytes = Buffer.from('{"name":"陳大文"}\n', 'utf8');
    const records = await all(ndjsonRecords([bytes.subarray(0, 11), bytes.subarray(11)]));
    expect(records).toEqual([{ line: 1, fields: { name: '陳大文' } }]);
  });

  it('R39: CSV: header, quoted commas, doubled quotes, a newline inside quotes (the record keeps its first line), empty cells absent', async () => {
    const text =
      'kind,sourceId,displayName\r\nholder,a,"Lovelace, Ada"\nholder,b,"Grace ""G"" Hopper"\n\nholder,c,"two\nlines"\nholder,d,\nholder,e\nholder,f,x"y\n';
    for (const size of [2, 5, 1000]) {
      expect(await all(csvRecords(chunked(text, size)))).toEqual([
        { line: 2, fields: { kind: 'holder', sourceId: 'a', displayName: 'Lovelace, Ada' } },
        { line: 3, fields: { kind: 'holder', sourceId: 'b', displayName: 'Grace "G" Hopper' } },
        { line: 5, fields: { kind: 'holder', sourceId: 'c', displayName: 'two\nlines' } },
        { line: 7, fields: { kind: 'holder', sourceId: 'd' } },
        { line: 8, error: '2 fields where the header names 3' },
        { line: 9, error: 'malformed CSV: a quote inside an unquoted field' },
      ]);
    }
    expect(await all(csvRecords(['kind,sourceId\nholder,"open\n']))).toEqual([
      { line: 2, error: 'malformed CSV: a quoted field is not closed' },
    ]);
  });

  it('R39: a line past the limit is reported, not held in memory, and the next line is read', async () => {
    const records = await all(ndjsonRecords([`${'x'.repeat(70_000)}\n{"ok":1}\n`]));
    expect(records).toEqual([
      { line: 1, error: expect.stringMatching(/longer than/) },
      { line: 2, fields: { ok: 1 } },
    ]);
  });
});

describe('import readers: bytes and text alike (#22.8)', () => {
  const text = '{"kind":"holder","sourceId":"a"}\n{"kind":"holding"}\n';
  const expected = [
    { line: 1, fields: { kind: 'holder', sourceId: 'a' } },
    { line: 2, fields: { kind: 'holding' } },
  ];

  it('R42: a byte order mark is dropped, from bytes (the CLI) and from text (HTTP) alike, however the chunks fall', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const size of [1, 2, 3, 4, 1000]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      expect(await all(ndjsonRecords(pieces))).toEqual(expected);
      expect(await all(ndjsonRecords(chunked(`\ufeff${text}`, size)))).toEqual(expected);
    }
    expect(await all(csvRecords([`\ufeffkind,sourceId\nholder,a\n`]))).toEqual([{ line: 2, fields: { kind: 'holder', sourceId: 'a' } }]);
    // Only at the start: a BOM later in a line is that line's text.
    expect(await all(ndjsonRecords([`${text}\ufeff{"x":1}\n`]))).toEqual([...expected, { line: 3, error: 'not a JSON object' }]);
  });

  it('R39: a line that is not UTF-8 is reported as such (never read with replacement characters); the next is read', async () => {
    const bad = Buffer.concat([Buffer.from('{"kind":"holder","displayName":"A'), Buffer.from([0xff, 0xc3]), Buffer.from('B"}\n')]);
    const surrogate = Buffer.from([0xed, 0xa0, 0x80, 0x0a]); // a surrogate encoded as UTF-8 (CESU): not UTF-8
    expect(await all(ndjsonRecords([bad, surrogate, Buffer.from(text)]))).toEqual([
      { line: 1, error: 'the line is not valid UTF-8' },
      { line: 2, error: 'the line is not valid UTF-8' },
      { line: 3, fields: { kind: 'holder', sourceId: 'a' } },
      { line: 4, fields: { kind: 'holding' } },
    ]);
    expect(await all(csvRecords([Buffer.from('kind,sourceId\n'), bad, Buffer.from('holder,b\n')]))).toEqual([
      { line: 2, error: 'the line is not valid UTF-8' },
      { line: 3, fields: { kind: 'holder', sourceId: 'b' } },
    ]);
  });
});

describe('import row validation (#14.3)', () => {
  it('R39: holders and holdings are typed; renewals from a JSON array or `;`-separated; `never` is no expiry', () => {
    expect(
      validateRecord({
        line: 1,
        fields: { kind: 'holder', sourceId: 'h-1', accountId: 'msa-1', displayName: 'Ada', email: 'ada@example.com' },
      }),
    ).toEqual({
      kind: 'holder',
      line: 1,
      sourceId: 'h-1',
      accountId: 'msa-1',
      accountType: 'personal',
      displayName: 'Ada',
      email: 'ada@example.com',
    });
    const holding = {
      kind: 'holding',
      sourceId: 'c-1',
      holder: 'h-1',
      certificationCode: 'azure-fundamentals',
      earnedAt: '2024-01-01T00:00:00Z',
    };
    expect(
      validateRecord({ line: 2, fields: { ...holding, renewedAt: '2025-01-01T00:00:00Z; 2026-01-01T00:00:00Z', expiresAt: 'never' } }),
    ).toEqual({
      kind: 'holding',
      line: 2,
      sourceId: 'c-1',
      holder: 'h-1',
      certificationCode: 'azure-fundamentals',
      earnedAt: new Date('2024-01-01T00:00:00Z'),
      renewedAt: [new Date('2025-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z')],
      expiresAt: null,
    });
    expect(validateRecord({ line: 3, fields: { ...holding, renewedAt: ['2025-01-01T00:00:00Z'] } })).toMatchObject({
      renewedAt: [new Date('2025-01-01T00:00:00Z')],
    });
  });

  it('R39: each fault is VALIDATION_FAILED with its line, the row kind and source id, and the field at fault', () => {
    const base = {
      kind: 'holding',
      sourceId: 'c-1',
      holder: 'h-1',
      certificationCode: 'azure-fundamentals',
      earnedAt: '2024-01-01T00:00:00Z',
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, kind: 'other' }, /^kind/],
      [{ ...base, sourceId: 'has space' }, /^sourceId/],
      [{ ...base, holder: undefined }, /^holder/],
      [{ ...base, certificationCode: 'Upper' }, /^certificationCode/],
      [{ ...base, earnedAt: '2024-01-01' }, /^earnedAt/],
      [{ ...base, renewedAt: ['2024-13-45T00:00:00Z'] }, /^renewedAt\[0\]/],
      [{ ...base, expiresAt: 5 }, /^expiresAt/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'x\u202Ey', email: 'a@b.co' }, /^displayName/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada', email: 'nope' }, /^email/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', accountType: 'team', displayName: 'Ada', email: 'a@b.co' }, /^accountType/],
      // #22.8/R45: what the API refuses, the import refuses: lone surrogates, controls, an e-mail IsEmail refuses.
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada\ud800', email: 'a@b.co' }, /^displayName.*surrogate/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: '\udc00Ada', email: 'a@b.co' }, /^displayName.*surrogate/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada', email: 'a\ud800@b.co' }, /^email/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada', email: 'a\u0000@b.co' }, /^email/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada', email: 'a@b' }, /^email/],
      [{ kind: 'holder', sourceId: 'h', accountId: 'a', displayName: 'Ada', email: 'a@b..co' }, /^email/],
    ];
    for (const [fields, detail] of cases) {
      expect(validateRecord({ line: 7, fields })).toEqual(
        expect.objectContaining({ line: 7, code: 'VALIDATION_FAILED', detail: expect.stringMatching(detail) }),
      );
    }
    expect(validateRecord({ line: 8, error: 'not a JSON object' })).toEqual({
      line: 8,
      code: 'VALIDATION_FAILED',
      detail: 'not a JSON object',
    });
  });

  it('R39: an imported holder has a profile id derived from the system and its source id, stable across runs', () => {
    expect(importedProfileId('legacy', 'h-1')).toBe('legacy-h-1');
    const odd = importedProfileId('legacy', 'user@example.com');
    expect(odd).toMatch(/^legacy-[0-9a-f]{40}$/);
    expect(importedProfileId('legacy', 'user@example.com')).toBe(odd);
    expect(importedProfileId('other', 'user@example.com')).not.toBe(odd);
  });
});
