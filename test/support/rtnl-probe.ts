/**
 * Runs the real Rtnl adapter inside a network namespace for integration tests (the netlink
 * socket belongs to the namespace of the process that opens it, so the test runs us with
 * `ip netns exec NS node dist/test/support/rtnl-probe.js ...`).
 *
 *   rtnl-probe.js ops '[{"op":"addAddress","args":[{...}]}, ...]'
 *       runs the calls in order and prints one JSON line: an array of
 *       {ok:true, value} | {ok:false, code, errno, message}, one per call (never stops early).
 *       Besides the RtnlPort methods, ops may be applyVmacSysctls(base, vmac, family) (returns the
 *       applied settings) and restoreSysctls(applied) from src/net/sysctl.ts, since /proc/sys/net
 *       is per namespace too.
 *   rtnl-probe.js watch
 *       prints {"ready":true} once subscribed, then one JSON line per NetEvent, until SIGTERM.
 */
import { Rtnl } from '../../src/net/rtnl';
import type { Family, NetEvent, RtnlPort } from '../../src/net/ports';
import { applySysctls, fsSysctlIo, restoreSysctls, vmacSysctlPlan, type AppliedSetting } from '../../src/net/sysctl';

type Call = { op: keyof RtnlPort | 'applyVmacSysctls' | 'restoreSysctls'; args: unknown[] };
type Outcome = { ok: true; value: unknown } | { ok: false; code: string; errno: number; message: string };

const OPS = new Set<string>([
  'addAddress', 'delAddress', 'listAddresses', 'addRoute', 'delRoute', 'addRule', 'delRule', 'getLink', 'listLinks',
  'createMacvlan', 'deleteLink', 'setLinkUp',
]);

async function runOps(json: string): Promise<void> {
  const calls = JSON.parse(json) as Call[];
  const rtnl = new Rtnl({ timeoutMs: 5000 });
  const out: Outcome[] = [];
  const sysctl = {
    applyVmacSysctls: (base: string, vmac: string, family: Family) => applySysctls(fsSysctlIo(), vmacSysctlPlan(base, vmac, family)),
    restoreSysctls: (applied: AppliedSetting[]) => restoreSysctls(fsSysctlIo(), applied).map((e) => e.message),
  };
  for (const c of calls) {
    if (c.op === 'applyVmacSysctls' || c.op === 'restoreSysctls') {
      try {
        const fn = sysctl[c.op] as (...a: unknown[]) => unknown;
        out.push({ ok: true, value: fn(...c.args) });
      } catch (e) {
        const err = e as { code?: string; errno?: number; message?: string };
        out.push({ ok: false, code: err.code ?? 'UNKNOWN', errno: err.errno ?? 0, message: err.message ?? String(e) });
      }
      continue;
    }
    if (!OPS.has(c.op)) {
      out.push({ ok: false, code: 'PROBE_BAD_OP', errno: 0, message: `unknown op ${String(c.op)}` });
      continue;
    }
    try {
      const fn = rtnl[c.op] as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(rtnl, c.args);
      out.push({ ok: true, value: value ?? null });
    } catch (e) {
      const err = e as { code?: string; errno?: number; message?: string };
      out.push({ ok: false, code: err.code ?? 'UNKNOWN', errno: err.errno ?? 0, message: err.message ?? String(e) });
    }
  }
  rtnl.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runWatch(): void {
  const rtnl = new Rtnl({ timeoutMs: 5000 });
  const w = rtnl.watch(
    (e: NetEvent) => process.stdout.write(JSON.stringify(e) + '\n'),
    (err) => process.stdout.write(JSON.stringify({ error: err.message }) + '\n'),
  );
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  const stop = (): void => {
    w.close();
    rtnl.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'ops' && arg) {
  runOps(arg).catch((e: Error) => {
    process.stderr.write(`probe failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
} else if (mode === 'watch') {
  runWatch();
} else {
  process.stderr.write('usage: rtnl-probe.js ops JSON | watch\n');
  process.exit(2);
}
