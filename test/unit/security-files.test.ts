/**
 * Files root creates where others can write (CVE-2018-19044/19046 shapes): dumps, pid file,
 * -g log, ipvs-owned.json, track_file init_file. Each test plants what an unprivileged user
 * (uid 65534) could plant at the name the old code used (`<file>.<pid>.tmp` or the file
 * itself) in a world-writable NON-sticky directory, where fs.protected_symlinks and
 * fs.protected_regular do not apply whatever the host sets, and asserts the victim is untouched
 * and the result is root's, with keepalived's mode.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDump } from '../../src/observe/dump-writer';
import { writePidfile } from '../../src/cli/pidfile';
import { createLogger, MemoryLogger } from '../../src/observe/log';
import { createExclusive, openAppendSafe, writeFileReplacing } from '../../src/observe/safe-file';
import { LvsRuntime, type LvsModel } from '../../src/runtime/lvs';
import { Trackers } from '../../src/runtime/trackers';
import { SystemClock } from '../../src/runtime/clock';
import { FakeIpvs, vs } from './lvs-fixtures';

const NOBODY = 65534;
const snapshot = { takenAtMs: 0, instances: [] };

function lab(t: { teardown(fn: () => void): void }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-sec-'));
  fs.chmodSync(dir, 0o777); // world-writable, not sticky: the kernel's protections do not apply
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'root secret\n', { mode: 0o600 });
  const plantLink = (at: string, to = victim) => {
    fs.symlinkSync(to, at);
    fs.lchownSync(at, NOBODY, NOBODY);
  };
  const plantFile = (at: string) => {
    fs.writeFileSync(at, 'attacker\n', { mode: 0o666 });
    fs.chmodSync(at, 0o666);
    fs.chownSync(at, NOBODY, NOBODY);
  };
  return { dir, victim, plantLink, plantFile };
}

const mode = (p: string) => fs.statSync(p).mode & 0o7777;

t.test('dumps: a symlink at the old temporary name is not followed', async (t) => {
  const { dir, victim, plantLink } = lab(t);
  const file = path.join(dir, 'keepalived.data');
  plantLink(`${file}.${process.pid}.tmp`);
  const r = writeDump('data', snapshot, file);
  t.ok(r.ok, 'dump written');
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n', 'victim untouched');
  t.notOk(fs.lstatSync(file).isSymbolicLink());
  t.match(fs.readFileSync(file, 'utf8'), /VRRP Topology/);
});

t.test('dumps: a pre-created temporary file is not adopted; the dump is root 0600 whatever the umask', async (t) => {
  const { dir, plantFile } = lab(t);
  const file = path.join(dir, 'keepalived.json');
  plantFile(`${file}.${process.pid}.tmp`);
  const old = process.umask(0);
  try {
    t.ok(writeDump('json', snapshot, file).ok);
  } finally {
    process.umask(old);
  }
  const st = fs.statSync(file);
  t.equal(st.uid, 0, 'owned by root, not by the planter');
  t.equal(mode(file), 0o600, 'keepalived dump mode');
  t.same(fs.readdirSync(dir).filter((n) => n.includes('keepalived.json.') && !n.endsWith(`${process.pid}.tmp`)), [], 'no temporary file left');
});

t.test('dumps: a symlink AT the dump path is replaced, not written through', async (t) => {
  const { dir, victim, plantLink } = lab(t);
  const file = path.join(dir, 'keepalived.stats');
  plantLink(file);
  t.ok(writeDump('stats', snapshot, file).ok);
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n');
  t.notOk(fs.lstatSync(file).isSymbolicLink());
  t.equal(fs.statSync(file).uid, 0);
});

t.test('pid file: planted link or file at the old temporary name changes nothing; 0644 like keepalived', async (t) => {
  const { dir, victim, plantLink, plantFile } = lab(t);
  const a = path.join(dir, 'a.pid');
  plantLink(`${a}.4242.tmp`);
  t.same(writePidfile(a, 4242), { ok: true });
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n');
  const b = path.join(dir, 'b.pid');
  plantFile(`${b}.4243.tmp`);
  const old = process.umask(0);
  try {
    t.same(writePidfile(b, 4243), { ok: true });
  } finally {
    process.umask(old);
  }
  t.equal(fs.statSync(b).uid, 0);
  t.equal(mode(b), 0o644);
  t.equal(fs.readFileSync(b, 'utf8'), '4243\n');
});

t.test('-g log file: not opened through a symlink, nor when planted by someone else', async (t) => {
  const { dir, victim, plantLink, plantFile } = lab(t);
  const linked = path.join(dir, 'keepalived_vrrp.log');
  plantLink(linked);
  const err = process.stderr.write;
  const said: string[] = [];
  process.stderr.write = ((s: string) => (said.push(String(s)), true)) as typeof process.stderr.write;
  try {
    createLogger({ console: false, json: false, syslog: false, file: linked, detail: false }).info('hello');
    const planted = path.join(dir, 'planted.log');
    plantFile(planted);
    createLogger({ console: false, json: false, syslog: false, file: planted, detail: false }).info('hello');
    t.equal(fs.readFileSync(planted, 'utf8'), 'attacker\n', 'a file owned by someone else is not adopted');
  } finally {
    process.stderr.write = err;
  }
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n', 'victim untouched');
  t.equal(said.filter((s) => /Unable to open log file/.test(s)).length, 2, 'both refusals said so');
  const fresh = path.join(dir, 'fresh.log');
  createLogger({ console: false, json: false, syslog: false, file: fresh, detail: false }).info('hello');
  t.equal(mode(fresh), 0o600);
  t.match(fs.readFileSync(fresh, 'utf8'), /hello/);
  // a hard link to a root file is refused as well
  const hard = path.join(dir, 'hard.log');
  fs.linkSync(victim, hard);
  t.throws(() => openAppendSafe(hard), { code: 'ERR_UNSAFE_FILE' });
});

t.test('ipvs-owned.json: the old fixed .tmp name is not followed', async (t) => {
  const { dir, victim, plantLink } = lab(t);
  const state = path.join(dir, 'ipvs-owned.json');
  plantLink(`${state}.tmp`);
  const model: LvsModel = { virtualServers: [vs({ address: '192.0.2.100', port: 80 })], virtualServerGroups: [], globalDefs: { lvsFlush: false, lvsFlushOnStop: false }, vrrpInstances: [] };
  const rt = new LvsRuntime({ model, ipvs: new FakeIpvs(), log: new MemoryLogger(), ownedStateFile: state });
  await rt.start();
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n');
  t.equal((JSON.parse(fs.readFileSync(state, 'utf8')) as string[]).length, 1);
  t.equal(mode(state), 0o600);
  await rt.stop();
});

t.test('track_file init_file: neither an existing nor a dangling symlink is written through', async (t) => {
  const { dir, victim, plantLink } = lab(t);
  const over = path.join(dir, 'over');
  plantLink(over);
  const dangling = path.join(dir, 'dangling');
  const target = path.join(dir, 'created-by-root');
  plantLink(dangling, target);
  const tr = new Trackers({ clock: new SystemClock(), log: new MemoryLogger(), onChange: () => {}, filePollMs: 600_000 });
  t.teardown(() => tr.stop());
  tr.addFile({ name: 'o', path: over, initFile: { value: 5, overwrite: true } });
  tr.addFile({ name: 'd', path: dangling, initFile: { value: 6, overwrite: false } });
  tr.start();
  t.equal(fs.readFileSync(victim, 'utf8'), 'root secret\n', 'overwrite replaced the link, not its target');
  t.equal(fs.readFileSync(over, 'utf8'), '5\n');
  t.notOk(fs.existsSync(target), 'no file created at the dangling link target');
  t.equal(tr.fileValue('o'), 5);
});

t.test('safe-file primitives: exclusive create refuses links and existing files', async (t) => {
  const { dir, plantLink } = lab(t);
  const l = path.join(dir, 'l');
  plantLink(l);
  t.throws(() => createExclusive(l, 0o600), { code: 'EEXIST' });
  const f = path.join(dir, 'f');
  writeFileReplacing(f, 'x');
  t.throws(() => createExclusive(f, 0o600), { code: 'EEXIST' });
  t.throws(() => writeFileReplacing(path.join(dir, 'nodir', 'x'), 'x'), { code: 'ENOENT' });
  t.same(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file survives');
});
