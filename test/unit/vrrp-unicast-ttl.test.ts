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
