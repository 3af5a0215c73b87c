// Where a webhook may be delivered: a public address, over https. A subscriber names the URL, so
// without this check cellshift would POST into its own network for them (SSRF): the cloud's
// metadata service, the database, Temporal. Every address the name resolves to is checked, when
// subscribing and again before each delivery (the name may resolve elsewhere by then: DNS
// rebinding), and the delivery connects to the addresses checked, never to a fresh lookup.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface WebhookTargetPolicy {
  /**
   * Plain http to a loopback receiver (127.0.0.0/8, ::1): for tests and development only
   * (CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK=1); never in production, where loopback is cellshift's own host.
   */
  allowLoopback: boolean;
}

export const STRICT_WEBHOOK_TARGETS: WebhookTargetPolicy = { allowLoopback: false };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The URL's host resolved to addresses that may all be delivered to. */
export interface CheckedTarget {
  url: URL;
  addresses: ResolvedAddress[];
}

/** A URL no delivery may go to, and why (the client's mistake: a 400 naming `url`). */
export class WebhookTargetRefused extends Error {
  override name = 'WebhookTargetRefused';
}

export type Resolve = (host: string) => Promise<ResolvedAddress[]>;

/** IANA's special-purpose registries (RFC 6890 and successors), by what they mean to a subscriber. */
const RANGES: Record<string, [string, number][]> = {
  loopback: [['127.0.0.0', 8], ['::1', 128]],
  private: [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]],
  'unique-local': [['fc00::', 7]], // fd00:ec2::254 is AWS's metadata service over IPv6
  'link-local': [['169.254.0.0', 16], ['fe80::', 10]], // 169.254.169.254: every cloud's metadata service
  'carrier-grade NAT': [['100.64.0.0', 10]], // 100.100.100.200: Alibaba's metadata service
  multicast: [['224.0.0.0', 4], ['ff00::', 8]],
  'reserved or special-purpose': [
    ['0.0.0.0', 8], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['198.18.0.0', 15],
    ['198.51.100.0', 24], ['203.0.113.0', 24], ['240.0.0.0', 4],
    ['::', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
    ['2002::', 16], ['3fff::', 20], ['5f00::', 16], ['fec0::', 10],
  ],
};

// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are checked against the IPv4 ranges by BlockList itself.
const BLOCKS = Object.entries(RANGES).map(([kind, subnets]) => {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return { kind, list };
});

/** Names of cloud metadata services, refused whatever they resolve to here. */
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

/** What kind of address this is when a webhook may not go there; undefined for a public one. */
export function addressKind(address: string): string | undefined {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return BLOCKS.find(({ list }) => list.check(address, type))?.kind;
}

/**
 * The URL's addresses when a delivery may go to all of them; WebhookTargetRefused naming the
 * reason otherwise. https only, except plain http to a loopback receiver where the policy allows it.
 */
export async function checkWebhookTarget(raw: string, policy: WebhookTargetPolicy, resolve: Resolve = resolveHost): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefused('is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookTargetRefused('must be an https URL');
  if (url.username || url.password) throw new WebhookTargetRefused('must not carry credentials: the secret signs deliveries');
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (METADATA_HOSTS.has(host)) throw new WebhookTargetRefused(`${host} is a cloud metadata service`);
  // DNS's own bounds (RFC 1035): 63 characters a label, 253 in all; a resolver refuses more in its own way.
  if (!isIP(host) && (host.length > 253 || host.split('.').some((label) => label.length === 0 || label.length > 63))) throw new WebhookTargetRefused(`${host} is not a valid host name`);
  const plain = url.protocol === 'http:';
  const mustBeHttps = `must be https${policy.allowLoopback ? ' (plain http goes to a loopback receiver only)' : ''}`;
  // A literal address is judged first: what it is says more than its scheme.
  if (plain && !policy.allowLoopback && !isIP(host)) throw new WebhookTargetRefused(mustBeHttps);
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await resolve(host);
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind === 'loopback' && policy.allowLoopback) continue;
    if (kind) throw new WebhookTargetRefused(`${host === address ? address : `${host} resolves to ${address}, which`} is a ${kind} address: webhooks go to public addresses only`);
  }
  if (plain && !addresses.every(({ address }) => addressKind(address) === 'loopback')) throw new WebhookTargetRefused(mustBeHttps);
  return { url, addresses };
}

/** Every address of a name, as the system resolver gives them; a name that does not exist is refused. */
async function resolveHost(host: string): Promise<ResolvedAddress[]> {
  try {
    return (await lookup(host, { all: true, order: 'verbatim' })) as ResolvedAddress[];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new WebhookTargetRefused(`${host} does not resolve`);
    if (code === 'EINVAL') throw new WebhookTargetRefused(`${host} is not a valid host name`); // a label over 63 characters, …
    throw err; // the resolver failing (EAI_AGAIN, SERVFAIL): try again later
  }
}
