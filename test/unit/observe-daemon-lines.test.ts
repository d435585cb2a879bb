// The daemon's own lines in keepalived 2.2.7's words (observe/daemon-lines) and the syslog ident per line.
import t from 'tap';
import { commandArgv0, commandLine, cpuUsage, stoppedUsed, runningOn } from '../../src/observe/daemon-lines';
import { createLogger } from '../../src/observe/log';

t.test('Command line shows the command as typed, not the JS path', async (t) => {
  t.equal(commandArgv0('/opt/tsk/dist/src/cli/main.js'), 'keepalived', 'node …/main.js → keepalived');
  const same = (a: string, b: string): boolean => a === b;
  t.equal(commandArgv0('/usr/local/bin/keepalived', '/usr/bin:/usr/local/bin', same), 'keepalived', 'found through PATH → the bare name the shell was given');
  t.equal(commandArgv0('/opt/x/keepalived', '/usr/bin:/usr/local/bin', same), '/opt/x/keepalived', 'not on PATH → the path as given');
  t.equal(commandLine(['/usr/bin/node', '/x/dist/src/cli/main.js', '-n', '-f', '/etc/k.conf']), "Command line: 'keepalived' '-n' '-f' '/etc/k.conf'");
});

t.test('stop lines', async (t) => {
  const cpu = { selfUserS: 0.01922, selfSystemS: 0.028831, childUserS: 0.010336, childSystemS: 0.008182 };
  t.equal(stoppedUsed(cpu, true), 'Stopped - used 0.019220 user time, 0.028831 system time');
  t.equal(stoppedUsed(cpu, false), 'Stopped', 'without -D keepalived logs a bare Stopped');
  t.equal(cpuUsage(cpu), 'CPU usage (self/children) user: 0.019220/0.010336 system: 0.028831/0.008182');
  t.match(runningOn(), /^Running on Linux \S+ /);
});

t.test('each line carries its syslog ident: Keepalived for the parent\'s lines', async (t) => {
  const seen: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const syslogMod = require('../../src/net/syslog') as { syslog: (p: number, ident: string, text: string) => void };
  const orig = syslogMod.syslog;
  syslogMod.syslog = (_p, ident, text) => void seen.push(`${ident}: ${text}`);
  t.teardown(() => {
    syslogMod.syslog = orig;
  });
  const log = createLogger({ console: false, detail: true, json: false, syslog: true, ident: 'Keepalived_vrrp' });
  log.child({ ident: 'Keepalived' }).info('Starting');
  log.info('(VI_1) Entering MASTER STATE');
  log.child({ ident: 'Keepalived_healthcheckers' }).info('TCP check');
  t.same(seen, ['Keepalived: Starting', 'Keepalived_vrrp: (VI_1) Entering MASTER STATE', 'Keepalived_healthcheckers: TCP check']);
});
