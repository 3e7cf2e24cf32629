import { asText, Harness, startApp } from '../support/harness';

jest.setTimeout(60_000);

type Operation = { operationId?: string; summary?: string; security?: unknown[]; parameters?: { name: string; in: string }[] };
type Document = { servers?: { url: string }[]; security?: unknown[]; paths: Record<string, Record<string, Operation>> };

const PUBLIC = new Set([
  'get /health',
  'get /health/live',
  'get /health/ready',
  'get /unsubscribe/{token}',
  'post /unsubscribe/{token}',
  'get /verify/{verificationId}',
  'get /.well-known/did.json',
  'get /credentials/status/{list}',
  'get /achievements/{code}/badge.svg',
]);

/**
 * R74: what Redocly's recommended rules and promtool check, asserted on what the running api serves (`npm run lint`
 * runs Redocly itself on the document `scripts/openapi.ts` writes).
 */
describe('R74: OpenAPI and metric names that third-party linters accept', () => {
  let h: Harness;
  let document: Document;
  beforeAll(async () => {
    h = await startApp({ env: { PUBLIC_BASE_URL: 'https://certs.example.org' } });
    document = (await h.http.get('/docs/openapi.json').expect(200)).body as Document;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const operations = (): [string, Operation][] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
    );

  it('R74: every operation has a summary (operation-summary) and there is a server (no-empty-servers)', () => {
    expect(operations().filter(([, op]) => !op.summary?.trim())).toEqual([]);
    expect(document.servers).toEqual([expect.objectContaining({ url: 'https://certs.example.org' })]);
  });

  it('R74: bearer by default, an explicit empty security on each public operation (security-defined)', () => {
    expect(document.security).toEqual([{ bearer: [] }]);
    const open = operations()
      .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
      .map(([key]) => key);
    expect(new Set(open)).toEqual(PUBLIC);
  });

  it('R74: every path template parameter is declared by its operation (path-parameters-defined), the calendar code too', () => {
    const missing = operations().flatMap(([key, op]) => {
      const names = [...key.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
      return names.filter((name) => !declared.has(name as string)).map((name) => `${key}: ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it('R74: metric names as promtool wants them: `_total` on counters and on nothing else', async () => {
    const res = await h.http
      .get('/metrics')
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .buffer(true)
      .parse(asText);
    expect(res.status).toBe(200);
    const types = [...(res.body as string).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }));
    expect(types.length).toBeGreaterThan(10);
    expect(types.filter((t) => t.type !== 'counter' && t.name.endsWith('_total'))).toEqual([]);
    expect(types.filter((t) => t.type === 'counter' && !t.name.endsWith('_total'))).toEqual([]);
    expect(types.filter((t) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(t.name))).toEqual([]);
  });
});
