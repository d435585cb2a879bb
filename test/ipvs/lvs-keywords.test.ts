/**
 * Runs INSIDE the IPVS VM (issue #10), the whole daemon against the real kernel:
 * - lvs_method TUN type gue port N csum / gre: the tunnel attributes reach IPVS (read back over genl;
 *   ipvsadm 1.31 only prints "Tunnel");
 * - quorum_up at start-up, quorum_down/RS DOWN on crossing quorum - hysteresis, in the
 *   lvs_notify_fifo lines and smtp_alert mails keepalived 2.2.7 writes (observed in this VM);
 * - lvs_flush_on_stop VS: at SIGTERM our services go, a service made by ipvsadm stays;
 * - notify_fifo also carries the LVS lines; rs_init_notifies with alpha: only servers that start up
 *   (no checker) report RS UP, before VS UP; lvs_notify_fifo_script reads the lvs FIFO;
 * - lvs_sync_daemon IF VI_1 id 7: backup sync daemon at start, master once VI_1 is MASTER, none after stop.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { MAIN } from '../support/daemon';
import { close, ipvsadm, listen, sleep, startProc, until, type VmProc } from '../support/ipvs-vm';
import { NetlinkIpvs } from '../../src/lvs/ipvs';
import { SmtpSink } from '../support/smtp-sink';

function lab(t: Test): void {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  execFileSync('ip', ['link', 'add', 'tkw0', 'type', 'veth', 'peer', 'name', 'tkw1']);
  t.teardown(() => {
    try { execFileSync('ip', ['link', 'del', 'tkw0']); } catch { /* gone */ }
  });
  for (const a of ['192.0.2.1/24', '192.0.2.11/24', '192.0.2.12/24']) execFileSync('ip', ['addr', 'add', a, 'dev', 'tkw0']);
  execFileSync('ip', ['link', 'set', 'tkw0', 'up']);
  execFileSync('ip', ['link', 'set', 'tkw1', 'up']);
}

function daemon(t: Test, dir: string, conf: string, flag: string): VmProc {
  const file = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(file, conf);
  return startProc(t, [process.execPath, MAIN, '-n', '-l', '-D', flag, '-f', file, '-p', `${dir}/k.pid`, '-c', `${dir}/c.pid`, '-r', `${dir}/v.pid`]);
}

if (!fs.existsSync('/proc/net/ip_vs')) {
  t.plan(0, 'no IPVS in this kernel: run with npm run test:ipvs');
} else {
  t.test('TUN types, quorum at start and on crossings, lvs_notify_fifo, smtp_alert, lvs_flush_on_stop VS', { timeout: 180_000 }, async (t) => {
    lab(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-lvskw-'));
    const sink = new SmtpSink();
    const smtpPort = await sink.listen();
    t.teardown(() => sink.close());
    ipvsadm('-A', '-t', '192.0.2.200:80', '-s', 'rr');
    t.teardown(() => { try { ipvsadm('-C'); } catch { /* */ } });
    let s11: net.Server | undefined = await listen('192.0.2.11', 8080);
    let s12: net.Server | undefined = await listen('192.0.2.12', 8080);
    t.teardown(async () => { if (s11) await close(s11); if (s12) await close(s12); });
    const fifo = path.join(dir, 'lvs.fifo');
    const events = path.join(dir, 'events');
    const script = path.join(dir, 'ev.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$*" >> ${events}\n`, { mode: 0o755 });
    const conf = `global_defs {
  router_id lvskw
  notification_email {
    ops@example.org
  }
  notification_email_from lb@example.org
  smtp_server 127.0.0.1 ${smtpPort}
  smtp_alert_checker
  lvs_notify_fifo ${fifo}
  lvs_flush_on_stop VS
}
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  quorum 3
  hysteresis 1
  quorum_up "${script} QUORUM_UP"
  quorum_down "${script} QUORUM_DOWN"
  real_server 192.0.2.11 8080 {
    weight 2
    notify_down "${script} RS_DOWN 11"
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 192.0.2.12 8080 {
    weight 2
    notify_down "${script} RS_DOWN 12"
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 192.0.2.101 80 {
  lvs_sched rr
  protocol TCP
  real_server 192.0.2.13 80 {
    lvs_method TUN type gue port 6080 csum
  }
  real_server 192.0.2.14 80 {
    lvs_method TUN type gre
  }
}
`;
    // the FIFO exists before the daemon (as an operator's reader would have made it); read it as lines
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    let fifoText = '';
    const reader = fs.createReadStream(fifo, { encoding: 'utf8' });
    reader.on('data', (d) => (fifoText += d));
    reader.on('error', () => undefined);
    t.teardown(() => reader.destroy());
    const { cp, out, exited } = daemon(t, dir, conf, '-C');
    const ev = (): string => (fs.existsSync(events) ? fs.readFileSync(events, 'utf8') : '');

    t.ok(await until(() => /192\.0\.2\.12:8080\s+Masq\s+2/.test(ipvsadm()) && /192\.0\.2\.14:80\s+Tunnel/.test(ipvsadm()), 60_000), 'both VS programmed');
    const ipvs = await NetlinkIpvs.open({ timeoutMs: 10_000 });
    t.teardown(() => ipvs.close());
    const dests = await ipvs.listDests({ af: 'inet', protocol: 'tcp', addr: '192.0.2.101', port: 80, fwmark: 0 });
    t.same(dests.map((d) => `${d.addr} ${d.fwd} ${d.tunType} ${d.tunPort ?? '-'} ${d.tunCsum ?? '-'}`).sort(),
      ['192.0.2.13 tunnel gue 6080 csum', '192.0.2.14 tunnel gre - nocsum'], 'tunnel type, GUE port and checksum flags in the kernel');

    t.ok(await until(() => /QUORUM_UP/.test(ev()), 10_000), 'quorum_up ran at start-up (keepalived 2.2.7 does)');
    t.ok(await until(() => fifoText.includes('VS [192.0.2.100]:tcp:80 UP\n') && fifoText.includes('VS [192.0.2.101]:tcp:80 UP\n'), 10_000), 'FIFO: VS UP at start-up');
    t.ok(await until(() => sink.sessions.some((s) => s.data.includes('Subject: [lvskw] Virtualserver [192.0.2.100]:tcp:80 - UP') && s.data.includes('=> Starting with quorum up 3+1=4 <= 4 <=')), 10_000), 'mail: Starting with quorum up');

    // 12 down: live 2 = quorum - hysteresis, so quorum holds
    await close(s12); s12 = undefined;
    t.ok(await until(() => fifoText.includes('RS [192.0.2.12]:tcp:8080 [192.0.2.100]:tcp:80 DOWN\n'), 15_000), 'FIFO: RS DOWN');
    t.ok(await until(() => /RS_DOWN 12/.test(ev()), 5000), 'notify_down ran');
    t.notMatch(fifoText, /VS \[192\.0\.2\.100\]:tcp:80 DOWN/, 'live 2 is not below quorum 3 - hysteresis 1: no VS DOWN');
    // 11 down: live 0 < 2 → quorum lost
    await close(s11); s11 = undefined;
    t.ok(await until(() => fifoText.includes('VS [192.0.2.100]:tcp:80 DOWN\n'), 15_000), 'FIFO: VS DOWN');
    t.ok(await until(() => /QUORUM_DOWN/.test(ev()), 5000), 'quorum_down ran');
    t.ok(await until(() => sink.sessions.some((s) => s.data.includes('Virtualserver [192.0.2.100]:tcp:80 - DOWN') && s.data.includes('=> Lost quorum 3+1=2 <= 0 <=')), 10_000), 'mail: Lost quorum');
    t.ok(sink.sessions.some((s) => s.data.includes('Subject: [lvskw] Realserver [192.0.2.11]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - DOWN') && s.data.includes('=> TCP CHECK failed on service <=')), 'mail: Realserver DOWN');
    t.equal(ev().match(/QUORUM_UP/g)?.length, 1, 'quorum_up once');

    cp.kill('SIGTERM');
    t.equal(await Promise.race([exited, sleep(10_000).then(() => 'timeout')]), 0, 'SIGTERM: exit 0');
    const after = ipvsadm();
    t.notMatch(after, /192\.0\.2\.10[01]/, 'lvs_flush_on_stop VS: our services removed');
    t.match(after, /192\.0\.2\.200:80/, 'the service ipvsadm made is still there');
    void out;
  });

  t.test('rs_init_notifies + alpha: RS UP only for servers that start up, then VS UP; notify_fifo and lvs_notify_fifo_script get the lines', { timeout: 120_000 }, async (t) => {
    lab(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-rsinit-'));
    const nf = path.join(dir, 'notify.fifo');
    const lf = path.join(dir, 'lvs.fifo');
    const copied = path.join(dir, 'copied');
    const events = path.join(dir, 'events');
    const script = path.join(dir, 'ev.sh');
    const reader = path.join(dir, 'reader.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$*" >> ${events}\n`, { mode: 0o755 });
    fs.writeFileSync(reader, `#!/bin/sh\nexec cat "$1" >> ${copied}\n`, { mode: 0o755 });
    execFileSync('mkfifo', ['-m', '0600', nf]);
    let nfText = '';
    const rd = fs.createReadStream(nf, { encoding: 'utf8' });
    rd.on('data', (d) => (nfText += d));
    rd.on('error', () => undefined);
    t.teardown(() => rd.destroy());
    const s11 = await listen('192.0.2.11', 8080);
    t.teardown(() => close(s11));
    const conf = `global_defs {
  script_user root
  notify_fifo ${nf}
  lvs_notify_fifo ${lf}
  lvs_notify_fifo_script ${reader}
  rs_init_notifies
}
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  alpha
  quorum_up "${script} QUORUM_UP"
  real_server 192.0.2.11 8080 {
    notify_up "${script} RS_UP 11"
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 192.0.2.12 8080 {
    notify_up "${script} RS_UP 12"
    notify_down "${script} RS_DOWN 12"
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 192.0.2.13 8080 {
    notify_up "${script} RS_UP 13"
  }
}
`;
    const { cp, exited } = daemon(t, dir, conf, '-C');
    const start = ['RS [192.0.2.13]:tcp:8080 [192.0.2.100]:tcp:80 UP', 'VS [192.0.2.100]:tcp:80 UP'];
    t.ok(await until(() => nfText.split('\n').length > 2, 30_000), 'notify_fifo got lines');
    t.same(nfText.split('\n').slice(0, 2), start, 'start-up: RS UP for the server without checker, then VS UP (alpha servers say nothing)');
    t.ok(await until(() => nfText.includes('RS [192.0.2.11]:tcp:8080 [192.0.2.100]:tcp:80 UP\n'), 15_000), 'RS UP once its checker succeeds');
    const ev = (): string => (fs.existsSync(events) ? fs.readFileSync(events, 'utf8') : '');
    t.ok(await until(() => /RS_UP 11/.test(ev()), 5000));
    t.match(ev(), /RS_UP 13/);
    t.match(ev(), /QUORUM_UP/);
    t.notMatch(ev(), /RS_UP 12|RS_DOWN 12/, 'the alpha server that never came up: no notify');
    t.ok(await until(() => fs.existsSync(copied) && fs.readFileSync(copied, 'utf8').startsWith(start.join('\n') + '\n'), 10_000), 'lvs_notify_fifo_script read the same lines from the lvs FIFO');
    cp.kill('SIGTERM');
    t.equal(await Promise.race([exited, sleep(10_000).then(() => 'timeout')]), 0, 'SIGTERM: exit 0');
  });

  t.test('lvs_sync_daemon IF VI_1 id 7: backup at start, master while VI_1 is MASTER, none after stop', { timeout: 120_000 }, async (t) => {
    lab(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-syncd-'));
    const conf = `global_defs {
  lvs_sync_daemon tkw0 VI_1 id 7 port 8850
}
vrrp_instance VI_1 {
  interface tkw0
  state BACKUP
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.150/24
  }
}
`;
    const daemons = (): string => ipvsadm('-L', '--daemon');
    const seen: string[] = [];
    const { cp, out, exited } = daemon(t, dir, conf, '-P');
    const sample = (): string => {
      const d = daemons().trim();
      if (seen[seen.length - 1] !== d) seen.push(d);
      return d;
    };
    t.ok(await until(() => /backup sync daemon \(mcast=tkw0, syncid=7.*port=8850/.test(sample()), 20_000), 'backup sync daemon while BACKUP');
    t.notMatch(daemons(), /master sync daemon/, 'no master daemon while BACKUP');
    t.ok(await until(() => /master sync daemon \(mcast=tkw0, syncid=7/.test(sample()) && /Entering MASTER STATE/.test(out()), 30_000), 'master sync daemon once MASTER');
    t.notMatch(daemons(), /backup sync daemon/, 'backup daemon stopped when master started');
    execFileSync('ip', ['link', 'set', 'tkw1', 'down']);
    t.ok(await until(() => /backup sync daemon/.test(sample()) && !/master sync daemon/.test(daemons()), 15_000), 'FAULT (link down): back to the backup daemon');
    cp.kill('SIGTERM');
    t.equal(await Promise.race([exited, sleep(10_000).then(() => 'timeout')]), 0, 'SIGTERM: exit 0');
    t.equal(daemons().trim(), '', 'no sync daemon after stop');
    t.comment(seen.join(' | '));
  });
}
