// unicast_ttl: the TTL/hop limit of unicast adverts, as keepalived 2.2.7 puts them on the wire (observed).
import t from 'tap';
import { KERNEL_DEFAULT_TTL, unicastTtlOf } from '../../src/vrrp/unicast';

t.test('configured: the same on both families', async (t) => {
  t.equal(unicastTtlOf({ family: 'inet', unicastTtl: 7 }), 7);
  t.equal(unicastTtlOf({ family: 'inet6', unicastTtl: 9 }), 9);
});

t.test('not configured: IPv4 255, IPv6 the kernel default hop limit', async (t) => {
  t.equal(unicastTtlOf({ family: 'inet' }), 255);
  t.equal(unicastTtlOf({ family: 'inet6' }), KERNEL_DEFAULT_TTL);
  t.equal(KERNEL_DEFAULT_TTL, -1, 'IPV6_UNICAST_HOPS -1: the route default');
});

t.test('unicast_src_ip on no interface: keepalived 2.2.7 lines, FAULT', async (t) => {
  const { missingUnicastSource } = await import('../../src/vrrp/unicast');
  const m = { name: 'VI_1', unicastSrcIp: '198.51.100.1', unicastPeers: ['198.51.100.2'], unicastFaultNoPeer: false };
  t.same(missingUnicastSource(m, new Set(['192.0.2.1'])), [
    'bind unicast_src 198.51.100.1 failed 99 - Cannot assign requested address',
    '(VI_1): entering FAULT state (src address not configured)',
  ]);
  t.equal(missingUnicastSource(m, new Set(['198.51.100.1'])), undefined, 'present');
  t.equal(missingUnicastSource({ ...m, unicastPeers: [] }, new Set()), undefined, 'no peers: multicast');
  t.equal(missingUnicastSource({ ...m, unicastSrcIp: undefined }, new Set()), undefined, 'no unicast_src_ip');
});
