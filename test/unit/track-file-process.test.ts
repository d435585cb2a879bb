import t from 'tap';
import { parseTrackFileValue } from '../../src/track/file-value';
import { countMatches, processMatches, quorumState, type ProcessInfo, type ProcessSpec } from '../../src/track/process-match';

t.test('track file values', async (t) => {
  const rows: Array<[string, number, boolean]> = [
    ['5\n', 5, true],
    ['  -12 trailing', -12, true],
    ['+7', 7, true],
    ['', 0, false],
    ['abc', 0, false],
    ['\n\t42\n', 42, true],
    ['99999999999', 2147483647, true],
  ];
  for (const [text, value, valid] of rows) t.same(parseTrackFileValue(text), { value, valid }, JSON.stringify(text));
});

const proc = (pid: number, comm: string, argv: string[]): ProcessInfo => ({ pid, comm, argv });
const table: ProcessInfo[] = [
  proc(1, 'nginx', ['nginx: master process /usr/sbin/nginx']),
  proc(2, 'nginx', ['/usr/sbin/nginx', '-g', 'daemon off;']),
  proc(3, 'haproxy', ['/usr/sbin/haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-p', '/run/haproxy.pid']),
  proc(4, 'averyveryverylo', ['/opt/bin/averyveryverylongname', 'x']),
  proc(5, 'kworker/0:1', []),
];

t.test('name matches comm exactly', async (t) => {
  t.equal(countMatches({ process: ['nginx'] }, table), 2);
  t.equal(countMatches({ process: ['ngin'] }, table), 0, 'no prefix match');
  t.equal(countMatches({ process: ['averyveryverylongname'] }, table), 1, 'long name via argv[0] basename');
  t.equal(countMatches({ process: ['averyveryverylongnameX'] }, table), 0);
});

t.test('full_command compares argv[0]', async (t) => {
  t.equal(countMatches({ process: ['/usr/sbin/nginx'], fullCommand: true }, table), 1);
  t.equal(countMatches({ process: ['nginx'], fullCommand: true }, table), 0);
});

t.test('parameters: exact, initial, partial', async (t) => {
  const h = table[2] as ProcessInfo;
  const spec = (params: string[], paramMatch?: ProcessSpec['paramMatch']): ProcessSpec =>
    paramMatch ? { process: ['haproxy', ...params], paramMatch } : { process: ['haproxy', ...params] };
  t.ok(processMatches(spec([]), h), 'no params: any');
  t.notOk(processMatches(spec(['-f', '/etc/haproxy/haproxy.cfg']), h), 'exact needs all params');
  t.ok(processMatches(spec(['-f', '/etc/haproxy/haproxy.cfg', '-p', '/run/haproxy.pid']), h));
  t.ok(processMatches(spec(['-f', '/etc/haproxy/haproxy.cfg'], 'initial'), h));
  t.notOk(processMatches(spec(['-p'], 'initial'), h));
  t.ok(processMatches(spec(['-p', '/run/haproxy.pid'], 'partial'), h));
  t.notOk(processMatches(spec(['-f', '-p'], 'partial'), h), 'partial needs a contiguous run');
});

t.test('quorum and quorum_max', async (t) => {
  t.equal(quorumState({ process: ['x'] }, 0), 'down');
  t.equal(quorumState({ process: ['x'] }, 1), 'up');
  t.equal(quorumState({ process: ['x'], quorum: 2 }, 1), 'down');
  t.equal(quorumState({ process: ['x'], quorum: 2, quorumMax: 3 }, 3), 'up');
  t.equal(quorumState({ process: ['x'], quorum: 2, quorumMax: 3 }, 4), 'down');
});
