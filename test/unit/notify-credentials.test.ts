import t from 'tap';
import { cannotSwitchMessage, parseCapEff, selfCredentials, switchIds } from '../../src/notify/credentials';
import { HookRunner } from '../../src/notify/hooks';
import type { ScriptRunner } from '../../src/notify/exec';

const root = { uid: 0, gid: 0, capSetuid: true, capSetgid: true };
const nonRoot = { uid: 65534, gid: 65534, capSetuid: false, capSetgid: false };

t.test('CapEff parsing', async (t) => {
  t.equal(parseCapEff('Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t0000000000003000\n'), 0x3000n);
  t.equal(parseCapEff('nothing'), 0n);
  const self = selfCredentials();
  t.equal(self.uid, process.geteuid?.());
  if (process.geteuid?.() === 0) t.ok(self.capSetuid && self.capSetgid, 'root (full caps) can switch');
});

t.test('switchIds: what the spawner must do, or undefined when it cannot', async (t) => {
  t.same(switchIds({ uid: 1, gid: 1 }, root), { uid: 1, gid: 1 }, 'root: another user');
  t.same(switchIds({ uid: 1, gid: 0 }, root), { uid: 1, gid: 0 }, 'another user always gets its gid (groups dropped)');
  t.same(switchIds({ uid: 0, gid: 0 }, root), {}, 'ourselves: nothing to do');
  t.same(switchIds({ uid: 65534, gid: 65534 }, nonRoot), {}, 'non-root, script_user = ourselves: runs');
  t.equal(switchIds({ uid: 1, gid: 1 }, nonRoot), undefined, 'non-root, another user: cannot');
  t.equal(switchIds({ uid: 65534, gid: 1 }, nonRoot), undefined, 'non-root, another group: cannot');
  t.equal(switchIds({ uid: 1, gid: 65534 }, { ...nonRoot, capSetgid: true }), undefined, 'CAP_SETGID alone is not enough for another uid');
  t.same(switchIds({ uid: 1, gid: 1 }, { ...nonRoot, capSetgid: true, capSetuid: true }), { uid: 1, gid: 1 }, 'non-root with CAP_SETUID+CAP_SETGID: can');
  t.equal(cannotSwitchMessage({ uid: 1, gid: 1 }, '/x.sh'), 'Unable to set uid:gid 1:1 for script /x.sh - disabling');
});

t.test("notify hooks of a user a non-root daemon cannot become are never run, logged once (keepalived's behaviour)", async (t) => {
  const runs: Array<{ argv: readonly string[]; opts: unknown }> = [];
  const runner: ScriptRunner = {
    run: (argv, opts) => {
      const { onSpawn: _hook, ...rest } = opts ?? {}; // the HookRunner's own pid tracking (killed at stop)
      runs.push({ argv, opts: rest });
      return Promise.resolve({ outcome: { kind: 'exited', status: 0 }, stdout: '', stderr: '', durationMs: 1 });
    },
  };
  const lines: string[] = [];
  const log = { error: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: () => undefined, debug: () => undefined } as never;
  const lookup = (u: string): { uid: number; gid: number } | undefined => (u === 'daemon' ? { uid: 1, gid: 1 } : u === 'nobody' ? { uid: 65534, gid: 65534 } : undefined);
  const hooks = new HookRunner({ log, runner, lookup, self: nonRoot, scriptUser: { user: 'daemon' } });
  await hooks.enqueue('k', [{ keyword: 'notify_master', argv: ['/n.sh', 'MASTER'] }, { keyword: 'notify_master', argv: ['/n.sh', 'MASTER'] }] as never);
  t.equal(runs.length, 0, 'not run');
  t.same(lines, ['Unable to set uid:gid 1:1 for script /n.sh - disabling'], 'logged once');
  await hooks.enqueue('k', [{ keyword: 'notify', argv: ['/m.sh'], user: 'nobody' }] as never);
  t.same(runs, [{ argv: ['/m.sh'], opts: {} }], 'a script of our own user runs, with no switch');
  const asRoot = new HookRunner({ log, runner, lookup, self: root, scriptUser: { user: 'daemon' } });
  await asRoot.enqueue('k', [{ keyword: 'notify', argv: ['/n.sh'] }] as never);
  t.same(runs[1], { argv: ['/n.sh'], opts: { uid: 1, gid: 1 } }, 'root switches');
});
