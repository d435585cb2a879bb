import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LineSplitter, MAX_REQUEST_BYTES, parseRequest, parseResponse, encodeRequest, okResponse, errorResponse, COMMANDS } from '../../src/control/protocol';
import { openControlServer, ControlFailure } from '../../src/control/server';
import { controlSocketPath } from '../../src/control/paths';
import { parseClientArgs, exchange } from '../../src/control/client';
import type { Logger } from '../../src/observe/log';
import { seededRandom as rng } from '../support/seeded-random';


t.test('valid requests parse; each malformed one gets its stable code', async (t) => {
  t.same(parseRequest('{"v":1,"id":7,"cmd":"status","target":"VI_1"}'), { ok: true, request: { v: 1, id: 7, cmd: 'status', target: 'VI_1' } });
  t.same(parseRequest('{"v":1,"cmd":"standby","target":"VG_1","force":true}'), { ok: true, request: { v: 1, cmd: 'standby', target: 'VG_1', force: true } });
  const rows: Array<[string, string]> = [
    ['not json', 'ERR_CONTROL_BAD_JSON'],
    ['', 'ERR_CONTROL_BAD_JSON'],
    ['[1,2]', 'ERR_CONTROL_BAD_REQUEST'],
    ['null', 'ERR_CONTROL_BAD_REQUEST'],
    ['"status"', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"cmd":"status"}', 'ERR_CONTROL_VERSION'],
    ['{"v":2,"cmd":"status"}', 'ERR_CONTROL_VERSION'],
    ['{"v":1,"cmd":"shutdown"}', 'ERR_CONTROL_UNKNOWN_COMMAND'],
    ['{"v":1,"cmd":42}', 'ERR_CONTROL_UNKNOWN_COMMAND'],
    ['{"v":1,"cmd":"standby"}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"resume","target":""}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"status","target":"a b"}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"reload","target":"VI_1"}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"status","force":true}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"standby","target":"x","force":"yes"}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"status","extra":1}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"status","id":{}}', 'ERR_CONTROL_BAD_REQUEST'],
    ['{"v":1,"cmd":"status","__proto__":{"x":1}}', 'ERR_CONTROL_BAD_REQUEST'],
    ['x'.repeat(MAX_REQUEST_BYTES + 1), 'ERR_CONTROL_TOO_LONG'],
  ];
  for (const [line, code] of rows) {
    const r = parseRequest(line);
    t.equal(r.ok ? 'ok' : r.error.code, code, line.slice(0, 60));
  }
  const withId = parseRequest('{"v":1,"id":"abc","cmd":"nope"}');
  t.equal(!withId.ok && withId.id, 'abc', 'the id is echoed even in an error');
});

t.test('responses round-trip; non-responses are recognised', async (t) => {
  t.match(parseResponse(okResponse(3, { a: 1 }).trim()), { v: 1, id: 3, ok: true, result: { a: 1 } });
  t.match(parseResponse(errorResponse(undefined, { code: 'ERR_CONTROL_NO_PEER', message: 'm' }).trim()), { ok: false, error: { code: 'ERR_CONTROL_NO_PEER' } });
  t.equal(parseResponse('{"ok":false}'), undefined);
  t.equal(parseResponse('garbage'), undefined);
  t.equal(encodeRequest({ cmd: 'dump' }), '{"v":1,"cmd":"dump"}\n');
});

t.test('fuzz: 60,000 random and mutated request lines never throw; every accepted one is well-formed', async (t) => {
  const rand = rng(0xc0ffee);
  const int = (n: number) => Math.floor(rand() * n);
  const seeds = ['{"v":1,"id":1,"cmd":"status","target":"VI_1"}', '{"v":1,"cmd":"standby","target":"VG","force":false}', '{"v":1,"cmd":"reload"}', '{"v":1,"cmd":"dump","id":"x"}'];
  const alphabet = '{}[]":,0123456789.-eE truefalsnul\\u"abcvidmdtrgeoc\u0000\u00ff\ud800';
  let accepted = 0;
  let thrown = 0;
  for (let i = 0; i < 60_000; i++) {
    let s = seeds[i % seeds.length] as string;
    const mode = i % 3;
    if (mode === 0) {
      const chars = s.split('');
      for (let k = 0, n = 1 + int(4); k < n; k++) chars[int(chars.length)] = alphabet[int(alphabet.length)] as string;
      s = chars.join('');
    } else if (mode === 1) {
      s = s.slice(0, int(s.length)) + alphabet[int(alphabet.length)] + s.slice(int(s.length));
    } else {
      s = Array.from({ length: int(40) }, () => alphabet[int(alphabet.length)]).join('');
    }
    try {
      const r = parseRequest(s);
      if (r.ok) {
        accepted++;
        const q = r.request;
        if (q.v !== 1 || !(COMMANDS as readonly string[]).includes(q.cmd)) t.fail(`accepted a bad request: ${s}`);
        if ((q.cmd === 'standby' || q.cmd === 'resume') && !q.target) t.fail(`accepted ${q.cmd} without target: ${s}`);
      } else if (typeof r.error.code !== 'string' || !r.error.code.startsWith('ERR_CONTROL_')) t.fail(`bad error for ${s}`);
    } catch (e) {
      thrown++;
      t.fail(`threw on ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
  }
  t.equal(thrown, 0, 'no exception');
  t.ok(accepted > 100, `some mutations stay valid (${accepted})`);
});

t.test('LineSplitter: split chunks, CRLF, overflow', async (t) => {
  const s = new LineSplitter();
  t.same(s.push('{"a"'), []);
  t.same(s.push(':1}\r\n{"b":2}\n\n{"c"'), ['{"a":1}', '{"b":2}']);
  t.same(s.push(':3}\n'), ['{"c":3}']);
  s.push('y'.repeat(MAX_REQUEST_BYTES + 10));
  t.ok(s.overflow);
});

t.test('socket path resolution and client arguments', async (t) => {
  t.equal(controlSocketPath({}), '/run/keepalived/control.sock');
  t.equal(controlSocketPath({ namespace: 'blue' }), '/run/keepalived/blue/control.sock');
  t.equal(controlSocketPath({ pidFile: '/tmp/x/keepalived.pid' }), '/tmp/x/keepalived.control.sock');
  t.equal(controlSocketPath({ pidFile: '/run/keepalived.pid' }), '/run/keepalived/control.sock', 'the default pid file keeps the default socket');
  t.equal(controlSocketPath({ configured: '/a.sock', env: '/b.sock', namespace: 'n' }), '/a.sock');
  t.equal(controlSocketPath({ env: '/b.sock', namespace: 'n' }), '/b.sock');
  t.match(parseClientArgs(['status', 'VI_1', '--json', '--socket', '/s'], {}), { ok: true, args: { cmd: 'status', target: 'VI_1', json: true, socket: '/s' } });
  t.match(parseClientArgs(['standby', 'VG', '--force', '-s', 'red'], {}), { ok: true, args: { force: true, socket: '/run/keepalived/red/control.sock' } });
  t.match(parseClientArgs(['standby'], {}), { ok: false, message: /needs an instance/ });
  t.match(parseClientArgs(['reload', 'x'], {}), { ok: false });
  t.match(parseClientArgs(['resume', 'x', '--json'], {}), { ok: false });
  t.match(parseClientArgs(['status', '--bogus'], {}), { ok: false, message: /Unknown option/ });
});

const quietLog = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const f = (s: string): void => void lines.push(s);
  return { lines, info: f, warn: f, error: f, debug: f, child: () => quietLog() } as unknown as Logger & { lines: string[] };
};

t.test('server: 0600 socket, errors answered, connection and daemon survive garbage, second server refused, stale socket replaced', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = path.join(dir, 'c.sock');
  const log = quietLog();
  const r = await openControlServer(p, log);
  if (!r.ok) throw new Error(r.message);
  const srv = r.server;
  t.teardown(() => srv.close());
  t.equal(fs.statSync(p).mode & 0o777, 0o600, 'mode 0600');
  const early = await exchange(p, encodeRequest({ cmd: 'status' }), 2000);
  t.match(early, { ok: true, response: { ok: false, error: { code: 'ERR_CONTROL_NOT_RUNNING' } } }, 'before the handler is set: a clear error');
  srv.setHandler(async (req) => {
    if (req.cmd === 'standby') throw new ControlFailure('ERR_CONTROL_NO_PEER', 'nobody');
    if (req.cmd === 'dump') throw new Error('boom');
    return { echo: req.cmd };
  });
  // One connection: garbage, then valid requests, all answered in order.
  const answers = await new Promise<string[]>((resolve) => {
    const c = net.connect(p);
    const got: string[] = [];
    const s = new LineSplitter();
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got.push(...s.push(d));
      if (got.length === 5) {
        c.destroy();
        resolve(got);
      }
    });
    c.write('garbage\n{"v":1,"cmd":"status","id":1}\n{"v":9}\n{"v":1,"cmd":"standby","target":"X","id":2}\n{"v":1,"cmd":"dump"}\n');
  });
  t.match(JSON.parse(answers[0] as string), { ok: false, error: { code: 'ERR_CONTROL_BAD_JSON' } });
  t.match(JSON.parse(answers[1] as string), { ok: true, id: 1, result: { echo: 'status' } });
  t.match(JSON.parse(answers[2] as string), { ok: false, error: { code: 'ERR_CONTROL_VERSION' } });
  t.match(JSON.parse(answers[3] as string), { ok: false, id: 2, error: { code: 'ERR_CONTROL_NO_PEER', message: 'nobody' } });
  t.match(JSON.parse(answers[4] as string), { ok: false, error: { code: 'ERR_CONTROL_INTERNAL', message: 'boom' } });
  // An over-long line: an error reply, then the connection closes; the server keeps serving.
  const long = await exchange(p, `${'z'.repeat(MAX_REQUEST_BYTES + 100)}`, 3000);
  t.match(long, { ok: true, response: { ok: false, error: { code: 'ERR_CONTROL_TOO_LONG' } } });
  t.match(await exchange(p, encodeRequest({ cmd: 'reload' }), 2000), { ok: true, response: { ok: true, result: { echo: 'reload' } } }, 'still serving');
  t.ok(log.lines.some((l) => /Control request: status/.test(l)) && log.lines.some((l) => /Control request refused: ERR_CONTROL_BAD_JSON/.test(l)) && log.lines.some((l) => /failed: ERR_CONTROL_NO_PEER/.test(l)), 'requests and outcomes logged');
  const second = await openControlServer(p, quietLog());
  t.match(second, { ok: false, message: /in use by another keepalived/ }, 'a second daemon on the same path is refused');
  await srv.close();
  t.notOk(fs.existsSync(p), 'removed on close');
  // A stale socket (its owner died without removing it) is replaced.
  // its owner is killed by SIGKILL while listening: the socket file stays behind
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, 'SIGKILL'))`], { timeout: 5000 });
  t.ok(fs.existsSync(p), 'stale socket file left behind');
  const again = await openControlServer(p, quietLog());
  t.equal(again.ok, true, 'stale socket replaced');
  if (again.ok) await again.server.close();
});

t.test('client: a missing socket reads as "is keepalived running?"', async (t) => {
  const r = await exchange('/nonexistent/dir/c.sock', encodeRequest({ cmd: 'status' }), 1000);
  t.match(r, { ok: false, message: /no control socket at .*is keepalived running/ });
});
