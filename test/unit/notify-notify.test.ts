import t from 'tap';
import { mailWanted, fifoLine, hookCalls, lvsRsLine, lvsVsLine, notifyConfigOf, reportedState, vrrpMail } from '../../src/notify/notify';

t.test('specific hook first, then notify with the 4 extra args', async (t) => {
  const cfg = { notifyMaster: { cmd: '/etc/ka/master.sh "arg one"' }, notify: { cmd: '/etc/ka/notify.sh', user: 'ks' } };
  t.same(hookCalls(cfg, 'INSTANCE', 'VI_1', 'MASTER', 102), [
    { argv: ['/etc/ka/master.sh', 'arg one'], keyword: 'notify_master' },
    { argv: ['/etc/ka/notify.sh', 'INSTANCE', 'VI_1', 'MASTER', '102'], keyword: 'notify', user: 'ks' },
  ]);
  t.same(hookCalls(cfg, 'GROUP', 'G1', 'BACKUP', 100), [
    { argv: ['/etc/ka/notify.sh', 'GROUP', 'G1', 'BACKUP', '100'], keyword: 'notify', user: 'ks' },
  ]);
  t.same(hookCalls({}, 'INSTANCE', 'VI_1', 'FAULT', 1), []);
});

t.test('DELETED needs notify_deleted, else FAULT', async (t) => {
  const withFault = { notifyFault: { cmd: ['/f'] }, notify: { cmd: ['/n'] } };
  t.equal(reportedState(withFault, 'DELETED'), 'FAULT');
  t.same(hookCalls(withFault, 'INSTANCE', 'V', 'DELETED', 100).map((c) => c.argv), [['/f'], ['/n', 'INSTANCE', 'V', 'FAULT', '100']]);
  const withDeleted = { ...withFault, notifyDeleted: { cmd: [] } };
  t.same(hookCalls(withDeleted, 'INSTANCE', 'V', 'DELETED', 100).map((c) => c.argv), [['/n', 'INSTANCE', 'V', 'DELETED', '100']]);
});

t.test('STOP runs notify_stop', async (t) => {
  t.same(hookCalls({ notifyStop: { cmd: '/s' } }, 'INSTANCE', 'V', 'STOP', 100).map((c) => c.keyword), ['notify_stop']);
});

t.test('fifo and LVS lines', async (t) => {
  t.equal(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  t.equal(fifoLine('GROUP', 'G', 'FAULT', 0), 'GROUP "G" FAULT 0\n');
  t.equal(lvsVsLine('[192.168.201.15]:tcp:80', true), 'VS [192.168.201.15]:tcp:80 UP\n');
  t.equal(lvsRsLine('[1.2.3.4]:tcp:80', '[192.168.201.15]:tcp:80', false), 'RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n');
});

t.test('mail text', async (t) => {
  t.same(vrrpMail('lb1', 'INSTANCE', 'VI_1', 'MASTER'), { subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=' });
  t.equal(vrrpMail('lb1', 'INSTANCE', 'VI_1', 'FAULT').body, '=> VRRP Instance is no longer owning VRRP VIPs <=');
  t.same(vrrpMail('lb1', 'GROUP', 'G', 'BACKUP'), { subject: '[lb1] VRRP Group G - Entering BACKUP state', body: '=> All VRRP group instances are now in BACKUP state <=' });
  t.same(vrrpMail('lb1', 'INSTANCE', 'VI_1', 'STOP'), { subject: '[lb1] VRRP Instance VI_1 - Stopping', body: '=> VRRP Instance stopping <=' });
});

t.test('mailWanted', async (t) => {
  t.equal(mailWanted('MASTER', { smtpAlert: false, noEmailFaults: false }), false);
  t.equal(mailWanted('MASTER', { smtpAlert: true, noEmailFaults: false }), true);
  t.equal(mailWanted('MASTER', { smtpAlert: true, noEmailFaults: false, lastMailed: 'MASTER' }), false, 'same state mailed once');
  t.equal(mailWanted('FAULT', { smtpAlert: true, noEmailFaults: true }), false);
  t.equal(mailWanted('FAULT', { smtpAlert: true, noEmailFaults: false, lastMailed: 'MASTER' }), true);
});

t.test('notifyConfigOf maps the model', async (t) => {
  const loc = { file: 'f', line: 1, col: 1 };
  const cfg = notifyConfigOf({
    notifyMaster: { command: '/m x', argv: ['/m', 'x'], user: 'u', group: 'g', loc },
    notify: { command: '/n', argv: ['/n'], loc },
    notifyDeleted: true,
    notifyPriorityChanges: false,
  });
  t.same(cfg, { notifyMaster: { cmd: ['/m', 'x'], user: 'u', group: 'g' }, notify: { cmd: ['/n'] }, notifyDeleted: { cmd: [] } });
});
