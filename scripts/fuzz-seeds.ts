/**
 * Writes the seed corpus of the fuzz targets (test/fixtures/fuzz/<target>/seed-*) from the
 * project's own encoders, so the seeds are well-formed inputs each target decodes fully.
 * Run once after an encoder changes: node dist/scripts/fuzz-seeds.js. Crash inputs found by
 * scripts/fuzz.ts live beside the seeds as crash-<sha1> and are never rewritten here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AttrStream, formatMessage, rt } from 'netlink';
import { encodeAdvert } from '../src/vrrp/packet';
import { encode } from '../src/lvs/ipvs-codec';
import { encodeRequest } from '../src/control/protocol';
import { BfdState, encodeControl } from '../src/bfd/packet';
import { CORPUS_DIR } from './fuzz';

function write(target: string, name: string, data: Buffer | string): void {
  const dir = path.join(CORPUS_DIR, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `seed-${name}`), data);
}

const sel = (family: 'inet' | 'inet6', unicast = false) => Buffer.from([(family === 'inet6' ? 1 : 0) | 2 | (unicast ? 4 : 0)]);
write('vrrp', 'v2-pass', Buffer.concat([sel('inet'), encodeAdvert({ version: 2, family: 'inet', vrid: 51, priority: 100, advertIntCs: 100, addresses: ['192.0.2.100'], auth: { type: 'PASS', password: 'secret' }, src: '192.0.2.2', dst: '224.0.0.18' })]));
write('vrrp', 'v3-v4', Buffer.concat([sel('inet'), encodeAdvert({ version: 3, family: 'inet', vrid: 51, priority: 200, advertIntCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], src: '192.0.2.2', dst: '224.0.0.18' })]));
write('vrrp', 'v3-unicast', Buffer.concat([sel('inet', true), encodeAdvert({ version: 3, family: 'inet', vrid: 51, priority: 0, advertIntCs: 5, addresses: ['192.0.2.100'], src: '192.0.2.2', dst: '192.0.2.1' })]));
write('vrrp', 'v3-v6', Buffer.concat([sel('inet6'), encodeAdvert({ version: 3, family: 'inet6', vrid: 51, priority: 255, advertIntCs: 100, addresses: ['fe80::1', '2001:db8::100'], src: 'fe80::2', dst: 'ff02::12' })]));

write('config', 'vrrp', `global_defs {
  router_id fuzz
  vrrp_garp_master_delay 5
  enable_script_security
}
vrrp_script chk { script "/bin/true"
  interval 2 weight -20 fall 2 rise 1 }
vrrp_sync_group G { group { VI_1 VI_6 } }
vrrp_instance VI_1 {
  state MASTER
  interface lo
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication { auth_type PASS
    auth_pass secret }
  unicast_peer { 192.0.2.2 }
  virtual_ipaddress { 192.0.2.100/24 dev lo label lo:1
    198.51.100.1 }
  virtual_routes { 198.51.100.0/25 via 192.0.2.254 dev lo table 100 }
  virtual_rules { from 192.0.2.100 table 100 priority 100 }
  track_script { chk weight 10 }
  track_interface { lo weight -50 }
  notify_master "/bin/echo master"
}
vrrp_instance VI_6 { interface lo
  virtual_router_id 52 priority 100 native_ipv6
  virtual_ipaddress { 2001:db8::100/64 } }
`);
write('config', 'preprocess', `$IF=lo
@fuzz $PRIO=150
@^fuzz $PRIO=100
~SEQ(n,1,1,3) vrrp_instance VI_$n { interface $IF
  virtual_router_id $n
  priority $PRIO
  virtual_ipaddress { 192.0.2.$n } }
include b.conf
`);
write('config', 'lvs', `virtual_server_group G { 192.0.2.10-20 80 fwmark 7 }
virtual_server 192.0.2.1 80 {
  delay_loop 6 lb_algo wrr lb_kind NAT persistence_timeout 50 protocol TCP
  sorry_server 192.0.2.9 80
  real_server 198.51.100.2 80 { weight 2
    HTTP_GET { url { path /health status_code 200 digest 9b3a0c85a887a256d6939da88aabd8cd }
      connect_timeout 3 retry 3 delay_before_retry 2 } }
  real_server 198.51.100.3 80 { TCP_CHECK { connect_port 80 } }
  real_server 198.51.100.4 53 { DNS_CHECK { type A name example.org } }
  real_server 198.51.100.5 25 { SMTP_CHECK { helo_name x host { connect_ip 198.51.100.5 } } }
  real_server 198.51.100.6 80 { MISC_CHECK { misc_path "/bin/true" misc_dynamic } }
}
`);

function fmt<M>(f: (x: M, out: AttrStream) => void, x: M): Buffer {
  const out = new AttrStream();
  f(x, out);
  return Buffer.concat(out.bufs);
}
const link = fmt(rt.formatLinkMessage, { data: { index: 1, flags: { up: true, running: true, loopback: true } }, attrs: { ifname: 'lo', address: Buffer.from([0, 0, 0, 0, 0, 0]), mtu: 65536, operstate: 6 } } as never);
const addr = fmt(rt.formatAddressMessage, { data: { family: 2, prefixlen: 24, index: 1, scope: 0 }, attrs: { address: Buffer.from([192, 0, 2, 1]), local: Buffer.from([192, 0, 2, 1]), label: 'lo' } } as never);
const addr6 = fmt(rt.formatAddressMessage, { data: { family: 10, prefixlen: 64, index: 1, scope: 0 }, attrs: { address: Buffer.from('20010db8000000000000000000000100', 'hex') } } as never);
const route = fmt(rt.formatRouteMessage, { data: { family: 2, dstLen: 25, table: 254, protocol: 18, scope: 0, type: 1 }, attrs: { dst: Buffer.from([198, 51, 100, 0]), gateway: Buffer.from([192, 0, 2, 254]), table: 100, priority: 10 } } as never);
const T = rt.MessageType;
const msg = (type: number, data: Buffer) => Buffer.concat(formatMessage({ type, flags: 0, seq: 0, port: 0, data } as never));
write('rtnl', 'link', msg(T.NEWLINK, link));
write('rtnl', 'addrs', Buffer.concat([msg(T.NEWADDR, addr), msg(T.DELADDR, addr6)]));
write('rtnl', 'route', msg(T.DELROUTE, route));

const svc = { af: 'inet' as const, protocol: 'tcp' as const, addr: '192.0.2.1', port: 80, fwmark: 0, scheduler: 'wrr', flags: 2, timeoutS: 50, netmaskPrefix: 32, peName: 'sip' };
write('ipvs', 'service', encode.newService(svc));
write('ipvs', 'dest', encode.newDest(svc, { addr: '198.51.100.2', port: 80, fwd: 'tunnel', weight: 2, upperThreshold: 10, lowerThreshold: 1, tunType: 'gue', tunPort: 6080, tunCsum: 'csum' }));
write('ipvs', 'dest6', encode.newDest({ ...svc, af: 'inet6', addr: '2001:db8::1' }, { addr: '2001:db8::2', port: 80, fwd: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 }));
write('ipvs', 'daemon', encode.newDaemon({ state: 'master', ifname: 'eth0', syncId: 7, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 }));
write('ipvs', 'timeouts', encode.setTimeouts({ tcpS: 900, tcpFinS: 120, udpS: 300 }));

write('control', 'requests', [
  encodeRequest({ cmd: 'status', id: 1 }),
  encodeRequest({ cmd: 'standby', target: 'VI_1', force: true, id: 'a' }),
  encodeRequest({ cmd: 'reload' }),
  '{"v":1,"cmd":"dump","id":3}',
  '{"v":1,"ok":true,"id":1,"result":{"instances":[]}}',
].join('\n') + '\n');
write('bfd', 'down', encodeControl({ diag: 0, state: BfdState.Down, poll: false, final: false, detectMult: 3, myDiscr: 7, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 50_000 }));
write('bfd', 'up-poll', encodeControl({ diag: 0, state: BfdState.Up, poll: true, final: false, detectMult: 3, myDiscr: 7, yourDiscr: 1, desiredMinTxUs: 50_000, requiredMinRxUs: 50_000 }));
write('bfd', 'init-final', encodeControl({ diag: 1, state: BfdState.Init, poll: false, final: true, detectMult: 5, myDiscr: 9, yourDiscr: 1, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000 }));
console.log(`seeds written under ${CORPUS_DIR}`);
