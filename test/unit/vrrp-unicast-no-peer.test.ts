/** unicast_fault_no_peer (src/vrrp/unicast.ts): the verdict and keepalived 2.2.7's lines, one row each. */
import t from 'tap';
import { unicastWithoutPeers } from '../../src/vrrp/unicast';

const base = { name: 'VI_1', unicastPeers: [] as unknown[], unicastFaultNoPeer: false };

t.test('a unicast keyword without peers', async (t) => {
  t.same(unicastWithoutPeers({ ...base, unicastSrcIp: '192.0.2.1' }), {
    fault: false,
    line: '(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.',
  }, 'runs multicast, with the deprecation line');
  t.same(unicastWithoutPeers({ ...base, unicastTtl: 10, unicastFaultNoPeer: true }), {
    fault: true,
    line: '(VI_1) Cannot use unicast without any peers - going to fault state',
  }, 'unicast_fault_no_peer: FAULT');
});

t.test('nothing to say otherwise', async (t) => {
  t.equal(unicastWithoutPeers({ ...base, unicastFaultNoPeer: true }), undefined, 'plain multicast instance');
  t.equal(unicastWithoutPeers({ ...base, unicastSrcIp: '192.0.2.1', unicastPeers: [{}], unicastFaultNoPeer: true }), undefined, 'peers present');
});
