import t from 'tap';
import { parseArgs, defaultOptions, parseCNumber, withNamespace, type CliOptions } from '../../src/cli/args';
import { signum } from '../../src/cli/signum';

const ok = (argv: string[], host = 'node1.example.com'): CliOptions => {
  const r = parseArgs(argv, host);
  if (!r.ok) throw new Error(`unexpected failure: ${r.message}`);
  return r.options;
};
const fail = (argv: string[]): string => {
  const r = parseArgs(argv, 'h');
  return r.ok ? '(accepted)' : r.message;
};

t.test('defaults are keepalived 2.2 defaults', async (t) => {
  const o = ok([]);
  t.equal(o.configFile, '/etc/keepalived/keepalived.conf');
  t.equal(o.pidFile, '/run/keepalived.pid');
  t.equal(o.vrrpPidFile, '/run/keepalived_vrrp.pid');
  t.equal(o.checkersPidFile, '/run/keepalived_checkers.pid');
  t.equal(o.bfdPidFile, '/run/keepalived_bfd.pid');
  t.equal(o.logFacility, 'daemon');
  t.equal(o.configId, 'node1', 'config id: hostname without domain');
  t.equal(o.dontFork, false);
  t.equal(o.configTest, false);
  t.same(ok([]), defaultOptions('node1.example.com'));
});

t.test('every flag, short and long', async (t) => {
  type Row = [string[], Partial<CliOptions>];
  const rows: Row[] = [
    [['-f', '/x.conf'], { configFile: '/x.conf' }],
    [['-f/x.conf'], { configFile: '/x.conf' }],
    [['--use-file=/x.conf'], { configFile: '/x.conf' }],
    [['--use-file', '/x.conf'], { configFile: '/x.conf' }],
    [['-P'], { vrrpOnly: true }],
    [['--vrrp'], { vrrpOnly: true }],
    [['-C'], { checkOnly: true }],
    [['--check'], { checkOnly: true }],
    [['-B'], { noBfd: true }],
    [['--no_bfd'], { noBfd: true }],
    [['--all'], { all: true }],
    [['-l'], { logConsole: true }],
    [['--log-console'], { logConsole: true }],
    [['-D'], { logDetail: true }],
    [['--log-detail'], { logDetail: true }],
    [['-S', 'local3'], { logFacility: 'local3' }],
    [['--log-facility=5'], { logFacility: '5' }],
    [['-S', 'user'], { logFacility: 'user' }],
    [['-g/var/log/k.log'], { logFile: '/var/log/k.log' }],
    [['--log-file=/var/log/k.log'], { logFile: '/var/log/k.log' }],
    [['-g'], { logFile: '/tmp/keepalived.log' }],
    [['--flush-log-file'], { flushLogFile: true }],
    [['-G'], { noSyslog: true }],
    [['--no-syslog'], { noSyslog: true }],
    [['-X'], { releaseVips: true }],
    [['--release-vips'], { releaseVips: true }],
    [['-V'], { dontReleaseVrrp: true }],
    [['--dont-release-vrrp'], { dontReleaseVrrp: true }],
    [['-I'], { dontReleaseIpvs: true }],
    [['--dont-release-ipvs'], { dontReleaseIpvs: true }],
    [['-R'], { dontRespawn: true }],
    [['--dont-respawn'], { dontRespawn: true }],
    [['-n'], { dontFork: true }],
    [['--dont-fork'], { dontFork: true }],
    [['-d'], { dumpConf: true }],
    [['--dump-conf'], { dumpConf: true }],
    [['-p', '/p'], { pidFile: '/p' }],
    [['--pid=/p'], { pidFile: '/p' }],
    [['-r', '/v'], { vrrpPidFile: '/v' }],
    [['--vrrp_pid', '/v'], { vrrpPidFile: '/v' }],
    [['-c', '/c'], { checkersPidFile: '/c' }],
    [['--checkers_pid=/c'], { checkersPidFile: '/c' }],
    [['-b', '/b'], { bfdPidFile: '/b' }],
    [['--bfd_pid=/b'], { bfdPidFile: '/b' }],
    [['-a'], { addressMonitoring: true }],
    [['--address-monitoring'], { addressMonitoring: true }],
    [['-e'], { allConfig: true }],
    [['--all-config'], { allConfig: true }],
    [['-i', 'backup'], { configId: 'backup' }],
    [['--config-id', 'backup'], { configId: 'backup' }],
    [['--config-id=backup'], { configId: 'backup' }],
    [['-x'], { snmp: true }],
    [['--snmp'], { snmp: true }],
    [['-A', '/s'], { snmpAgentSocket: '/s' }],
    [['-u', '027'], { umask: 0o27 }],
    [['--umask=18'], { umask: 18 }],
    [['-u', '0x12'], { umask: 0x12 }],
    [['-m'], { coreDump: true }],
    [['-M'], { coreDump: true, coreDumpPattern: 'core' }],
    [['--core-dump-pattern=/c/%p'], { coreDump: true, coreDumpPattern: '/c/%p' }],
    [['-t'], { configTest: true, configTestFile: undefined }],
    [['--config-test'], { configTest: true }],
    [['-t/tmp/out'], { configTest: true, configTestFile: '/tmp/out' }],
    [['--config-test=/tmp/out'], { configTest: true, configTestFile: '/tmp/out' }],
    [['--signum=RELOAD'], { signum: 'RELOAD' }],
    [['--signum', 'STOP'], { signum: 'STOP' }],
    [['-v'], { version: true }],
    [['--version'], { version: true }],
    [['-h'], { help: true }],
    [['--help'], { help: true }],
    [['--dump-config'], { dumpConfig: true }],
    [['--log-json'], { logJson: true }],
    [['--perf'], { perf: 'run' }],
    [['--debug=DvEcvNR'], { debug: 'DvEcvNR' }],
    [['--no-mem-check'], { noMemCheck: true }],
    [['--dont-f'], { dontFork: true }],
  ];
  for (const [argv, want] of rows) t.match(ok(argv), want, argv.join(' '));
});

t.test('an optional argument is only taken when attached', async (t) => {
  const o = ok(['-t', '-f', '/x']);
  t.equal(o.configTestFile, undefined, '-t followed by another option');
  t.equal(o.configFile, '/x');
  t.same(fail(['-t', 'file']), 'Unknown argument file', 'detached word is not -t\'s');
});

t.test('bundled short flags', async (t) => {
  t.match(ok(['-nlD']), { dontFork: true, logConsole: true, logDetail: true });
  t.match(ok(['-nlDf/etc/k.conf']), { dontFork: true, logConsole: true, logDetail: true, configFile: '/etc/k.conf' }, 'argument at the end of a bundle');
  t.match(ok(['-nf', '/etc/k.conf', '-P']), { dontFork: true, configFile: '/etc/k.conf', vrrpOnly: true }, 'argument after a bundle');
  t.match(ok(['-lt']), { logConsole: true, configTest: true, configTestFile: undefined });
  t.match(ok(['-ltout.txt']), { logConsole: true, configTest: true, configTestFile: 'out.txt' });
});

t.test('genhash takes the rest of the command line', async (t) => {
  t.match(ok(['-T', '-s', '1.2.3.4', '-p', '80', '-u', '/']), { genhash: true, genhashArgs: ['-s', '1.2.3.4', '-p', '80', '-u', '/'] });
  t.match(ok(['--genhash', '-v', '-S']), { genhash: true, genhashArgs: ['-v', '-S'], version: false }, '-v belongs to genhash');
  t.match(ok(['-Tv', '-s', 'h']), { genhash: true, genhashArgs: ['-v', '-s', 'h'] });
});

t.test('namespace moves the default pid files (where keepalived 2.2.7 puts them: /run/keepalived/NAME/)', async (t) => {
  t.match(ok(['-s', 'blue']), {
    namespace: 'blue',
    pidFile: '/run/keepalived/blue/keepalived.pid',
    vrrpPidFile: '/run/keepalived/blue/vrrp.pid',
    checkersPidFile: '/run/keepalived/blue/checkers.pid',
    bfdPidFile: '/run/keepalived/blue/bfd.pid',
  });
  t.match(ok(['-s', 'blue', '-p', '/my.pid']), { pidFile: '/my.pid', vrrpPidFile: '/run/keepalived/blue/vrrp.pid' }, 'explicit wins');
  // net_namespace NAME from the config: the same defaults, explicit flags still win.
  const plain = ok(['-r', '/my-vrrp.pid']);
  t.match(withNamespace(plain, 'red'), { namespace: 'red', pidFile: '/run/keepalived/red/keepalived.pid', vrrpPidFile: '/my-vrrp.pid', bfdPidFile: '/run/keepalived/red/bfd.pid' });
  t.equal(plain.namespace, undefined, 'the options given are not changed');
});

t.test('errors', async (t) => {
  const rows: [string[], string][] = [
    [['--bogus'], 'Unknown option --bogus'],
    [['-q'], 'Unknown option -q'],
    [['-nq'], 'Unknown option -q'],
    [['-f'], 'Missing parameter for option -f'],
    [['--use-file'], 'Missing parameter for option --use-file'],
    [['--signum'], 'Missing parameter for option --signum'],
    [['--dont-fork=yes'], 'Option --dont-fork does not take a parameter'],
    [['--dont'], "Option '--dont' is ambiguous"],
    [['-S', 'local9'], "Invalid log facility 'local9'"],
    [['-u', 'abc'], "Invalid umask 'abc'"],
    [['stray'], 'Unknown argument stray'],
  ];
  for (const [argv, msg] of rows) t.equal(fail(argv), msg, argv.join(' '));
});

t.test('C numbers and signal numbers', async (t) => {
  t.equal(parseCNumber('022'), 18);
  t.equal(parseCNumber('0'), 0);
  t.equal(parseCNumber('0x1f'), 31);
  t.equal(parseCNumber('17'), 17);
  t.equal(parseCNumber('09'), undefined);
  const rows: [string, number | undefined][] = [
    ['STOP', 15],
    ['RELOAD', 1],
    ['DATA', 10],
    ['STATS', 12],
    ['STATS_CLEAR', 63],
    ['JSON', 36],
    ['stop', undefined],
    ['TDUMP', undefined],
    ['toString', undefined],
  ];
  for (const [name, n] of rows) t.equal(signum(name), n, name);
});
