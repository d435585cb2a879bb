import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { main, configTestStatus } from '../../src/cli/main';
import { hexdump, buildRequest, parseGenhashArgs, splitResponse } from '../../src/cli/genhash';
import { writePidfile, removePidfile, readPid } from '../../src/cli/pidfile';

const root = path.resolve(__dirname, '../../..');
const MAIN = path.join(root, 'dist/src/cli/main.js');
const FIX = path.join(root, 'test/fixtures/parser/ctest');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the compiled CLI with a hard deadline. */
function run(args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** In-process run with captured output (faster than spawning). */
async function runIn(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) }, 'host1.example', { interfaceExists: (n) => (n === 'eth0' ? 'present' : 'absent') });
  return { code, stdout, stderr };
}

t.test('the compiled CLI has a shebang and runs', async (t) => {
  t.match(fs.readFileSync(MAIN, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env (-S )?node\b/);
  const v = await run(['-v']);
  t.equal(v.code, 0);
  // run as an executable, the way the installed `keepalived` command runs (shebang flags included)
  const { spawnSync } = await import('node:child_process');
  const direct = spawnSync(MAIN, ['-v'], { encoding: 'utf8' });
  t.equal(direct.status, 0, 'runs through its shebang');
  t.match(v.stderr, /^Keepalived v2\.2\.7 \(tskeepalived \d+\.\d+\.\d+\)/);
});

t.test('modes that exit at once', async (t) => {
  let r = await runIn(['-h']);
  t.equal(r.code, 0);
  t.match(r.stderr, /^Usage: keepalived \[OPTION\.\.\.\]/);
  t.match(r.stderr, /--config-test/);
  r = await runIn(['--bogus']);
  t.equal(r.code, 1, 'unknown flag exits 1');
  t.match(r.stderr, /^Unknown option --bogus\nUsage: keepalived/);
  r = await runIn(['-f']);
  t.equal(r.code, 1);
  t.match(r.stderr, /Missing parameter for option -f/);
  const sig: [string, string][] = [
    ['STOP', '15'],
    ['RELOAD', '1'],
    ['DATA', '10'],
    ['STATS', '12'],
    ['STATS_CLEAR', '63'],
    ['JSON', '36'],
  ];
  for (const [name, n] of sig) {
    r = await runIn([`--signum=${name}`]);
    t.same([r.code, r.stdout], [0, `${n}\n`], `--signum=${name}`);
  }
  r = await runIn(['--signum=stop']);
  t.same([r.code, r.stderr], [1, 'Unknown sigfunc stop\n']);
});

t.test('config test exit codes (keepalived 2.2.7 binary\'s; test/interop/config-test-codes compares them)', async (t) => {
  // The fixtures name eth0: the host's interfaces are replaced by a fake in which only eth0 exists.
  const deps = { interfaceExists: (n: string) => (n === 'eth0' ? 'present' : n === 'lo' ? 'loopback' : 'absent') as 'present' | 'absent' | 'loopback' };
  const runT = async (args: string[]): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) }, 'host1.example', deps);
    return { code, stdout, stderr };
  };
  const rows: [string, string[], number, RegExp | undefined][] = [
    ['good config', ['good.conf'], 0, undefined],
    ['extra brace', ['extra-brace.conf'], 5, /extra-brace\.conf:10:1: error: Extra '\}' found/],
    ['typo names file:line and the suggestion', ['typo.conf'], 5, /typo\.conf:4:3: .*virtual_router_idd.*did you mean `virtual_router_id`/],
    ['missing plain include only warns', ['include-missing.conf'], 0, /include-missing\.conf:1:9: warning: .*does-not-exist\.conf/],
    ['scripts without enable_script_security', ['scripts.conf'], 6, /script_security/],
    ['missing config file (keepalived: 0 without -e)', ['no-such-file.conf'], 0, /no-such-file\.conf/],
  ];
  for (const [name, [file], code, msg] of rows) {
    const r = await runT(['-t', '-f', path.join(FIX, file as string)]);
    t.equal(r.code, code, `${name}: exit ${code}`);
    if (msg) t.match(r.stderr, msg, `${name}: message`);
    else t.equal(r.stderr, '', `${name}: silent`);
  }
  let e = await runT(['-t', '-e', '-f', path.join(FIX, 'include-missing.conf')]);
  t.equal(e.code, 6, '-e: missing include exits 6');
  e = await runT(['-t', '-e', '-f', path.join(FIX, 'no-such-file.conf')]);
  t.equal(e.code, 4, '-e: missing main file exits 4');
  const noIf = await main(['-t', '-f', path.join(FIX, 'good.conf')], { out: () => undefined, err: () => undefined }, 'h', { interfaceExists: () => 'absent' });
  t.equal(noIf, 5, 'an interface that does not exist exits 5');
  const spawned = await run(['-t', '-f', path.join(FIX, 'no-such-file.conf'), '-e']);
  t.equal(spawned.code, 4, 'the spawned binary returns the same status');
});

t.test('config test to a file, --dump-config, -x', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tska-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'diag.txt');
  let r = await runIn([`--config-test=${out}`, '-f', path.join(FIX, 'extra-brace.conf')]);
  t.equal(r.code, 5);
  t.equal(r.stderr, '', 'nothing on stderr');
  t.match(fs.readFileSync(out, 'utf8'), /Extra '\}' found/);
  r = await runIn(['--dump-config', '-f', path.join(FIX, 'good.conf')]);
  t.equal(r.code, 0);
  const model = JSON.parse(r.stdout) as unknown;
  t.match(JSON.stringify(model), /VI_1/, 'model JSON names the instance');
  r = await runIn(['-x', '-t', '-f', path.join(FIX, 'good.conf')]);
  t.equal(r.code, 0);
  t.match(r.stderr, /SNMP is not supported by tskeepalived/);
  r = await runIn(['-m', '--perf', '-t', '-f', path.join(FIX, 'good.conf')]);
  t.equal(r.code, 0, 'developer flags accepted');
  t.match(r.stderr, /-m\/--core-dump is not supported by tskeepalived; ignored\n--perf is not supported/);
  t.equal(configTestStatus([{ severity: 'warning', code: 'X', message: '' }]), 0);
  t.equal(configTestStatus([{ severity: 'warning', code: 'ERR_CONFIG_SCRIPT_SECURITY', message: '' }, { severity: 'error', code: 'Y', message: '' }]), 6, 'script security outranks errors (keepalived 2.2.7)');
  t.equal(configTestStatus([{ severity: 'warning', code: 'ERR_CONFIG_SCRIPT_SECURITY', message: '' }, { severity: 'fatal', code: 'ERR_CONFIG_NO_INTERFACE', message: '' }]), 5, 'a missing interface outranks script security');
  t.equal(configTestStatus([{ severity: 'fatal', code: 'Z', message: '' }, { severity: 'error', code: 'Y', message: '' }]), 5);
});

t.test('pid files', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tska-pid-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sub/keepalived.pid');
  t.same(writePidfile(file), { ok: true }, 'creates the directory and the file');
  t.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);
  t.same(writePidfile(file), { ok: true }, 'rewriting our own pid is fine');
  const sleeper: ChildProcess = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    sleeper.kill('SIGKILL');
  });
  fs.writeFileSync(file, `${sleeper.pid}\n`);
  const busy = writePidfile(file);
  t.match(busy, { ok: false, code: 'ERR_PIDFILE_RUNNING', pid: sleeper.pid });
  t.match(busy.ok ? '' : busy.message, /daemon is already running/);
  removePidfile(file);
  t.ok(fs.existsSync(file), 'never removes a pid file that is not ours');
  const cli = await run(['-n', '-f', path.join(FIX, 'good.conf'), '-p', file]);
  t.equal(cli.code, 1, 'the CLI refuses to start a second daemon');
  t.match(cli.stderr, /daemon is already running/);
  t.equal(fs.readFileSync(file, 'utf8'), `${sleeper.pid}\n`, 'and leaves the pid file alone');
  fs.writeFileSync(file, '999999999\n');
  t.same(writePidfile(file), { ok: true }, 'stale pid replaced');
  fs.writeFileSync(file, 'garbage');
  t.same(writePidfile(file), { ok: true }, 'garbage replaced');
  t.equal(readPid(file), process.pid);
  removePidfile(file);
  t.notOk(fs.existsSync(file), 'removed');
});

t.test('genhash pure parts', async (t) => {
  t.same(parseGenhashArgs(['-s', '1.2.3.4', '-p', '80', '-u', '/x', '-V', 'vh', '-v', '-S', '-P', '1.1', '-t', '2']), {
    ssl: true,
    sni: false,
    server: '1.2.3.4',
    port: 80,
    url: '/x',
    virtualhost: 'vh',
    verbose: true,
    help: false,
    protocol: '1.1',
    timeoutMs: 2000,
  });
  t.match(parseGenhashArgs(['--server=h', '--port', '8080', '--url=/']), { server: 'h', port: 8080, url: '/' });
  t.equal(parseGenhashArgs(['-p', '0']), "Invalid port '0'");
  t.equal(parseGenhashArgs(['-q']), 'Unknown option -q');
  t.equal(parseGenhashArgs(['-P', '2']), "Invalid protocol '2'");
  const base = parseGenhashArgs(['-s', '127.0.0.1', '-p', '18083', '-u', '/x']);
  if (typeof base === 'string') throw new Error(base);
  // Requests as keepalived 2.2.7 sends them (captured).
  t.equal(buildRequest(base), 'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:18083\r\n\r\n');
  t.equal(buildRequest({ ...base, protocol: '1.1' }), 'GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:18083\r\n\r\n');
  t.equal(buildRequest({ ...base, virtualhost: 'vh.example' }), 'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: vh.example\r\n\r\n');
  t.equal(buildRequest({ ...base, server: '2001:db8::1', port: 80 }).split('\r\n')[2], 'Host: [2001:db8::1]:80');
  // Lines copied from keepalived 2.2.7's verbose output.
  const header = Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n'), Buffer.alloc(159, 0x41), Buffer.from('7 GMT\r\n\r\n')]);
  const dump = hexdump(header).split('\n');
  t.equal(dump[0], '0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.');
  t.equal(dump[11], '0176  37 20 47 4d 54 0d 0a 0d - 0a                        7 GMT....       ', 'partial last line');
  t.equal(hexdump(Buffer.from('hello world\n')), '0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n');
  const sr = splitResponse(Buffer.from('HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody\r\n\r\nmore'));
  t.equal(sr.body.toString(), 'body\r\n\r\nmore', 'split at the first blank line only');
  t.equal(splitResponse(Buffer.from('no header end')).body.length, 0);
});

t.test('genhash against a local HTTP server', async (t) => {
  const body = 'hello world\n';
  const server = http.createServer((req, res) => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('abc');
      res.end();
      return;
    }
    res.writeHead(req.url === '/index.html' ? 200 : 404, { 'Content-Length': Buffer.byteLength(body), 'X-Host': String(req.headers.host) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = String((server.address() as net.AddressInfo).port);
  const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');

  let r = await run(['-T', '-s', '127.0.0.1', '-p', port, '-u', '/index.html']);
  t.same([r.code, r.stdout], [0, `${md5(body)}\n`], 'digest of the body');
  r = await runIn(['--genhash', '-s', '127.0.0.1', '-p', port, '-u', '/missing']);
  t.equal(r.stdout, `${md5(body)}\n`, 'the body is hashed whatever the status');
  r = await runIn(['-T', '-s', '127.0.0.1', '-p', port, '-u', '/chunked', '-P', '1.1']);
  t.equal(r.stdout, `${md5('3\r\nabc\r\n0\r\n\r\n')}\n`, 'chunked body hashed raw, as keepalived does');
  r = await runIn(['-T', '-v', '-s', '127.0.0.1', '-p', port, '-u', '/index.html', '-V', 'vh.test']);
  const lines = r.stdout.split('\n');
  t.equal(lines[0], '-----------------------[    HTTP Header Buffer    ]-----------------------');
  t.ok(lines.includes('-----------------------[ HTTP Header Ascii Buffer ]-----------------------'));
  t.ok(lines.includes('X-Host: vh.test\r'), 'virtualhost sent as Host');
  t.ok(lines.includes('0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    '));
  t.ok(lines.includes('-----------------------[ HTML hash final resulting ]-----------------------'));
  t.match(r.stdout, new RegExp(`${md5(body)}\\n\\nGlobal response time for \\[/index.html\\] = \\d+ usecs\\n$`));
  // A port nobody listens on: keepalived prints "Connection failed" and still exits 0.
  const closed = net.createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
  const deadPort = String((closed.address() as net.AddressInfo).port);
  await new Promise<void>((res) => closed.close(() => res()));
  r = await runIn(['-T', '-s', '127.0.0.1', '-p', deadPort, '-u', '/']);
  t.same([r.code, r.stdout], [0, 'Connection failed\n']);
  r = await runIn(['-T', '-s', '127.0.0.1', '-u', '/']);
  t.equal(r.code, 1, 'missing port: usage, exit 1');
  t.match(r.stderr, /^Usage: keepalived --genhash COMMAND \[OPTIONS\]/);
});
