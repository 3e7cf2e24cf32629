import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expectNothingStored, expectProblem, Harness, startApp } from '../support/harness';

/** #16.16: a display name cannot carry hidden formatting, and a slow or lying client cannot hold a socket. */
describe('server limits (#16.16)', () => {
  let h: Harness;
  let port: number;

  beforeAll(async () => {
    h = await startApp({ env: { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '500' } });
    port = ((h.app.getHttpServer() as Server).address() as AddressInfo).port;
  }, 60_000);
  afterAll(() => h.close(), 60_000);

  it.each([
    ['a C0 control (NUL)', 'Ada\u0000Lovelace'],
    ['a newline', 'Ada\nLovelace'],
    ['a C1 control', 'Ada\u0085Lovelace'],
    ['a right-to-left override', 'Ada \u202Eecalevol'],
    ['a bidi isolate', '\u2066Ada\u2069'],
    ['a right-to-left mark', 'Ada\u200F'],
    ['the Arabic letter mark', '\u061CAda'],
  ])('#16.16: a displayName with %s is 400 VALIDATION_FAILED and stores nothing', async (_what, displayName) => {
    await expectNothingStored(h, async () => {
      const response = await h.http
        .post('/certification-profiles')
        .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
        .send({ profileId: 'ctl-1', accountId: 'acc-ctl', accountType: 'personal', displayName, email: 'ctl@example.com' });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(response.body)).toContain('displayName');
    });
  });

  it('#16.16: names in any script, with joiners, are still accepted', async () => {
    await h.http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({
        profileId: 'ctl-2',
        accountId: 'acc-ctl2',
        accountType: 'personal',
        displayName: 'Zoë 李 محمد क्‍ष 👩‍💻',
        email: 'z@example.com',
      })
      .expect(201);
  });

  /** Writes raw bytes and waits (a condition with a generous deadline, not a sleep) for the server to close. */
  async function sendAndWaitForClose(raw: string): Promise<{ outcome: string; received: string }> {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    // Reading keeps the socket flowing, so the server's FIN is seen and 'close' fires.
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve('closed')));
    socket.write(raw);
    let deadline: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([closed, new Promise<string>((resolve) => (deadline = setTimeout(() => resolve('held'), 20_000)))]);
    clearTimeout(deadline);
    socket.destroy();
    return { outcome, received };
  }

  it('#16.16: headers announcing Content-Length 1000 followed by 10 bytes: the server answers 408 and closes the socket', async () => {
    const { outcome, received } = await sendAndWaitForClose(
      'POST /certification-profiles HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"profile',
    );
    expect(outcome).toBe('closed');
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);

  it('#16.16: headers never finished: the server answers 408 and closes the socket', async () => {
    const { outcome, received } = await sendAndWaitForClose('GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    expect(outcome).toBe('closed');
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});
