/**
 * `-t` exit codes equal those of the installed keepalived 2.2.7 binary (issue #11 point 4): a table
 * of broken configurations goes through `/usr/sbin/keepalived -t` and our `keepalived -t`, each
 * run in a private network namespace (`unshare -n`) holding only lo and a veth named eth0, with
 * private pid files, so neither depends on the host's interfaces nor disturbs anything.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { isRoot } from '../support/netns';
import { MAIN, NODE_FLAGS } from '../support/daemon';
import { KEEPALIVED_BIN } from '../support/keepalived';

const skip = !isRoot() ? 'needs root (network namespaces)' : !KEEPALIVED_BIN ? 'keepalived is not installed' : false;

const inst = (body = '', iface = 'eth0', vrid = '51'): string =>
  `vrrp_instance VI_1 {\n    interface ${iface}\n    virtual_router_id ${vrid}\n${body}\n    virtual_ipaddress {\n        192.0.2.100/24\n    }\n}\n`;
const SCRIPT = 'vrrp_script chk {\n    script "/bin/true"\n}\n';
const tracked = (body = '', iface = 'eth0'): string => SCRIPT + inst(`    track_script {\n        chk\n    }\n${body}`, iface);

interface Row {
  name: string;
  /** Config text; undefined = the file does not exist. */
  text?: string;
  args?: string[];
  /** keepalived 2.2.7's status, as measured when this table was written (both are checked against the binary now). */
  measured: number;
}

const rows: Row[] = [
  { name: 'valid', text: inst(), measured: 0 },
  { name: 'empty file', text: '', measured: 0 },
  { name: 'missing include', text: `include ${'/nonexistent-tk/x.conf'}\n${inst()}`, measured: 0 },
  { name: 'missing include, -e', text: `include ${'/nonexistent-tk/x.conf'}\n${inst()}`, args: ['-e'], measured: 6 },
  { name: 'missing main file', measured: 0 },
  { name: 'missing main file, -e', args: ['-e'], measured: 4 },
  { name: 'priority 300', text: inst('    priority 300'), measured: 5 },
  { name: 'garp_master_repeat 0', text: inst('    garp_master_repeat 0'), measured: 5 },
  { name: 'state FOO', text: inst('    state FOO'), measured: 5 },
  { name: 'fractional VRRPv2 advert_int', text: inst('    advert_int 1.5'), measured: 5 },
  { name: 'virtual_router_id 0', text: inst('', 'eth0', '0'), measured: 5 },
  { name: 'no virtual_router_id', text: 'vrrp_instance VI_1 {\n    interface eth0\n}\n', measured: 5 },
  { name: 'unknown keyword', text: `${inst()}bogus_keyword 1\n`, measured: 5 },
  { name: 'missing }', text: `global_defs {\n${inst()}`, measured: 5 },
  { name: 'extra }', text: `${inst()}}\n`, measured: 5 },
  { name: 'interface that does not exist', text: inst('', 'eth7'), measured: 5 },
  { name: 'loopback interface', text: inst('', 'lo'), measured: 5 },
  { name: 'track_interface that does not exist', text: inst('    track_interface {\n        eth7\n    }'), measured: 5 },
  { name: 'VIP dev that does not exist', text: inst().replace('192.0.2.100/24', '192.0.2.100/24 dev eth7'), measured: 5 },
  { name: 'missing interface with dynamic_interfaces', text: `global_defs {\n    dynamic_interfaces\n}\n${inst('', 'eth7')}`, measured: 0 },
  { name: 'script without enable_script_security', text: tracked(), measured: 6 },
  { name: 'script without enable_script_security, and an error', text: tracked('    priority 300'), measured: 6 },
  { name: 'script without enable_script_security, and a missing interface', text: tracked('', 'eth7'), measured: 5 },
  { name: 'missing include with -e, and an error', text: `include /nonexistent-tk/x.conf\n${inst('    priority 300')}`, args: ['-e'], measured: 6 },
  { name: 'rule without a preference', text: `${inst()}static_rules {\n    from 192.0.2.50 table 100\n}\n`, measured: 5 },
  { name: 'rule with preference', text: `${inst()}static_rules {\n    from 192.0.2.50 table 100 preference 100\n}\n`, measured: 0 },
  { name: 'rule option pref (unknown to 2.2.7)', text: `${inst()}static_rules {\n    from 192.0.2.50 table 100 pref 100\n}\n`, measured: 5 },
  { name: 'rule option ip_proto (unknown to 2.2.7)', text: `${inst()}static_rules {\n    from 192.0.2.50 table 100 preference 9 ip_proto udp\n}\n`, measured: 5 },
  { name: 'rule protocol 12, tracked', text: `${inst()}static_rules {\n    from 192.0.2.50 table 100 preference 9 protocol 12\n}\n`, measured: 5 },
  { name: 'static address with an unknown track_group', text: `${inst()}static_ipaddress {\n    192.0.2.50/24 dev eth0 track_group NOPE\n}\n`, measured: 5 },
  { name: 'static address with a known track_group', text: `${inst()}track_group TG {\n    group {\n        VI_1\n    }\n}\nstatic_ipaddress {\n    192.0.2.50/24 dev eth0 track_group TG\n}\n`, measured: 0 },
  { name: 'sync group of one instance', text: `vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n${inst()}`, measured: 5 },
  { name: 'sync group naming an unknown instance', text: `vrrp_sync_group G {\n    group {\n        VI_1\n        VI_9\n    }\n}\n${inst()}`, measured: 5 },
  { name: 'sync group members without group { } (1.x syntax)', text: `vrrp_sync_group G {\n    VI_1\n}\n${inst()}`, measured: 5 },
  { name: 'DR real server on another port', text: `${inst()}virtual_server 192.0.2.100 80 {\n    protocol TCP\n    lvs_sched rr\n    lvs_method DR\n    real_server 192.0.2.5 8080 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'TUN real server on another port', text: `${inst()}virtual_server 192.0.2.100 80 {\n    protocol TCP\n    lvs_sched rr\n    lvs_method TUN\n    real_server 192.0.2.5 8080 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'NAT real server on another port', text: `${inst()}virtual_server 192.0.2.100 80 {\n    protocol TCP\n    lvs_sched rr\n    lvs_method NAT\n    real_server 192.0.2.5 8080 {\n        weight 1\n    }\n}\n`, measured: 0 },
  { name: 'DR real server on the same port', text: `${inst()}virtual_server 192.0.2.100 80 {\n    protocol TCP\n    lvs_sched rr\n    lvs_method DR\n    real_server 192.0.2.5 80 {\n        weight 1\n    }\n}\n`, measured: 0 },
  { name: 'fwmark service with protocol', text: `${inst()}virtual_server fwmark 1 {\n    lvs_sched rr\n    lvs_method NAT\n    protocol TCP\n    real_server 192.0.2.5 80 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'fwmark DR real server with a port', text: `${inst()}virtual_server fwmark 1 {\n    lvs_method DR\n    real_server 192.0.2.5 80 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'fwmark DR real server without a port', text: `${inst()}virtual_server fwmark 1 {\n    lvs_sched rr\n    lvs_method DR\n    real_server 192.0.2.5 {\n        weight 1\n    }\n}\n`, measured: 0 },
  { name: 'static route without dev', text: `${inst()}static_routes {\n    198.51.100.0/24 via 192.0.2.1\n}\n`, measured: 5 },
  { name: 'static route without dev, no_track', text: `${inst()}static_routes {\n    198.51.100.0/24 via 192.0.2.1 no_track\n}\n`, measured: 0 },
  { name: 'static route protocol 12, tracked', text: `${inst()}static_routes {\n    198.51.100.0/24 via 192.0.2.1 dev eth0 protocol 12\n}\n`, measured: 5 },
  { name: 'AH with initial state MASTER, priority 100', text: inst('    state MASTER\n    priority 100\n    authentication {\n        auth_type AH\n        auth_pass secret\n    }'), measured: 5 },
  { name: 'AH with initial state MASTER, no priority (255)', text: inst('    state MASTER\n    authentication {\n        auth_type AH\n        auth_pass secret\n    }'), measured: 0 },
  { name: 'address service without protocol (UDP)', text: `${inst()}virtual_server 192.0.2.100 80 {\n    lvs_sched rr\n    real_server 192.0.2.5 80 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'service without lvs_sched', text: `${inst()}virtual_server 192.0.2.100 80 {\n    protocol TCP\n    real_server 192.0.2.5 80 {\n        weight 1\n    }\n}\n`, measured: 5 },
  { name: 'nopreempt with state MASTER, priority 100', text: inst('    state MASTER\n    priority 100\n    nopreempt'), measured: 5 },
  { name: 'nopreempt with priority 255', text: inst('    priority 255\n    nopreempt'), measured: 5 },
  { name: 'nopreempt with preempt_delay', text: inst('    nopreempt\n    preempt_delay 10'), measured: 5 },
  { name: 'preempt_delay, state BACKUP', text: inst('    state BACKUP\n    preempt_delay 10'), measured: 0 },
  { name: 'vrrp_script without script', text: `vrrp_script s {\n    interval 1\n}\n${inst('    track_script {\n        s\n    }')}`, measured: 5 },
  { name: 'auth_pass of 9 characters', text: inst('    authentication {\n        auth_type PASS\n        auth_pass 123456789\n    }'), measured: 5 },
  { name: 'instance without a VIP', text: 'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n}\n', measured: 5 },
  { name: 'track_interface naming its own interface', text: inst('    track_interface {\n        eth0 weight -10\n    }'), measured: 5 },
  { name: 'use_vmac with a name over 15 characters', text: inst('    use_vmac vrrp.51.toolongname1234'), measured: 5 },
  { name: 'use_vmac with a valid name', text: inst('    use_vmac vrrp.51'), measured: 0 },
];

/** Runs `argv` in a new network namespace with lo and eth0 (a veth whose peer is eth9). */
function inNetns(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && ip link add eth0 type veth peer name eth9 && ip link set eth0 up && exec "$@"', 'sh', ...argv], {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

t.test('keepalived -t exit codes: ours equal the binary\'s on every row', { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-codes-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pids = (who: string): string[] => ['-p', path.join(dir, `${who}.pid`), '-r', path.join(dir, `${who}-vrrp.pid`), '-c', path.join(dir, `${who}-chk.pid`)];
  rows.forEach((row, i) => {
    const conf = path.join(dir, `c${i}.conf`);
    if (row.text !== undefined) fs.writeFileSync(conf, row.text);
    const args = ['-t', '-f', conf, ...(row.args ?? [])];
    const theirs = inNetns([KEEPALIVED_BIN as string, ...args, '-l', ...pids('ka')]);
    const ours = inNetns([process.execPath, ...NODE_FLAGS, MAIN, ...args, ...pids('tk')]);
    t.equal(theirs.status, row.measured, `${row.name}: keepalived still exits ${row.measured}`);
    t.equal(ours.status, theirs.status, `${row.name}: ours exits ${ours.status}, keepalived ${theirs.status}`);
    if (ours.status !== theirs.status) t.comment(`keepalived said:\n${theirs.out}\nwe said:\n${ours.out}`);
  });
});
