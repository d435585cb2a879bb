/**
 * syslog through the addon's openlog/syslog: the line must reach /dev/log as keepalived's do
 * ("<30>... Keepalived_vrrp[PID]: (VI_1) Entering MASTER STATE"). The test runs in a private
 * mount namespace with its own tmpfs /dev, so the host's /dev/log is never touched, and a
 * python3 datagram listener stands in for the syslog daemon.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot } from '../support/netns';

const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
const skip = (!isRoot() && 'needs root') || (!python && 'needs python3 for the /dev/log listener');
const probe = join(__dirname, '..', 'support', 'native-probe.js');

t.test('syslog lines reach /dev/log with ident, pid, facility and severity', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsk-syslog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const outFile = join(dir, 'received');
  const listener = `
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/dev/log')
s.settimeout(5)
with open(${JSON.stringify(outFile)}, 'w') as f:
    for _ in range(2):
        f.write(s.recv(4096).decode() + '\\n')
`;
  writeFileSync(join(dir, 'listen.py'), listener);
  // daemon.info = 3*8+6 = 30; local0.err = 16*8+3 = 131.
  const script = `
set -e
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs /dev
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/urandom c 1 9; mknod -m 666 /dev/random c 1 8
${python} ${join(dir, 'listen.py')} &
for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
${process.execPath} ${probe} syslog Keepalived_vrrp 30 '(VI_1) Entering MASTER STATE'
${process.execPath} ${probe} syslog Keepalived_vrrp 131 'percent %s %n is data, not a format'
wait
`;
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile('unshare', ['-m', 'sh', '-c', script], { timeout: 20_000 }, (err, _out, stderr) =>
      resolve({ code: err ? 1 : 0, stderr: String(stderr) }),
    );
  });
  t.equal(r.code, 0, `namespace script ran ${r.stderr}`);
  const lines = existsSync(outFile) ? readFileSync(outFile, 'utf8').trim().split('\n') : [];
  t.equal(lines.length, 2, 'two datagrams received');
  t.match(lines[0], /^<30>\w{3} [ \d]\d \d\d:\d\d:\d\d Keepalived_vrrp\[\d+\]: \(VI_1\) Entering MASTER STATE$/);
  t.match(lines[1], /^<131>.*Keepalived_vrrp\[\d+\]: percent %s %n is data, not a format$/);
});
