/**
 * scripts/install.sh and scripts/uninstall.sh, in scratch directories only.
 *
 * 1. From a fresh copy of the tree (the files git knows, committed or not: no dist/, no
 *    native/build/, as a clone has them), the installer builds the addon and dist/ itself and
 *    installs into a scratch prefix. node_modules is linked from this checkout when it matches
 *    package-lock.json (the installer then skips `npm ci`, which needs the registry or its cache
 *    and minutes on this machine; it runs `npm ci` otherwise). The source copy is then deleted and
 *    the installed `keepalived` runs: --version, -t on a sample config; systemd-analyze verify
 *    accepts the installed unit. The installed uninstall.sh leaves the prefix empty.
 * 2. DESTDIR staging: an existing keepalived.conf is neither replaced nor removed; an example
 *    config changed after the install is kept by the uninstall.
 * 3. Debian's /usr/sbin/keepalived is never overwritten (--prefix /usr refused).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpDir, vrrpConfig } from '../support/daemon';

const ROOT = path.resolve(__dirname, '../../..');

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 300_000, cwd: opts.cwd, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

function listTree(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...listTree(p));
  }
  return out;
}

// dynamic_interfaces: -t here runs in the host's namespace, whose interface names this test cannot know
const sample = vrrpConfig({ routerId: 'lb1', global: 'dynamic_interfaces', priority: 100, vip: '192.0.2.10/24' });

t.test('fresh tree → build → install in a scratch prefix → run → uninstall leaves nothing', async (t) => {
  const work = tmpDir('install');
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  t.equal(files.status, 0, 'git ls-files');
  for (const f of files.out.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, f))) continue; // deleted, not yet committed
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(src, f));
    fs.chmodSync(path.join(src, f), fs.statSync(path.join(ROOT, f)).mode);
  }
  t.notOk(fs.existsSync(path.join(src, 'dist')) || fs.existsSync(path.join(src, 'native/build')), 'nothing built in the copy');
  // Linked, so it must already match the lock: install.sh would otherwise run npm ci through the link.
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; optional?: boolean }> };
  const stale = Object.entries(lock.packages).filter(([k, v]) => {
    if (!k.startsWith('node_modules/') || k.includes('/node_modules/', 1)) return false;
    try {
      return (JSON.parse(fs.readFileSync(path.join(ROOT, k, 'package.json'), 'utf8')) as { version?: string }).version !== v.version;
    } catch {
      return !v.optional;
    }
  });
  if (stale.length) {
    t.fail(`node_modules does not match package-lock.json (${stale.map(([k]) => k).slice(0, 5).join(', ')}): run npm ci first`);
    return;
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));

  fs.mkdirSync(path.join(work, 'root'));
  const prefix = path.join(work, 'root/usr/local');
  const unitdir = path.join(work, 'root/etc/systemd/system');
  const confdir = path.join(work, 'root/etc/keepalived');
  const debian = fs.existsSync('/usr/sbin/keepalived') ? fs.readFileSync('/usr/sbin/keepalived') : undefined;
  const started = Date.now();
  const inst = run('bash', [path.join(src, 'scripts/install.sh'), '--prefix', prefix, '--unitdir', unitdir, '--confdir', confdir], { cwd: work });
  t.equal(inst.status, 0, `install.sh exit 0 (${((Date.now() - started) / 1000).toFixed(0)} s)\n${inst.out}`);
  t.notMatch(inst.out, /npm ci/, 'node_modules matched the lock: no npm ci');
  t.match(inst.out, /building the native addon[\s\S]*building dist\//, 'built the addon and dist/');
  fs.rmSync(src, { recursive: true, force: true });

  const lib = path.join(prefix, 'lib/tskeepalived');
  const bin = path.join(prefix, 'sbin/keepalived');
  const v = run(bin, ['--version']);
  t.equal(v.status, 0, 'installed keepalived --version runs without the source tree');
  t.match(v.out, /Keepalived v2\.2\.7 \(tskeepalived \d+\.\d+\.\d+\)/);
  const conf = path.join(work, 'sample.conf');
  fs.writeFileSync(conf, sample);
  const check = run(bin, ['-t', '-f', conf]);
  t.equal(check.status, 0, `-t on a sample config exits 0 ${check.out}`);
  fs.writeFileSync(conf, sample.replace(/}\n$/, ''));
  t.not(run(bin, ['-t', '-f', conf]).status, 0, '-t on a broken config does not');
  t.ok(fs.existsSync(path.join(lib, 'node_modules/pino')), 'production dependencies installed');
  t.notOk(fs.existsSync(path.join(lib, 'node_modules/typescript')) || fs.existsSync(path.join(lib, 'node_modules/tap')), 'dev dependencies not');
  t.ok(fs.existsSync(path.join(prefix, 'share/man/man8/keepalived.8')) && fs.existsSync(path.join(prefix, 'share/man/man5/keepalived.conf.5')), 'man pages');
  t.equal(fs.readFileSync(path.join(confdir, 'keepalived.conf'), 'utf8'), fs.readFileSync(path.join(ROOT, 'keepalived.conf.example'), 'utf8'), 'example config where none was');
  const unit = path.join(unitdir, 'tskeepalived.service');
  const unitText = fs.readFileSync(unit, 'utf8');
  t.match(unitText, new RegExp(`^ExecStart=${bin.replace(/[.]/g, '\\.')} --dont-fork \\$DAEMON_ARGS$`, 'm'), 'unit runs the installed command');
  t.match(unitText, /^Conflicts=keepalived\.service$/m, "and conflicts with Debian's unit");
  const verify = run('systemd-analyze', ['verify', unit]);
  t.equal(verify.status, 0, `systemd-analyze verify of the installed unit ${verify.out}`);
  if (debian) t.ok(debian.equals(fs.readFileSync('/usr/sbin/keepalived')), "Debian's /usr/sbin/keepalived untouched");

  const un = run('bash', [path.join(lib, 'uninstall.sh')]);
  t.equal(un.status, 0, `installed uninstall.sh exit 0 ${un.out}`);
  t.same(listTree(path.join(work, 'root')), [], 'nothing left under the scratch root');
});

t.test('DESTDIR: an existing config is kept; a changed example config survives the uninstall', { skip: !fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js')) && 'needs npm run build' }, async (t) => {
  const dest = tmpDir('destdir');
  t.teardown(() => fs.rmSync(dest, { recursive: true, force: true }));
  const installer = path.join(ROOT, 'scripts/install.sh');
  const uninstaller = path.join(ROOT, 'scripts/uninstall.sh');
  fs.mkdirSync(path.join(dest, 'etc/keepalived'), { recursive: true });
  fs.writeFileSync(path.join(dest, 'etc/keepalived/keepalived.conf'), 'mine\n');
  const a = run('bash', [installer, '--no-build', '--destdir', dest]);
  t.equal(a.status, 0, `install ${a.out}`);
  t.equal(fs.readFileSync(path.join(dest, 'etc/keepalived/keepalived.conf'), 'utf8'), 'mine\n', 'existing config not replaced');
  t.match(fs.readFileSync(path.join(dest, 'usr/local/sbin/keepalived'), 'utf8'), /exec \S+ .*\/usr\/local\/lib\/tskeepalived\/dist\/src\/cli\/main\.js "\$@"/, 'wrapper points at the final location, not DESTDIR');
  const again = run('bash', [installer, '--no-build', '--destdir', dest]);
  t.equal(again.status, 0, 'a reinstall over itself works');
  t.equal(run('bash', [uninstaller, '--destdir', dest]).status, 0, 'uninstall');
  t.same(listTree(dest).map((p) => path.relative(dest, p)).sort(), ['etc', 'etc/keepalived', 'etc/keepalived/keepalived.conf'], 'only the user\'s config is left');

  fs.rmSync(path.join(dest, 'etc'), { recursive: true });
  t.equal(run('bash', [installer, '--no-build', '--destdir', dest]).status, 0, 'install with no config');
  fs.appendFileSync(path.join(dest, 'etc/keepalived/keepalived.conf'), '# edited\n');
  const un = run('bash', [uninstaller, '--destdir', dest]);
  t.match(un.out, /keeping .*keepalived\.conf \(changed since the install\)/);
  t.same(listTree(dest).map((p) => path.relative(dest, p)).sort(), ['etc', 'etc/keepalived', 'etc/keepalived/keepalived.conf'], 'the edited example config is kept, nothing else');
});

t.test("never overwrites another keepalived (Debian's /usr/sbin/keepalived)", { skip: !fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js')) && 'needs npm run build' }, async (t) => {
  const dest = tmpDir('debian');
  t.teardown(() => fs.rmSync(dest, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dest, 'usr/sbin'), { recursive: true });
  fs.writeFileSync(path.join(dest, 'usr/sbin/keepalived'), 'ELF debian\n');
  const r = run('bash', [path.join(ROOT, 'scripts/install.sh'), '--no-build', '--destdir', dest, '--prefix', '/usr']);
  t.not(r.status, 0, 'refused');
  t.match(r.out, /exists and is not ours/);
  t.equal(fs.readFileSync(path.join(dest, 'usr/sbin/keepalived'), 'utf8'), 'ELF debian\n', 'untouched');
  t.notOk(fs.existsSync(path.join(dest, 'usr/lib/tskeepalived')), 'nothing installed');
});
