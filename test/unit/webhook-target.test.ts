import { describe, expect, it } from 'vitest';
import { pinnedLookup } from '../../src/adapters/notify/webhook-sender';
import { addressKind, checkWebhookTarget, type ResolvedAddress } from '../../src/adapters/notify/webhook-target';

const resolvesTo = (...addresses: string[]) => async (): Promise<ResolvedAddress[]> => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const strict = { allowLoopback: false };
const dev = { allowLoopback: true };

describe('webhook targets', () => {
  it('names what an address is when a webhook may not go there', () => {
    const kinds: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'], ['::ffff:10.0.0.1', 'private'],
      ['fd00:ec2::254', 'unique-local'], ['fc00::1', 'unique-local'],
      ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'], ['100.127.255.254', 'carrier-grade NAT'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
      ['0.0.0.0', 'reserved or special-purpose'], ['240.0.0.1', 'reserved or special-purpose'], ['255.255.255.255', 'reserved or special-purpose'],
      ['192.0.0.192', 'reserved or special-purpose'], ['198.18.0.1', 'reserved or special-purpose'], ['::', 'reserved or special-purpose'],
      ['2001:db8::1', 'reserved or special-purpose'], ['64:ff9b::a00:1', 'reserved or special-purpose'], ['2002:a00:1::', 'reserved or special-purpose'],
      ['8.8.8.8', undefined], ['172.32.0.1', undefined], ['100.128.0.1', undefined], ['2606:4700::1111', undefined], ['::ffff:8.8.8.8', undefined],
    ];
    for (const [address, kind] of kinds) expect(addressKind(address), address).toBe(kind);
  });

  it('takes https to public addresses; refuses a name with any address it may not reach', async () => {
    expect((await checkWebhookTarget('https://hooks.example.com/x', strict, resolvesTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'))).addresses).toHaveLength(2);
    await expect(checkWebhookTarget('https://hooks.example.com/x', strict, resolvesTo('93.184.215.14', '10.0.0.3'))).rejects.toThrow('hooks.example.com resolves to 10.0.0.3, which is a private address');
    await expect(checkWebhookTarget('https://user:pw@hooks.example.com/x', strict, resolvesTo('93.184.215.14'))).rejects.toThrow(/must not carry credentials/);
    await expect(checkWebhookTarget('https://METADATA.google.internal./x', strict, resolvesTo('93.184.215.14'))).rejects.toThrow('metadata.google.internal is a cloud metadata service');
  });

  it('takes plain http and loopback only where the install allows it, and then only to loopback', async () => {
    await expect(checkWebhookTarget('http://localhost:9/x', strict, resolvesTo('127.0.0.1'))).rejects.toThrow('must be https');
    await expect(checkWebhookTarget('https://localhost:9/x', strict, resolvesTo('127.0.0.1'))).rejects.toThrow('localhost resolves to 127.0.0.1, which is a loopback address');
    expect((await checkWebhookTarget('http://localhost:9/x', dev, resolvesTo('127.0.0.1', '::1'))).addresses).toHaveLength(2);
    await expect(checkWebhookTarget('http://hooks.example.com/x', dev, resolvesTo('93.184.215.14'))).rejects.toThrow('must be https (plain http goes to a loopback receiver only)');
    await expect(checkWebhookTarget('http://10.0.0.1/x', dev)).rejects.toThrow('10.0.0.1 is a private address'); // the allowance is loopback's only
  });

  it('answers a connection only with the addresses checked', () => {
    const lookup = pinnedLookup([{ address: '93.184.215.14', family: 4 }, { address: '2606:2800::1', family: 6 }]);
    const answers: unknown[][] = [];
    lookup('anything.example', { all: true }, (...args: unknown[]) => answers.push(args));
    lookup('anything.example', {}, (...args: unknown[]) => answers.push(args));
    expect(answers).toEqual([
      [null, [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800::1', family: 6 }]],
      [null, '93.184.215.14', 4],
    ]);
  });
});
