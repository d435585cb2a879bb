/**
 * Netlink overrun: a watcher with a deliberately tiny receive buffer, whose event loop is
 * blocked while `ip -batch` adds 3,000 addresses (then deletes 2,000) in its namespace. The
 * kernel must drop notifications (ENOBUFS). The process must survive (the npm `netlink`
 * binding used to abort here), report the overrun through onError, and — through the
 * watcher's resync — end up having been told exactly the kernel's state.
 *
 * The child is this file re-executed with RTNL_OVERRUN_CHILD=1 inside the namespace.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rtnl } from '../../src/net/rtnl';
import type { InstalledAddress, NetEvent } from '../../src/net/ports';
import { Lab, OutputWatcher, isRoot } from '../support/netns';

const key = (a: InstalledAddress): string => `${a.ifname} ${a.address}/${a.prefixLen}`;

/** Addresses to flood with: 2,800 IPv6 /128 plus 200 IPv4 /32 (documentation ranges only). */
function floodAddrs(): string[] {
  const out: string[] = [];
  for (let i = 1; i <= 2800; i++) out.push(`2001:db8:c2::${i.toString(16)}/128`);
  for (let i = 1; i <= 200; i++) out.push(`198.51.100.${i}/32`);
  return out;
}

interface PhaseResult {
  phase: string;
  overruns: number;
  converged: boolean;
  told: number;
  kernel: number;
  ms: number;
}

async function child(ifname: string): Promise<void> {
  const rtnl = new Rtnl({ watchRecvBufferBytes: 4096 });
  const told = new Set<string>();
  let overruns = 0;
  const apply = (e: NetEvent): void => {
    if (e.type === 'addr-added') told.add(key(e.addr));
    else if (e.type === 'addr-removed') told.delete(key(e.addr));
  };
  const w = rtnl.watch(apply, (err) => {
    if ((err as { errno?: number }).errno === 105) overruns++;
    else process.stdout.write(`${JSON.stringify({ otherError: err.message })}\n`);
  });
  for (const a of await rtnl.listAddresses()) told.add(key(a));
  await new Promise((r) => setTimeout(r, 300)); // the watcher's own seed dump
  const dir = mkdtempSync(join(tmpdir(), 'tk-overrun-'));
  const addrs = floodAddrs();
  const phase = async (name: string, cmds: string[]): Promise<PhaseResult> => {
    const before = overruns;
    const file = join(dir, `${name}.batch`);
    writeFileSync(file, cmds.join('\n') + '\n');
    execFileSync('ip', ['-batch', file]); // synchronous: our event loop cannot read meanwhile
    const t0 = Date.now();
    let kernel = new Set<string>();
    let converged = false;
    while (Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      kernel = new Set((await rtnl.listAddresses()).map(key));
      if (kernel.size === told.size && [...kernel].every((k) => told.has(k))) {
        converged = true;
        break;
      }
    }
    return { phase: name, overruns: overruns - before, converged, told: told.size, kernel: kernel.size, ms: Date.now() - t0 };
  };
  const r1 = await phase('add', addrs.map((a) => `addr add ${a} dev ${ifname}${a.includes(':') ? ' nodad' : ''}`));
  process.stdout.write(`${JSON.stringify(r1)}\n`);
  const r2 = await phase('del', addrs.slice(0, 2000).map((a) => `addr del ${a} dev ${ifname}`));
  process.stdout.write(`${JSON.stringify(r2)}\n`);
  w.close();
  rtnl.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write('{"done":true}\n');
}

if (process.env['RTNL_OVERRUN_CHILD']) {
  void child(process.env['RTNL_OVERRUN_CHILD']);
} else {
  t.test('watch survives a notification overrun and converges by resync', { skip: !isRoot() && 'needs root' }, async (t) => {
    const lab = await Lab.create(t, { hosts: 1 });
    const h = lab.host(1);
    const cp = lab.spawn(h.ns, ['env', `RTNL_OVERRUN_CHILD=${h.ifname}`, process.execPath, __filename]);
    const w = new OutputWatcher(cp);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => cp.on('exit', (code, signal) => r({ code, signal })));
    t.ok(await w.waitFor('{"done":true}', 120_000), 'child finished both floods');
    const res = await exited;
    t.same(res, { code: 0, signal: null }, 'child exited normally (no abort)');
    const lines = w.text.split('\n').filter((l) => l.startsWith('{"phase"')).map((l) => JSON.parse(l) as PhaseResult);
    const add = lines.find((l) => l.phase === 'add');
    const del = lines.find((l) => l.phase === 'del');
    t.ok(add && add.overruns > 0, `add flood overran the 4 KiB buffer (overruns ${add?.overruns})`);
    t.ok(add?.converged, `after the add flood the told state equals the kernel's (${add?.told} vs ${add?.kernel}, ${add?.ms} ms)`);
    t.ok((add?.kernel ?? 0) >= 3000, 'all 3,000 flood addresses are in the kernel');
    t.ok(del && del.overruns > 0, `del flood overran too (overruns ${del?.overruns})`);
    t.ok(del?.converged, `after the del flood the told state equals the kernel's (${del?.told} vs ${del?.kernel}, ${del?.ms} ms)`);
    t.equal((add?.kernel ?? 0) - (del?.kernel ?? 0), 2000, '2,000 removed');
    t.notMatch(w.text, /otherError/, 'no error other than ENOBUFS reported');
  });
}
