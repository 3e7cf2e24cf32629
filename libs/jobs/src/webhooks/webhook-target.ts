import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * R51 (#22.2): where a webhook may be sent. Only public unicast addresses, unless an operator allows a network
 * (WEBHOOK_ALLOWED_NETWORKS): loopback, private, link-local, unique-local, CGNAT, multicast, unspecified, broadcast,
 * reserved and the IPv6 forms that embed an IPv4 address elsewhere (NAT64, 6to4, Teredo) are refused, so an admin's
 * URL cannot reach the service itself, its database or a cloud metadata address, nor scan them through the delivery log.
 */
export type WebhookNetworks = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

/** The allowed networks from their CIDR texts (validated by the config already). */
export function webhookNetworks(cidrs: readonly string[]): WebhookNetworks {
  return cidrs.map((cidr) => ipaddr.parseCIDR(cidr));
}

/** Null when `address` (an IP literal) may be sent to, else why not. IPv4-mapped IPv6 is judged as its IPv4 address. */
export function addressProblem(address: string, allowed: WebhookNetworks): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const parsed = ipaddr.process(address);
  for (const [network, bits] of allowed) {
    if (network.kind() === parsed.kind() && parsed.match(network, bits)) return null;
  }
  const range = parsed.range();
  return range === 'unicast' ? null : `${range} addresses are refused (WEBHOOK_ALLOWED_NETWORKS may allow a network)`;
}

/** `localhost` and every name under it are loopback by definition (RFC 6761), whatever a resolver says. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The URL's host as an address or name: brackets off an IPv6 literal (the URL parser already normalised odd IPv4 spellings). */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * At registration (R51): what the URL itself says. An address literal, in any spelling the URL parser accepts
 * (`0x7f000001`, `2130706433`, `127.1`, `0`, `[::ffff:127.0.0.1]`), is judged as its address; `localhost` names are
 * refused. Another name is not resolved here (the answer may change before the first send, and an admin request
 * should not depend on DNS): it is accepted and judged at every send, against every address it resolves to.
 */
export function webhookTargetProblem(url: string, allowed: WebhookNetworks): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // the URL's own check names this
  }
  const host = hostOf(parsed);
  if (ipaddr.isValid(host)) return addressProblem(host, allowed);
  if (isLocalhostName(host)) return 'localhost is refused (WEBHOOK_ALLOWED_NETWORKS may allow a loopback network)';
  return null;
}

export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;
const resolveAll: ResolveAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Thrown when a send is refused before any connection: the delivery log shows the reason, never a port's answer. */
export class WebhookTargetRefused extends Error {}

/**
 * At send time (R51): the address to connect to. A name is resolved now and every address it gives must pass (DNS
 * can change after registration, and a name may point at several); the connection then goes to that checked address,
 * so nothing resolves the name again in between.
 */
export async function checkedAddress(
  url: URL,
  allowed: WebhookNetworks,
  resolve: ResolveAll = resolveAll,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostOf(url);
  const literal = ipaddr.isValid(host);
  if (!literal && isLocalhostName(host)) throw new WebhookTargetRefused(`target refused: ${host} is loopback`);
  let addresses: { address: string; family: number }[];
  try {
    addresses = literal ? [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }] : await resolve(host);
  } catch (error) {
    throw new WebhookTargetRefused(`${host} does not resolve: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (addresses.length === 0) throw new WebhookTargetRefused(`${host} does not resolve`);
  for (const { address } of addresses) {
    const problem = addressProblem(address, allowed);
    if (problem) throw new WebhookTargetRefused(`target refused: ${literal ? host : `${host} resolves to ${address}`}: ${problem}`);
  }
  const first = addresses[0] as { address: string; family: number };
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * POSTs `body` to `url`, connected to `target` (an address `checkedAddress` passed); the Host header and TLS name
 * stay the URL's. Redirects are never followed (node:http does not). Resolves to the response's status.
 */
export function postWebhook(
  url: URL,
  target: { address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  // Net calls this instead of DNS; with autoSelectFamily it asks for every address (`all`).
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
  return new Promise<number>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup,
      },
      (response) => {
        clearTimeout(timer);
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
