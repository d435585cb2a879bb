/** runtime/realtime: which priority the loop thread takes, and the SIGXCPU demotion and return. */
import t from 'tap';
import { RealtimeScheduler, chooseRealtime, tooMuchCpuLine, RT_RESUME_MS, type RtPort } from '../../src/runtime/realtime';
import { MemoryLogger } from '../../src/observe/log';
import type { GlobalDefs } from '../../src/config/model';

const text = (l: MemoryLogger): string => l.lines.map((x) => x.text).join('\n');
const g = (x: Partial<GlobalDefs>): GlobalDefs => x as GlobalDefs;
const all = { vrrp: true, bfd: true, checker: true };

t.test('chooseRealtime: the highest priority of a part in use, with that part rttime', async (t) => {
  t.equal(chooseRealtime(g({}), all), undefined, 'no keyword: no real time');
  t.same(chooseRealtime(g({ vrrpRtPriority: 50 }), all), { part: 'VRRP', priority: 50, rttimeUs: 10000 }, 'default rttime 10,000 us');
  t.same(chooseRealtime(g({ vrrpRtPriority: 50, vrrpRlimitRttimeUs: 20000 }), all), { part: 'VRRP', priority: 50, rttimeUs: 20000 });
  t.same(chooseRealtime(g({ vrrpRtPriority: 30, bfdRtPriority: 60, bfdRlimitRttimeUs: 8000 }), all), { part: 'BFD', priority: 60, rttimeUs: 8000 }, 'BFD higher');
  t.same(chooseRealtime(g({ vrrpRtPriority: 30, bfdRtPriority: 60 }), { vrrp: true, bfd: false, checker: false }), { part: 'VRRP', priority: 30, rttimeUs: 10000 }, 'bfd_rt_priority without bfd_instance does not count');
  t.equal(chooseRealtime(g({ checkerRtPriority: 10 }), { vrrp: true, bfd: false, checker: false }), undefined, 'checker_rt_priority without virtual_server');
  t.same(chooseRealtime(g({ vrrpRtPriority: 40, checkerRtPriority: 40 }), all)?.part, 'VRRP', 'a tie goes to VRRP');
});

function fakes(fail?: string) {
  const calls: string[] = [];
  let demote: (() => void) | undefined;
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const port: RtPort = {
    enable(p, soft, hard, onDemoted) {
      calls.push(`enable ${p} ${soft}/${hard}`);
      if (fail) throw Object.assign(new Error(fail), { code: fail });
      demote = onDemoted;
    },
    disable() {
      calls.push('disable');
    },
  };
  const timerPort = {
    setTimeout(fn: () => void, ms: number) {
      const e = { fn, ms, cancelled: false };
      timers.push(e);
      return { cancel: () => (e.cancelled = true) };
    },
  };
  return { calls, timers, port, timerPort, demote: () => demote?.() };
}

t.test('apply, SIGXCPU, return after RT_RESUME_MS, reload off', async (t) => {
  const f = fakes();
  const log = new MemoryLogger();
  const rt = new RealtimeScheduler(f.port, log, f.timerPort);
  rt.apply({ part: 'VRRP', priority: 50, rttimeUs: 20000 });
  t.same(f.calls, ['enable 50 10000/1020000'], 'soft half, hard the keyword + 1 s');
  f.demote();
  t.match(text(log), tooMuchCpuLine('VRRP'), "keepalived's line");
  t.equal(tooMuchCpuLine('VRRP'), 'VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased');
  t.equal(f.timers.length, 1, 'one return scheduled');
  t.equal(f.timers[0]!.ms, RT_RESUME_MS);
  f.timers[0]!.fn();
  t.same(f.calls, ['enable 50 10000/1020000', 'enable 50 10000/1020000'], 'back to real time');
  t.equal(rt.demotions, 1);
  f.demote();
  rt.apply(undefined);
  t.ok(f.timers[1]!.cancelled, 'a pending return is cancelled by a reload without the keyword');
  t.same(f.calls.slice(-1), ['disable'], 'SCHED_OTHER');
  rt.stop();
  t.same(f.calls.slice(-1), ['disable'], 'stop after off: nothing more');
  t.equal(f.calls.filter((c) => c === 'disable').length, 1);
});

t.test('EPERM: one warning per setting, the daemon runs on', async (t) => {
  const f = fakes('EPERM');
  const log = new MemoryLogger();
  const rt = new RealtimeScheduler(f.port, log, f.timerPort);
  rt.apply({ part: 'VRRP', priority: 50, rttimeUs: 10000 });
  rt.apply({ part: 'VRRP', priority: 50, rttimeUs: 10000 });
  t.equal(text(log).split('\n').filter((l) => l.includes('Unable to set real-time priority 50')).length, 1, 'said once');
  t.match(text(log), /EPERM; running at normal priority/);
  rt.apply({ part: 'BFD', priority: 60, rttimeUs: 10000 });
  t.match(text(log), /Unable to set real-time priority 60 \(SCHED_RR\) for the BFD process/, 'a new setting is said again');
});
