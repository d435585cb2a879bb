import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applySysctls, confPath, fsSysctlIo, readConf, restoreSysctls, SysctlError, vmacSysctlPlan, type SysctlIo,
} from '../../src/net/sysctl';

/** A fake /proc/sys tree in a temp dir with the given files. */
function tree(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'tk-sysctl-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [p, v] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), `${v}\n`);
  }
  return root;
}

const read = (root: string, p: string): string => readFileSync(join(root, p), 'utf8').trim();

t.test('paths need no escaping for dotted names and reject path tricks', async (t) => {
  t.equal(confPath('inet', 'vrrp.51', 'arp_ignore'), 'net/ipv4/conf/vrrp.51/arp_ignore');
  t.equal(confPath('inet6', 'all', 'disable_ipv6'), 'net/ipv6/conf/all/disable_ipv6');
  t.throws(() => confPath('inet', '..', 'x'), RangeError);
  t.throws(() => confPath('inet', 'eth0/../../x', 'rp_filter'), RangeError);
  t.throws(() => confPath('inet', 'eth0', '../x'), RangeError);
});

t.test('the use_vmac plan: what keepalived 2.2.7 set, plus arp_announce=2 on the base', async (t) => {
  t.same(vmacSysctlPlan('eth0', 'vrrp.51', 'inet').map((s) => `${confPath(s.family, s.ifname, s.key)}=${s.value}`), [
    'net/ipv4/conf/eth0/arp_ignore=1',
    'net/ipv4/conf/eth0/arp_filter=1',
    'net/ipv4/conf/eth0/arp_announce=2',
    'net/ipv4/conf/vrrp.51/arp_ignore=1',
    'net/ipv4/conf/vrrp.51/arp_filter=0',
    'net/ipv4/conf/vrrp.51/accept_local=1',
    'net/ipv4/conf/vrrp.51/rp_filter=0',
    'net/ipv6/conf/vrrp.51/disable_ipv6=1',
  ]);
  t.same(vmacSysctlPlan('eth0', 'vrrp6.51', 'inet6'), [], 'IPv6 VMACs only get addrgenmode none (netlink)');
});

t.test('apply records previous values, skips unchanged ones, restore undoes', async (t) => {
  const root = tree(t, {
    'net/ipv4/conf/eth0/arp_ignore': '0', 'net/ipv4/conf/eth0/arp_filter': '0', 'net/ipv4/conf/eth0/arp_announce': '0',
    'net/ipv4/conf/vrrp.51/arp_ignore': '0', 'net/ipv4/conf/vrrp.51/arp_filter': '0',
    'net/ipv4/conf/vrrp.51/accept_local': '0', 'net/ipv4/conf/vrrp.51/rp_filter': '2',
    'net/ipv6/conf/vrrp.51/disable_ipv6': '0',
  });
  const io = fsSysctlIo(root);
  const applied = applySysctls(io, vmacSysctlPlan('eth0', 'vrrp.51', 'inet'));
  t.equal(applied.length, 7, 'arp_filter=0 on the vmac was already right');
  t.equal(read(root, 'net/ipv4/conf/eth0/arp_ignore'), '1');
  t.equal(read(root, 'net/ipv4/conf/vrrp.51/rp_filter'), '0');
  t.equal(read(root, 'net/ipv6/conf/vrrp.51/disable_ipv6'), '1');
  t.equal(applied.find((a) => a.key === 'rp_filter')?.previous, '2');
  t.same(restoreSysctls(io, applied), []);
  t.equal(read(root, 'net/ipv4/conf/eth0/arp_ignore'), '0');
  t.equal(read(root, 'net/ipv4/conf/vrrp.51/rp_filter'), '2');
});

t.test('a failure part way rolls back and reports errno', async (t) => {
  const root = tree(t, { 'net/ipv4/conf/eth0/arp_ignore': '0', 'net/ipv4/conf/eth0/arp_filter': '0', 'net/ipv4/conf/eth0/arp_announce': '0' });
  const io = fsSysctlIo(root);
  const plan = vmacSysctlPlan('eth0', 'vrrp.9', 'inet'); // the vmac's directory does not exist
  let caught: unknown;
  try {
    applySysctls(io, plan);
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof SysctlError, 'throws SysctlError');
  t.match(caught, { code: 'ERR_SYSCTL', sysCode: 'ENOENT', errno: 2, path: 'net/ipv4/conf/vrrp.9/arp_ignore' });
  t.equal(read(root, 'net/ipv4/conf/eth0/arp_ignore'), '0', 'rolled back');
  t.equal(read(root, 'net/ipv4/conf/eth0/arp_filter'), '0', 'rolled back');
});

t.test('restore skips interfaces that are gone and collects other errors', async (t) => {
  const writes: string[] = [];
  const io: SysctlIo = {
    read: () => '0',
    write: (p, v) => {
      if (p.includes('vrrp.1')) throw Object.assign(new Error('gone'), { code: 'ENOENT', errno: -2 });
      if (p.includes('eth1')) throw Object.assign(new Error('ro'), { code: 'EACCES', errno: -13 });
      writes.push(`${p}=${v}`);
    },
  };
  const errs = restoreSysctls(io, [
    { family: 'inet', ifname: 'eth0', key: 'arp_ignore', value: '1', previous: '0' },
    { family: 'inet', ifname: 'eth1', key: 'arp_ignore', value: '1', previous: '0' },
    { family: 'inet', ifname: 'vrrp.1', key: 'rp_filter', value: '0', previous: '1' },
  ]);
  t.same(writes, ['net/ipv4/conf/eth0/arp_ignore=0']);
  t.equal(errs.length, 1);
  t.equal(errs[0]?.sysCode, 'EACCES');
  t.equal(errs[0]?.errno, 13);
  t.equal(readConf({ read: () => '1', write: () => undefined }, 'inet', 'eth0', 'arp_ignore'), '1');
});
