// Daemon start-up reports each keyword that is accepted but not implemented, once, with
// file:line:col, the way -t does (keywords/types `unsupported`), and still runs the config.
import t from 'tap';
import { Lab, isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig } from '../support/daemon';

t.test('start-up warns once per unsupported keyword, with its location, and runs', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const conf = vrrpConfig({ priority: 100, global: 'enable_snmp_vrrp\n  enable_snmp_vrrp\n  vrrp_no_swap', extra: 'vrf blue' });
  const d = startDaemon(lab, lab.host(1), conf);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(lab.host(1), '192.0.2.100'), 15000), 'the instance runs and becomes master');
  const re = (kw: string): RegExp => new RegExp(`keepalived\\.conf:\\d+:3: warning: ${kw} is accepted for compatibility but not implemented by tskeepalived \\(.+\\)`);
  t.equal(d.out.count(re('enable_snmp_vrrp')), 1, 'enable_snmp_vrrp: one warning although written twice');
  t.equal(d.out.count(re('vrrp_no_swap')), 1, 'vrrp_no_swap');
  t.equal(d.out.count(re('vrf')), 1, 'vrf (vrrp_instance)');
  t.equal(d.out.count(/is accepted for compatibility but not implemented/), 3, 'nothing else');
  t.ok(d.out.has(/keepalived\.conf:3:3: warning: enable_snmp_vrrp/), 'at the first use');
});
