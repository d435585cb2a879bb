// runtime/firewall with a fake NftPort: which VIPs are dropped when, what start-up and stop do.
import t from 'tap';
import { Firewall, firewallInUse, firewallOptions } from '../../src/runtime/firewall';
import type { NftPort } from '../../src/net/nft';
import { MemoryLogger } from '../../src/observe/log';
import { load, instance } from './config-helpers';
import type { Model } from '../../src/config/model';

class FakeNft implements NftPort {
  scripts: string[] = [];
  tables = '';
  async run(script: string): Promise<void> {
    if (script) this.scripts.push(script);
  }
  async listTables(): Promise<string> {
    return this.tables;
  }
}

function model(text: string): Model {
  const r = load(text);
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
}

const strict = (g = '', i = ''): Model => model(`global_defs {\n vrrp_strict\n ${g}\n}\n${instance(i)}`);

t.test('in use only when an instance does not accept', async (t) => {
  t.ok(firewallInUse(strict()));
  t.notOk(firewallInUse(strict('', 'version 3\naccept')));
  t.ok(firewallInUse(strict('', 'accept')), 'VRRPv2 strict resets accept');
  t.notOk(firewallInUse(model(instance())));
  t.ok(firewallInUse(model(instance('no_accept'))));
  t.notOk(firewallInUse(strict('', 'priority 255')), 'the address owner accepts');
});

t.test('nftables keywords reach the rule options', async (t) => {
  t.same(firewallOptions(strict()), { table: 'keepalived', priority: -1, counters: false, ifindex: true });
  t.same(firewallOptions(strict('nftables mytab\nnftables_priority -5\nnftables_counters')), { table: 'mytab', priority: -5, counters: true, ifindex: true });
  t.equal(firewallOptions(strict('nftables')).table, 'keepalived');
  t.equal(firewallOptions(strict('', 'dont_track_primary')).ifindex, false);
  t.equal(firewallOptions(strict('nftables_ifindex', 'dont_track_primary')).ifindex, true);
});

t.test('hold drops the VIPs of an instance that does not accept; release empties the set; stop deletes the table', async (t) => {
  const m = strict();
  const nft = new FakeNft();
  const log = new MemoryLogger();
  const fw = new Firewall(m, nft, log);
  const vi = m.vrrpInstances[0]!;
  await fw.hold(vi, 'eth0');
  t.equal(nft.scripts.length, 1);
  t.match(nft.scripts[0], /add table ip keepalived/);
  t.match(nft.scripts[0], /add element ip keepalived vips \{ 192\.0\.2\.100 \}/);
  t.same(fw.holders, ['VI_1']);
  await fw.release('VI_1');
  t.equal(nft.scripts[1], 'flush set ip keepalived vips\n');
  await fw.release('VI_1');
  t.equal(nft.scripts.length, 2, 'releasing twice does nothing');
  await fw.stop();
  t.equal(nft.scripts[2], 'add table ip keepalived\ndelete table ip keepalived\n');
  t.ok(log.lines.some((l) => l.text === '(VI_1) setting firewall drop rule'));
  t.ok(log.lines.some((l) => l.text === '(VI_1) removing firewall drop rule'));
});

t.test('an instance that accepts installs nothing; -V keeps the table', async (t) => {
  const m = strict('', 'version 3\naccept');
  const nft = new FakeNft();
  const fw = new Firewall(m, nft, new MemoryLogger());
  await fw.hold(m.vrrpInstances[0]!, 'eth0');
  t.same(nft.scripts, []);
  const m2 = strict();
  const fw2 = new Firewall(m2, nft, new MemoryLogger());
  await fw2.hold(m2.vrrpInstances[0]!, 'eth0');
  await fw2.stop(true);
  t.equal(nft.scripts.length, 1, 'no delete with -V');
});

t.test('start-up deletes a crashed run\'s tables of our name, and only those', async (t) => {
  const nft = new FakeNft();
  nft.tables = 'table ip keepalived\ntable ip6 keepalived\ntable inet filter\ntable ip other\n';
  const log = new MemoryLogger();
  await new Firewall(strict(), nft, log).start();
  t.same(nft.scripts, ['add table ip keepalived\ndelete table ip keepalived\n', 'add table ip6 keepalived\ndelete table ip6 keepalived\n']);
  t.ok(log.lines.some((l) => l.text === 'Deleting old ip keepalived table'));
  const quiet = new FakeNft();
  quiet.tables = nft.tables;
  await new Firewall(model(instance()), quiet, new MemoryLogger()).start();
  t.same(quiet.scripts, [], 'no firewall in use: other tables untouched');
});

t.test('held sets are the union of every holder, changes applied in call order', async (t) => {
  const m = model(`global_defs {\n vrrp_strict\n}\n${instance()}${instance('', 'VI_2').replace('51', '52').replace('192.0.2.100', '192.0.2.101')}`);
  const nft = new FakeNft();
  const fw = new Firewall(m, nft, new MemoryLogger());
  await Promise.all([fw.hold(m.vrrpInstances[0]!, 'eth0'), fw.hold(m.vrrpInstances[1]!, 'eth0')]);
  t.match(nft.scripts[1], /add element ip keepalived vips \{ 192\.0\.2\.100, 192\.0\.2\.101 \}/);
  await fw.release('VI_1');
  t.match(nft.scripts[2], /add element ip keepalived vips \{ 192\.0\.2\.101 \}$/m);
});

t.test('hold again (reload in place) replaces the instance\'s entries', async (t) => {
  const m = strict();
  const nft = new FakeNft();
  const fw = new Firewall(m, nft, new MemoryLogger());
  await fw.hold(m.vrrpInstances[0]!, 'eth0');
  const next = strict('', '').vrrpInstances[0]!;
  await fw.hold({ ...next, virtualIpaddress: [{ ...next.virtualIpaddress[0]!, address: '192.0.2.102' }] }, 'eth0');
  t.match(nft.scripts[1], /add element ip keepalived vips \{ 192\.0\.2\.102 \}$/m);
  t.notMatch(nft.scripts[1], /192\.0\.2\.100/);
});
