/**
 * script_user end to end: with `script_user nobody` and enable_script_security, the daemon
 * (root) runs vrrp_scripts and notify hooks as nobody, while a script given its own user
 * (`user root` on a vrrp_script, `... root` after a notify command) runs as that user.
 * The scripts record `id -u` / `id -g` in a directory only they need to write to.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, isRoot, waitFor } from '../support/netns';
import { labDir, logsOnFailure, startDaemon, vrrpConfig } from '../support/daemon';

const skip = !isRoot() && 'needs root';

function ids(user: string): string {
  return `${execFileSync('id', ['-u', user]).toString().trim()}:${execFileSync('id', ['-g', user]).toString().trim()}`;
}

function read(f: string): string | undefined {
  try {
    return fs.readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
}

t.test('script_user: scripts and hooks run as that user unless they name their own', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = labDir(lab, 'suser'); // 0755: nobody must reach the scripts; only root may change them
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o777);
  const mk = (name: string, tag: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\necho "$(id -u):$(id -g)" > ${out}/${tag}.new && mv ${out}/${tag}.new ${out}/${tag}\nexit 0\n`);
    fs.chmodSync(p, 0o755);
    return p;
  };
  const chkDefault = mk('chk-default.sh', 'check-default');
  const chkRoot = mk('chk-root.sh', 'check-root');
  const hookDefault = mk('hook-default.sh', 'notify-default');
  const hookRoot = mk('hook-root.sh', 'notify-root');
  const config = vrrpConfig({
    routerId: 'suser',
    global: 'script_user nobody\n  enable_script_security',
    blocks: `vrrp_script chk_default {\n  script ${chkDefault}\n  interval 1\n}\nvrrp_script chk_root {\n  script ${chkRoot}\n  interval 1\n  user root\n}\n`,
    priority: 100,
    extra: `track_script {\n    chk_default\n    chk_root\n  }\n  notify_master ${hookDefault}\n  notify "${hookRoot}" root`,
  });
  const d = startDaemon(lab, h1, config, [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, '192.0.2.100'), 8000), 'master');
  const nobody = ids('nobody');
  t.ok(await waitFor(() => read(path.join(out, 'check-default')) !== undefined && read(path.join(out, 'notify-default')) !== undefined && read(path.join(out, 'notify-root')) !== undefined, 5000), 'all scripts ran');
  t.equal(read(path.join(out, 'check-default')), nobody, 'vrrp_script runs as script_user (nobody, its primary group)');
  t.equal(read(path.join(out, 'check-root')), '0:0', 'vrrp_script with `user root` runs as root');
  t.equal(read(path.join(out, 'notify-default')), nobody, 'notify_master runs as script_user');
  t.equal(read(path.join(out, 'notify-root')), '0:0', 'a notify command naming root runs as root');
  t.notMatch(d.out.text, /SECURITY VIOLATION|unsafe|not executable/i, 'no security complaint');
});
