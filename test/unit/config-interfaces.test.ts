// Every interface the configuration names must exist (keepalived 2.2.7 -t exits 5 and the daemon
// refuses to start: "Non-existent interface specified in configuration"); dynamic_interfaces relaxes it.
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { configTestStatus, daemonRefusalStatus } from '../../src/cli/exit-status';
import type { InterfaceLookup } from '../../src/config/interfaces';

const host: InterfaceLookup = (n) => (n === 'eth0' ? 'present' : n === 'lo' ? 'loopback' : 'absent');
const load = (text: string, lookup: InterfaceLookup | undefined = host) =>
  loadConfigText(text, 't.conf', { configId: 'x', readFile: () => { throw new Error('no'); }, interfaceExists: lookup });
const inst = (body: string, iface = 'eth0') => `vrrp_instance VI_1 {\n  interface ${iface}\n  virtual_router_id 51\n${body}\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;

// Measured with keepalived -t in a namespace holding only lo and eth0.
const rows: [string, string, RegExp][] = [
  ['instance interface', inst('', 'eth7'), /interface eth7 for vrrp_instance VI_1 doesn't exist/],
  ['loopback as the instance interface', inst('', 'lo'), /\(VI_1\) cannot use a loopback interface \(lo\) for vrrp/],
  ['track_interface', inst('  track_interface {\n    eth7\n  }'), /interface eth7 for \(VI_1\) tracked interface doesn't exist/],
  ['VIP dev', inst('').replace('192.0.2.100/24', '192.0.2.100/24 dev eth7'), /interface eth7 for ip address 192\.0\.2\.100\/24 doesn't exist/],
  ['virtual_routes dev', inst('  virtual_routes {\n    198.51.100.0/24 dev eth7\n  }'), /interface eth7 for VROUTE nexthop doesn't exist/],
  ['static_ipaddress dev', `static_ipaddress {\n  192.0.2.5/24 dev eth7\n}\n${inst('')}`, /interface eth7 for ip address 192\.0\.2\.5\/24 doesn't exist/],
];

for (const [name, text, msg] of rows) {
  t.test(`${name} that does not exist: refused`, async (t) => {
    const r = load(text);
    t.match(r.diagnostics.map((d) => d.message).join('\n'), msg);
    t.ok(r.diagnostics.some((d) => d.severity === 'fatal' && /Non-existent interface specified in configuration/.test(d.message)), 'keepalived\'s summary line, fatal: the daemon does not start');
    t.equal(r.model, undefined, 'no model to run');
    t.equal(configTestStatus(r.diagnostics), 5, '-t exits 5');
    t.equal(daemonRefusalStatus(r.diagnostics), 2, 'the daemon exits 2 (keepalived 2.2.7: "exited with permanent error CONFIG")');
    const relaxed = load(text.replace(/^/, 'global_defs {\n  dynamic_interfaces\n}\n'));
    t.notOk(relaxed.diagnostics.some((d) => d.code === 'ERR_CONFIG_NO_INTERFACE'), 'dynamic_interfaces relaxes it');
  });
}

t.test('interfaces that exist, and no hook: nothing reported', async (t) => {
  t.notOk(load(inst('  track_interface {\n    eth0\n  }')).diagnostics.some((d) => d.code === 'ERR_CONFIG_NO_INTERFACE'));
  const bare = loadConfigText(inst('', 'eth7'), 't.conf', { configId: 'x', readFile: () => { throw new Error('no'); } });
  t.notOk(bare.diagnostics.some((d) => d.code === 'ERR_CONFIG_NO_INTERFACE'), 'the config core asks nobody without a hook');
  t.ok(load(inst('').replace('192.0.2.100/24', '192.0.2.100/24 dev lo')).model, 'a VIP may go on lo');
});

t.test('each name is asked once', async (t) => {
  const asked: string[] = [];
  load(inst('  track_interface {\n    eth0\n  }\n  virtual_routes {\n    198.51.100.0/24 dev eth0\n  }'), (n) => (asked.push(n), 'present'));
  t.same(asked, ['eth0']);
});
