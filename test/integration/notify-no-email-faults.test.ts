/**
 * no_email_faults (issue #10): with smtp_alert, a FAULT transition sends no mail while MASTER and
 * BACKUP still do — keepalived 2.2.7 in a namespace lab (link down → FAULT → link up) mailed
 * "Entering MASTER state", "Entering FAULT state", "Entering BACKUP state" without the keyword and
 * the same minus FAULT with it. No effect on checker mails (observed in the IPVS VM: a real server's
 * DOWN mail is still sent), so the LVS side does not read it.
 */
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { Notifier } from '../../src/runtime/notifier';
import { MemoryLogger } from '../../src/observe/log';
import { SmtpSink } from '../support/smtp-sink';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !fn()) await sleep(50);
  return fn();
}

for (const muted of [false, true]) {
  t.test(`smtp_alert${muted ? ' + no_email_faults: no FAULT mail' : ': FAULT mailed'}`, async (t) => {
    const sink = new SmtpSink();
    const port = await sink.listen();
    t.teardown(() => sink.close());
    const m = loadConfigText(`global_defs {
  router_id nef
  notification_email {
    ops@example.org
  }
  notification_email_from lb@example.org
  smtp_server 127.0.0.1 ${port}
  smtp_alert
${muted ? '  no_email_faults\n' : ''}}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    192.0.2.151/24
  }
}
`, '/tmp/nef.conf', { configId: 't' }).model;
    t.ok(m);
    if (!m) return;
    const n = new Notifier(m.globalDefs, new MemoryLogger());
    t.teardown(() => n.close());
    const vi = m.vrrpInstances[0]!;
    const subjects = () => sink.sessions.map((s) => /Subject: (.*)/.exec(s.data)?.[1] ?? '');
    for (const st of ['MASTER', 'FAULT', 'BACKUP'] as const) {
      n.notify('INSTANCE', 'VI_1', vi, st, 100);
      // one at a time, so the order of the mails is the order of the transitions
      await until(() => subjects().some((s) => s.includes(`Entering ${st} state`)), st === 'FAULT' && muted ? 1500 : 5000);
    }
    const want = ['[nef] VRRP Instance VI_1 - Entering MASTER state', '[nef] VRRP Instance VI_1 - Entering FAULT state', '[nef] VRRP Instance VI_1 - Entering BACKUP state'];
    t.same(subjects(), muted ? [want[0], want[2]] : want);
  });
}
