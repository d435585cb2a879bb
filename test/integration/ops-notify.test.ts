/**
 * Day-2 operations in the running daemon: notify_fifo lines (read by notify_fifo_script),
 * smtp_alert to an SMTP sink inside the namespace, SIGUSR1/SIGUSR2 dumps to the files named
 * by state_dump_file/stats_dump_file, and script security (SECURITY VIOLATION without it,
 * unsafe scripts refused with the reason).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, OutputWatcher } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';
import { WireCapture } from '../../scripts/bench/wire-capture';

const VIP = '192.0.2.100';
const skip = !isRoot() && 'needs root';
const SINK = path.resolve(__dirname, '../support/smtp-sink.js');

function readLines(f: string): string[] {
  try {
    return fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

t.test('notify_fifo lines, smtp_alert mails, USR1/USR2 dumps to configured files', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('ops');
  const mails = path.join(dir, 'mails.json');
  const sinkCp = lab.spawn(h1.ns, [
    process.execPath,
    '-e',
    `const { SmtpSink } = require(${JSON.stringify(SINK)}); const fs = require('fs');
     const s = new SmtpSink(); s.listen().then((p) => console.log('PORT ' + p));
     setInterval(() => fs.writeFileSync(${JSON.stringify(mails)}, JSON.stringify(s.sessions)), 100);`,
  ]);
  const sinkOut = new OutputWatcher(sinkCp);
  t.ok(await sinkOut.waitFor(/PORT \d+/, 5000), 'SMTP sink listening in the namespace');
  const port = /PORT (\d+)/.exec(sinkOut.text)?.[1];
  const reader = path.join(dir, 'fifo-reader.sh');
  fs.writeFileSync(reader, `#!/bin/sh\nexec cat "$1" >> ${dir}/fifo.out\n`);
  fs.chmodSync(reader, 0o755);
  const global = `enable_script_security
  script_user root
  notify_fifo ${dir}/notify.fifo
  notify_fifo_script ${reader}
  smtp_server 127.0.0.1 ${port}
  smtp_connect_timeout 5
  notification_email {
    ops@example.org
  }
  notification_email_from kad@example.org
  state_dump_file ${dir}/k.data
  stats_dump_file ${dir}/k.stats
  json_dump_file ${dir}/k.json`;
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global, extra: 'smtp_alert' }), [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'master');
  t.ok(
    await waitFor(() => readLines(path.join(dir, 'fifo.out')).includes('INSTANCE "VI_1" MASTER 100'), 3000),
    'FIFO: INSTANCE "VI_1" MASTER 100',
  );
  t.same(readLines(path.join(dir, 'fifo.out')), ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 100'], 'one FIFO line per transition');

  const sessions = (): Array<{ commands: string[]; data: string }> => {
    try {
      return JSON.parse(fs.readFileSync(mails, 'utf8')) as Array<{ commands: string[]; data: string }>;
    } catch {
      return [];
    }
  };
  t.ok(await waitFor(() => sessions().some((s) => /MASTER/.test(s.data)), 5000), 'an alert mail for MASTER reached the sink');
  const m = sessions().find((s) => /MASTER/.test(s.data));
  t.ok(m?.commands.some((c) => /^RCPT TO:\s*<ops@example\.org>/i.test(c)), 'sent to notification_email');
  t.ok(m?.commands.some((c) => /^MAIL FROM:\s*<kad@example\.org>/i.test(c)), 'from notification_email_from');
  t.match(m?.data ?? '', /VI_1/, 'the mail names the instance');

  d.cp.kill('SIGUSR1');
  t.ok(await waitFor(() => fs.existsSync(path.join(dir, 'k.data')), 3000), 'SIGUSR1 wrote state_dump_file');
  const data = fs.readFileSync(path.join(dir, 'k.data'), 'utf8');
  t.match(data, /VRRP Instance = VI_1/, 'data dump names the instance');
  t.match(data, /State = MASTER/, 'data dump shows MASTER');
  d.cp.kill('SIGUSR2');
  t.ok(await waitFor(() => fs.existsSync(path.join(dir, 'k.stats')), 3000), 'SIGUSR2 wrote stats_dump_file');
  const stats = fs.readFileSync(path.join(dir, 'k.stats'), 'utf8');
  const sent = Number(/Sent: (\d+)/.exec(stats)?.[1]);
  t.ok(sent >= 1, `stats: ${sent} adverts sent`);
  t.match(stats, /Became master: 1/, 'stats: became master once');
  t.ok(d.out.has('Printing VRRP data for process'), 'USR1 logged');
});

t.test('script security: violation warning without it; unsafe script refused with the reason', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('sec');
  fs.chmodSync(dir, 0o755);
  const unsafe = path.join(dir, 'unsafe.sh');
  fs.writeFileSync(unsafe, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(unsafe, 0o777); // world-writable: anyone could make root run anything
  const scripts = `}
vrrp_script chk {
  script "${unsafe}"
  interval 1
  weight 10
}
global_defs {`;
  const extra = 'track_script {\n    chk\n  }';
  const d0 = startDaemon(lab, h1, vrrpConfig({ priority: 100, global: scripts, extra }), [], tmpDir('sec0'));
  t.ok(await d0.out.waitFor('SECURITY VIOLATION - scripts are being executed but script_security not enabled.', 5000), 'violation warned without enable_script_security');
  t.ok(await d0.out.waitFor('(VI_1) Changing effective priority from 100 to 110', 5000), 'without security the script still runs');
  d0.cp.kill('SIGTERM');
  await d0.exited;

  const d1 = startDaemon(lab, h1, vrrpConfig({ priority: 100, global: `${scripts}\n  enable_script_security\n  script_user root`, extra }), [], tmpDir('sec1'));
  logsOnFailure(t, d1);
  t.ok(await d1.out.waitFor(`Unsafe permissions found for script '${unsafe}' - disabling.`, 5000), 'unsafe script refused');
  t.ok(d1.out.has(new RegExp(`${unsafe.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is writable by others`)), 'the message says what is unsafe');
  t.notOk(d1.out.has('SECURITY VIOLATION'), 'no violation warning with security on');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'the instance still runs');
  t.notOk(d1.out.has('Changing effective priority'), 'the refused script never ran');
});

t.test('a slow notify hook never delays adverts', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('slow');
  const slow = path.join(dir, 'slow.sh');
  fs.writeFileSync(slow, `#!/bin/sh\nsleep 10\necho done >> ${dir}/slow.out\n`);
  fs.chmodSync(slow, 0o755);
  const cap = new WireCapture(lab.bridgeNs);
  t.teardown(() => cap.stop());
  await cap.ready();
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global: 'enable_script_security\n  script_user root', extra: `notify_master ${slow}\n  notify ${slow}` }), [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'master');
  const masterAt = Date.now() / 1000;
  await waitFor(() => false, 4500);
  const ads = cap.adverts.filter((a) => a.vrid === 51 && a.t >= masterAt - 1.2);
  t.ok(ads.length >= 4, `${ads.length} adverts while the hooks sleep`);
  const gaps = ads.slice(1).map((a, i) => a.t - (ads[i] as { t: number }).t);
  t.ok(Math.max(...gaps) <= 1.05, `largest gap ${Math.round(Math.max(...gaps) * 1000)} ms`);
  t.notOk(fs.existsSync(path.join(dir, 'slow.out')), 'the hooks were still running meanwhile');
});
