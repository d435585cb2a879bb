/**
 * The scenario users follow from countless tutorials: two hosts each running real nginx and our
 * daemon, a `check_nginx` vrrp_script with weight 2, priorities 100/99. Stopping nginx on the
 * master moves the VIP, starting it again moves it back (preempt) or not (nopreempt), and each
 * transition runs the notify hooks exactly once with keepalived's arguments (recorded by the hook).
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, type RunningDaemon } from '../support/daemon';

const VIP = '192.0.2.100';
const skip = (!isRoot() && 'needs root') || (!fs.existsSync('/usr/sbin/nginx') && 'nginx not installed');

function startNginx(lab: Lab, h: LabHost, dir: string): ChildProcess {
  const prefix = path.join(dir, 'nginx');
  fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  fs.writeFileSync(
    path.join(prefix, 'nginx.conf'),
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server { listen 127.0.0.1:8080; location / { return 200 "ok ${h.name}\\n"; } }
}
`,
  );
  return lab.spawn(h.ns, ['/usr/sbin/nginx', '-p', prefix, '-c', `${prefix}/nginx.conf`, '-g', 'daemon off;']);
}

async function stopNginx(cp: ChildProcess): Promise<void> {
  cp.kill('SIGTERM');
  await waitFor(() => cp.exitCode !== null || cp.signalCode !== null, 5000);
}

function writeScript(p: string, body: string): void {
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, 0o755);
}

function config(dir: string, priority: number, extra = ''): string {
  const hooks = path.join(dir, 'hooks.log');
  writeScript(path.join(dir, 'check_nginx.sh'), 'exec curl -s -o /dev/null -m 1 http://127.0.0.1:8080/');
  writeScript(path.join(dir, 'notify.sh'), `echo "notify $*" >> ${hooks}`);
  writeScript(path.join(dir, 'state.sh'), `echo "$1" >> ${hooks}`);
  return `global_defs {
  router_id ${path.basename(dir)}
  enable_script_security
  script_user root
}
vrrp_script check_nginx {
  script "${dir}/check_nginx.sh"
  interval 1
  timeout 2
  weight 2
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  ${extra}
  track_script {
    check_nginx
  }
  notify ${dir}/notify.sh
  notify_master "${dir}/state.sh master"
  notify_backup "${dir}/state.sh backup"
  notify_fault "${dir}/state.sh fault"
  notify_stop "${dir}/state.sh stop"
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

function hookLines(d: RunningDaemon): string[] {
  try {
    return fs.readFileSync(path.join(d.dir, 'hooks.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Every "Entering X STATE" has exactly one `notify` line and one notify_<x> line, in order. */
function checkHooks(t: Test, d: RunningDaemon, expected: Array<[string, number[]]>): void {
  const lines = hookLines(d);
  const notifies = lines.filter((l) => l.startsWith('notify '));
  const singles = lines.filter((l) => !l.startsWith('notify '));
  t.equal(notifies.length, expected.length, `${d.host.name}: ${expected.length} notify calls (${notifies.join(' | ')})`);
  t.same(singles, expected.map(([s]) => s.toLowerCase()), `${d.host.name}: notify_<state> hooks once per transition`);
  expected.forEach(([state, prios], i) => {
    const m = /^notify INSTANCE VI_1 (\w+) (\d+)$/.exec(notifies[i] ?? '');
    t.ok(m, `${d.host.name}: notify line ${i} has keepalived's 4 arguments: ${notifies[i]}`);
    t.equal(m?.[1], state, `${d.host.name}: transition ${i} is ${state}`);
    t.ok(prios.includes(Number(m?.[2])), `${d.host.name}: priority ${m?.[2]} in [${prios}]`);
  });
}

async function settleHooks(d: RunningDaemon, n: number): Promise<void> {
  await waitFor(() => hookLines(d).length >= 2 * n, 3000);
}

t.test('nginx + check_nginx (weight 2, 100/99): VIP follows nginx, preempts back, hooks once each', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const [dir1, dir2] = [tmpDir('ngx1'), tmpDir('ngx2')];
  let n1 = startNginx(lab, h1, dir1);
  startNginx(lab, h2, dir2);
  // h1 first, so the expected hook sequence is fixed (no start-up race between equal timers).
  const d1 = startDaemon(lab, h1, config(dir1, 100), [], dir1);
  t.ok(await d1.out.waitFor('VRRP_Script(check_nginx) succeeded', 8000), 'h1 check succeeds');
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 100 to 102', 8000), 'h1 logs 100 -> 102');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 (102) is master');
  const d2 = startDaemon(lab, h2, config(dir2, 99), [], dir2);
  logsOnFailure(t, d1, d2);
  t.ok(await d2.out.waitFor('(VI_1) Changing effective priority from 99 to 101', 8000), 'h2 logs 99 -> 101');
  await settleHooks(d1, 2);

  await stopNginx(n1);
  t.ok(await d1.out.waitFor(/VRRP_Script\(check_nginx\) failed/, 5000), 'h1 check fails');
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 102 to 100', 3000), 'h1 logs 102 -> 100');
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 6000), 'h2 (101) takes the VIP');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h1, VIP)), 3000), 'h1 released it');
  await settleHooks(d1, 3);

  n1 = startNginx(lab, h1, dir1);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 10000), 'nginx back on h1: h1 (102) preempts');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h2, VIP)), 3000), 'h2 released it');
  await settleHooks(d1, 4);
  await settleHooks(d2, 3);
  checkHooks(t, d1, [['BACKUP', [100, 102]], ['MASTER', [102]], ['BACKUP', [100]], ['MASTER', [102]]]);
  checkHooks(t, d2, [['BACKUP', [99, 101]], ['MASTER', [101]], ['BACKUP', [101]]]);
  void n1;
});

t.test('nopreempt on the recovered node: the VIP stays where it went', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const [dir1, dir2] = [tmpDir('ngx1'), tmpDir('ngx2')];
  const n1 = startNginx(lab, h1, dir1);
  startNginx(lab, h2, dir2);
  // h1 starts first: with nopreempt, whoever is master first keeps it, so no start-up race.
  const d1 = startDaemon(lab, h1, config(dir1, 100, 'nopreempt'), [], dir1);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 is master');
  const d2 = startDaemon(lab, h2, config(dir2, 99), [], dir2);
  logsOnFailure(t, d1, d2);
  t.ok(await d2.out.waitFor('(VI_1) Changing effective priority from 99 to 101', 8000), 'h2 at 101');
  await stopNginx(n1);
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 8000), 'h2 takes the VIP');
  startNginx(lab, h1, dir1);
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 100 to 102', 8000), 'h1 back at 102');
  await waitFor(() => false, 4000);
  t.ok(await lab.hasAddress(h2, VIP), 'h2 keeps the VIP (h1 nopreempt)');
  t.notOk(await lab.hasAddress(h1, VIP), 'h1 stays backup');
  await settleHooks(d1, 3);
  checkHooks(t, d1, [['BACKUP', [100, 102]], ['MASTER', [102]], ['BACKUP', [100]]]);

  // Stopping runs notify_stop and `notify ... STOP` once each before the daemon exits.
  d2.cp.kill('SIGTERM');
  t.equal(await d2.exited, 0, 'h2 stopped cleanly');
  const tail = hookLines(d2).slice(-2).sort();
  t.same(tail, ['notify INSTANCE VI_1 STOP 101', 'stop'], `h2 stop hooks: ${tail.join(' | ')}`);
  t.equal(hookLines(d2).filter((l) => l === 'stop').length, 1, 'notify_stop ran once');
});
