import { addressProblem, checkedAddress, webhookNetworks, webhookTargetProblem, WebhookTargetRefused } from './webhook-target';

const none = webhookNetworks([]);

/** R51 (#22.2): which webhook targets are refused, at registration (the URL) and at send time (what a name resolves to). */
describe('webhook targets (R51)', () => {
  it('R51: loopback, private, link-local, unique-local, CGNAT, multicast, unspecified and broadcast addresses are refused; public unicast passes', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2002:a00::1',
    ]) {
      expect([address, addressProblem(address, none)]).toEqual([address, expect.stringMatching(/refused/)]);
    }
    for (const address of ['93.184.215.14', '2606:4700::1111']) expect(addressProblem(address, none)).toBeNull();
  });

  it('R51: every spelling of a loopback or unspecified host in a URL is refused at registration, localhost names too', () => {
    for (const url of [
      'http://127.0.0.1:5432/',
      'http://[::ffff:127.0.0.1]:3000/',
      'http://0x7f000001:3000/',
      'http://2130706433:3000/',
      'http://127.1:3000/',
      'http://017700000001:3000/',
      'http://0:3000/',
      'http://[::1]:3000/',
      'http://[::]:3000/',
      'http://localhost:3000/admin/clock',
      'http://LOCALHOST.:3000/',
      'http://api.localhost/',
      'http://169.254.169.254/latest/meta-data/',
      'https://10.0.0.5/hooks',
    ]) {
      expect([url, webhookTargetProblem(url, none)]).toEqual([url, expect.any(String)]);
    }
    // A name is judged when sent to (its DNS answer may change): accepted here.
    expect(webhookTargetProblem('https://hooks.example.com/x', none)).toBeNull();
    expect(webhookTargetProblem('https://93.184.215.14/x', none)).toBeNull();
  });

  it('R51: WEBHOOK_ALLOWED_NETWORKS lets an operator allow a network, and only that one', () => {
    const allowed = webhookNetworks(['127.0.0.0/8', '10.20.0.0/16', '::1/128']);
    expect(webhookTargetProblem('http://127.0.0.1:8080/x', allowed)).toBeNull();
    expect(webhookTargetProblem('http://[::ffff:127.0.0.1]:8080/x', allowed)).toBeNull();
    expect(webhookTargetProblem('http://[::1]:8080/x', allowed)).toBeNull();
    expect(webhookTargetProblem('http://10.20.3.4/x', allowed)).toBeNull();
    expect(webhookTargetProblem('http://10.21.3.4/x', allowed)).toMatch(/private/);
    expect(webhookTargetProblem('http://169.254.169.254/x', allowed)).toMatch(/linkLocal/);
    // localhost is a name: allowing its network does not make the name trusted, it is judged by its addresses at send.
    expect(webhookTargetProblem('http://localhost:8080/x', allowed)).toMatch(/localhost/);
  });

  it('R51: at send time a name is resolved and every address must pass; the one returned is the one connected to', async () => {
    const resolvingTo =
      (...addresses: string[]) =>
      (): Promise<{ address: string; family: number }[]> =>
        Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    const url = new URL('https://hooks.example.test/x');
    await expect(checkedAddress(url, none, resolvingTo('127.0.0.1'))).rejects.toThrow(/resolves to 127\.0\.0\.1: loopback/);
    await expect(checkedAddress(url, none, resolvingTo('93.184.215.14', '10.0.0.1'))).rejects.toBeInstanceOf(WebhookTargetRefused);
    await expect(checkedAddress(url, none, resolvingTo('::ffff:169.254.169.254'))).rejects.toThrow(/linkLocal/);
    await expect(checkedAddress(url, none, () => Promise.reject(new Error('ENOTFOUND')))).rejects.toThrow(/does not resolve/);
    await expect(checkedAddress(url, none, resolvingTo('93.184.215.14'))).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    // A literal is never resolved; localhost never asks a resolver either.
    const never = (): Promise<never> => Promise.reject(new Error('must not resolve'));
    await expect(checkedAddress(new URL('http://0x7f000001/'), none, never)).rejects.toThrow(/127\.0\.0\.1: loopback/);
    await expect(checkedAddress(new URL('http://localhost/'), webhookNetworks(['127.0.0.0/8']), never)).rejects.toThrow(/loopback/);
    await expect(checkedAddress(new URL('http://127.0.0.1/'), webhookNetworks(['127.0.0.0/8']), never)).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
  });
});
