import t from 'tap';
import { vrrpStrictProblems, strictAcceptDefault, type StrictInput } from '../../src/vrrp/strict';

const ok: StrictInput = {
  name: 'VI_1',
  version: 3,
  family: 'inet',
  vips: ['192.0.2.100'],
  unicastPeers: [],
  initialState: 'BACKUP',
  basePriority: 100,
  preemptDelayMs: 0,
};

t.test('vrrp_strict: a compliant instance has no problems', async (t) => {
  t.same(vrrpStrictProblems(ok), []);
  t.same(vrrpStrictProblems({ ...ok, family: 'inet6', vips: ['fe80::1', '2001:db8::1'] }), []);
});

t.test('vrrp_strict: each restriction is reported with a stable code and keepalived-style fix', async (t) => {
  const codes = (over: Partial<StrictInput>) => vrrpStrictProblems({ ...ok, ...over }).map((p) => `${p.code}/${p.fix}`);
  t.same(codes({ vips: [] }), ['STRICT_NO_VIPS/reject']);
  t.same(codes({ unicastPeers: ['192.0.2.2'] }), ['STRICT_UNICAST/reject']);
  t.same(codes({ version: 2, family: 'inet6', vips: ['fe80::1'] }), ['STRICT_V2_IPV6/reject']);
  t.same(codes({ family: 'inet6', vips: ['2001:db8::1'] }), ['STRICT_IPV6_FIRST_NOT_LINK_LOCAL/reject']);
  t.same(codes({ initialState: 'MASTER' }), ['STRICT_MASTER_NOT_OWNER/state-backup']);
  t.same(codes({ initialState: 'MASTER', basePriority: 255 }), []);
  t.same(codes({ version: 2, authType: 'PASS' }), ['STRICT_AUTH/drop-auth']);
  t.same(codes({ preemptDelayMs: 5000 }), ['STRICT_PREEMPT_DELAY/drop-preempt-delay']);
  t.same(codes({ version: 2, acceptExplicit: true }), ['STRICT_ACCEPT_V2/no-accept']);
  t.same(codes({ acceptExplicit: true }), [], 'accept is fine with v3');
  t.same(codes({ garpLowerPrioRepeat: 2 }), ['STRICT_GARP_REPEAT/drop-garp-repeat']);
  t.same(codes({ vmacXmitBase: true }), ['STRICT_VMAC_XMIT_BASE/drop-vmac-xmit-base']);
  t.match(vrrpStrictProblems({ ...ok, unicastPeers: ['x'] })[0]?.text, /^\(VI_1\) /);
});

t.test('vrrp_strict accept default: only the owner accepts', async (t) => {
  t.equal(strictAcceptDefault(255), true);
  t.equal(strictAcceptDefault(254), false);
});
