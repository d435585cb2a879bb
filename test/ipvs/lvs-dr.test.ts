/**
 * Runs INSIDE the IPVS VM (npm run test:ipvs). The LVS-DR scenario end to end:
 * keepalived.conf text → config loader → checker runtime (real TCP/HTTP probes against real
 * nginx in network namespaces) → LvsRuntime → kernel IPVS over our netlink port, with a client
 * namespace fetching pages through the VIP by direct routing.
 *   VS 192.0.2.100:80 wrr, persistence 5 s, DR; RS .11 weight 2 (HTTP_GET, inhibit_on_failure =
 *   quiescent), RS .12 weight 3 (TCP_CHECK); quorum 2 with quorum_up/quorum_down scripts;
 *   sorry_server .200. The director is the VM's root namespace (IPVS is per namespace).
 */
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigText } from '../../src/config/load';
import { buildCheckers } from '../../src/check/build';
import { CheckerRuntime } from '../../src/runtime/checkers';
import { SystemClock } from '../../src/runtime/clock';
import { MemoryLogger } from '../../src/observe/log';
import { NetlinkIpvs } from '../../src/lvs/ipvs';
import { LvsRuntime } from '../../src/runtime/lvs';

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
const trySh = (cmd: string, args: string[]): void => { try { sh(cmd, args); } catch { /* best effort */ } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, fn: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(250);
  }
  return fn();
}
/** The VS entries of ipvsadm -Ln, whitespace collapsed (no counters). */
const table = (): string[] => sh('ipvsadm', ['-Ln']).split('\n').slice(3).map((l) => l.trim().replace(/\s+/g, ' ').replace(/ \d+ \d+$/, '')).filter(Boolean);

if (!existsSync('/proc/net/ip_vs')) {
  t.plan(0, 'no IPVS in this kernel: run with npm run test:ipvs');
} else {
  const P = `tdr${process.pid % 10000}`;
  const dir = mkdtempSync('/tmp/tsk-lvs-dr-');
  const nss: string[] = [];
  const nginx = new Map<string, ChildProcess>();

  const ns = (name: string, addr: string, vipOnLo: boolean): void => {
    const n = `${P}${name}`;
    sh('ip', ['netns', 'add', n]);
    nss.push(n);
    sh('ip', ['link', 'add', `${P}${name}v`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n]);
    sh('ip', ['link', 'set', `${P}${name}v`, 'master', `${P}br`, 'up']);
    sh('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', n, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', n, 'link', 'set', 'eth0', 'up']);
    if (vipOnLo) {
      // LVS-DR real server: the VIP on lo, never answered for in ARP
      sh('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.eth0.arp_ignore=1', 'net.ipv4.conf.eth0.arp_announce=2']);
      sh('ip', ['-n', n, 'addr', 'add', '192.0.2.100/32', 'dev', 'lo']);
    }
  };
  const startNginx = (name: string): void => {
    const d = join(dir, name);
    mkdirSync(join(d, 'www'), { recursive: true });
    writeFileSync(join(d, 'www', 'index.html'), `${name}\n`);
    writeFileSync(join(d, 'nginx.conf'), `user root; daemon off; master_process off; pid ${d}/nginx.pid; error_log ${d}/error.log;
events { worker_connections 64; }
http { access_log off; server { listen 80; root ${d}/www; } }
`);
    const cp = spawn('ip', ['netns', 'exec', `${P}${name}`, 'nginx', '-c', join(d, 'nginx.conf')], { stdio: 'ignore' });
    nginx.set(name, cp);
  };
  const stopNginx = async (name: string): Promise<void> => {
    const cp = nginx.get(name);
    nginx.delete(name);
    if (!cp || cp.exitCode !== null) return;
    const gone = new Promise((r) => cp.once('exit', r));
    cp.kill('SIGKILL');
    await Promise.race([gone, sleep(5000)]);
  };
  const listening = (name: string): boolean => {
    try { return sh('ip', ['netns', 'exec', `${P}${name}`, 'ss', '-Hltn', 'sport = :80']).includes(':80'); } catch { return false; }
  };
  /** One fetch from the client namespace through the VIP: the page body, or '' on failure. */
  const fetchVip = (): string => {
    try { return sh('ip', ['netns', 'exec', `${P}cl`, 'curl', '-s', '-m', '3', 'http://192.0.2.100/index.html']).trim(); } catch { return ''; }
  };

  t.teardown(async () => {
    for (const n of [...nginx.keys()]) await stopNginx(n);
    for (const n of nss) trySh('ip', ['netns', 'del', n]);
    trySh('ip', ['link', 'del', `${P}br`]);
    trySh('ipvsadm', ['-C']);
    rmSync(dir, { recursive: true, force: true });
  });

  t.test('LVS-DR: real servers leave and rejoin the table as nginx stops and starts', { timeout: 400_000 }, async (t) => {
    // director: bridge with 192.0.2.1 and the VIP (it answers ARP for the VIP; the real servers don't)
    sh('ip', ['link', 'add', `${P}br`, 'type', 'bridge']);
    sh('ip', ['addr', 'add', '192.0.2.1/24', 'dev', `${P}br`]);
    sh('ip', ['addr', 'add', '192.0.2.100/32', 'dev', `${P}br`]);
    sh('ip', ['link', 'set', `${P}br`, 'up']);
    // quiescent servers (weight 0) must not keep persistence templates alive
    sh('sysctl', ['-qw', 'net.ipv4.vs.expire_quiescent_template=1', 'net.ipv4.vs.expire_nodest_conn=1']);
    ns('rs1', '192.0.2.11', true);
    ns('rs2', '192.0.2.12', true);
    ns('sorry', '192.0.2.200', true);
    ns('cl', '192.0.2.50', false);
    for (const n of ['rs1', 'rs2', 'sorry']) startNginx(n);
    t.ok(await waitFor('nginx', () => ['rs1', 'rs2', 'sorry'].every(listening), 30_000), 'nginx listening in rs1, rs2, sorry');

    const events = join(dir, 'events.log');
    writeFileSync(events, '');
    const hook = join(dir, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$*" >> ${events}\n`);
    chmodSync(hook, 0o755);
    const conf = `
global_defs { router_id tsk_dr }
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method DR
  persistence_timeout 5
  protocol TCP
  quorum 2
  quorum_up "${hook} quorum_up"
  quorum_down "${hook} quorum_down"
  sorry_server 192.0.2.200 80
  real_server 192.0.2.11 80 {
    weight 2
    inhibit_on_failure
    notify_down "${hook} rs1_down"
    notify_up "${hook} rs1_up"
    HTTP_GET {
      url { path /index.html status_code 200 }
      connect_timeout 2
      retry 1
      delay_before_retry 1
    }
  }
  real_server 192.0.2.12 80 {
    weight 3
    TCP_CHECK { connect_timeout 2 retry 1 delay_before_retry 1 }
  }
}
`;
    const loaded = loadConfigText(conf, join(dir, 'keepalived.conf'), { configId: 'tsk' });
    t.ok(loaded.model, 'config loads: ' + loaded.diagnostics.map((d) => d.message).join('; '));
    if (!loaded.model) return;
    const model = loaded.model;
    const log = new MemoryLogger();
    const ipvs = await NetlinkIpvs.open({ timeoutMs: 10_000 });
    t.teardown(() => ipvs.close());
    const { servers } = buildCheckers(model, { hostname: 'tsk-ipvs-vm' });
    const checkers = new CheckerRuntime(servers, { clock: new SystemClock(), log, random: () => 0 });
    const lvs = new LvsRuntime({ model, ipvs, log, health: checkers, scriptTimeoutMs: 10_000 });
    t.teardown(() => checkers.stop());
    await lvs.start();
    checkers.start();
    const full = ['TCP 192.0.2.100:80 wrr persistent 5', '-> 192.0.2.11:80 Route 2', '-> 192.0.2.12:80 Route 3'];
    t.same(table(), full, 'both real servers in, weights 2 and 3, DR, wrr, persistent 5');
    const first = fetchVip();
    t.match(first, /^rs[12]$/, 'client reaches a real server through the VIP by DR');
    t.equal(fetchVip(), first, 'persistence: same real server again');

    await stopNginx('rs2');
    t.ok(await waitFor('rs2 out', () => !table().some((l) => l.includes('192.0.2.12')), 45_000), 'rs2 removed from the table');
    t.ok(log.has('Removing service [192.0.2.12]:tcp:80 from VS [192.0.2.100]:tcp:80'), 'keepalived wording');
    t.ok(await waitFor('rs1 serves', () => fetchVip() === 'rs1', 30_000), 'client now served by rs1');

    await stopNginx('rs1');
    t.ok(await waitFor('sorry', () => table().includes('-> 192.0.2.200:80 Route 1'), 45_000), 'sorry server added when quorum is lost');
    t.same(table(), ['TCP 192.0.2.100:80 wrr persistent 5', '-> 192.0.2.11:80 Route 0', '-> 192.0.2.200:80 Route 1'], 'rs1 quiescent at weight 0 (inhibit_on_failure)');
    t.ok(log.has('Disabling service [192.0.2.11]:tcp:80 of VS [192.0.2.100]:tcp:80'));
    t.ok(log.has(/Lost quorum 2-0=2 > 0 for VS \[192\.0\.2\.100\]:tcp:80/));
    t.ok(log.has('Adding sorry server [192.0.2.200]:tcp:80 to VS [192.0.2.100]:tcp:80'));
    t.ok(await waitFor('sorry serves', () => fetchVip() === 'sorry', 30_000), 'client gets the sorry page');

    startNginx('rs2');
    t.ok(await waitFor('rs2 back', () => table().includes('-> 192.0.2.12:80 Route 3'), 45_000), 'rs2 back after nginx restarts');
    t.ok(await waitFor('sorry gone', () => !table().some((l) => l.includes('192.0.2.200')), 10_000), 'sorry server removed on regained quorum');
    t.ok(log.has(/Gained quorum 2\+0=2 <= 3 for VS/));
    startNginx('rs1');
    t.ok(await waitFor('rs1 enabled', () => table().includes('-> 192.0.2.11:80 Route 2'), 45_000), 'rs1 enabled again');
    t.ok(log.has('Enabling service [192.0.2.11]:tcp:80 of VS [192.0.2.100]:tcp:80'));
    t.ok(await waitFor('scripts', () => /rs1_up/.test(readFileSync(events, 'utf8')), 10_000));
    const ev = readFileSync(events, 'utf8').trim().split('\n');
    // keepalived 2.2.7 runs quorum_up once at start-up when quorum is met (observed, test/ipvs/lvs-keywords)
    t.same(ev.filter((l) => l.startsWith('quorum')), ['quorum_up', 'quorum_down', 'quorum_up'], 'quorum scripts: up at start-up, then down and up once each, in order');
    t.same(ev.filter((l) => l.startsWith('rs1')), ['rs1_down', 'rs1_up'], 'notify_down / notify_up');

    checkers.stop();
    await lvs.stop();
    t.same(table(), [], 'shutdown removes our entries');
    if (t.passing() === false) t.comment(log.lines.map((l) => l.text).join('\n'));
  });
}
