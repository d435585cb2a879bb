/** Dump paths from global_defs and the default script user (keepalived_script when it exists). */
import t from 'tap';
import { dumpPathsFromNodes } from '../../src/runtime/dump-paths';
import { resolveScriptUser } from '../../src/runtime/script-user';
import { parseConfigText } from '../../src/config/parser';
import { loadConfigText } from '../../src/config/load';
import { MemoryLogger } from '../../src/observe/log';

const nodes = (text: string) => parseConfigText(text, 'k.conf', { configId: 'x' }).nodes;

t.test('dump paths: keepalived defaults, overridden per file by global_defs', async (t) => {
  t.same(dumpPathsFromNodes(nodes('global_defs {\n router_id a\n}\n')), {
    data: '/tmp/keepalived.data',
    stats: '/tmp/keepalived.stats',
    json: '/tmp/keepalived.json',
  });
  t.same(dumpPathsFromNodes(nodes('global_defs {\n state_dump_file /run/k.data\n json_dump_file /run/k.json\n}\n')), {
    data: '/run/k.data',
    stats: '/tmp/keepalived.stats',
    json: '/run/k.json',
  });
  t.equal(dumpPathsFromNodes(nodes('vrrp_instance X {\n state_dump_file /nope\n}\n')).data, '/tmp/keepalived.data', 'only global_defs counts');
});

t.test('script user: script_user wins; keepalived_script if it exists; else root, warned with security on', async (t) => {
  const model = (g: string) => {
    const m = loadConfigText(`global_defs {\n${g}\n}\nvrrp_script c {\n script "/bin/true"\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 1\n priority 100\n track_script {\n  c\n }\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n`, 'k.conf', { configId: 'x' }).model;
    if (!m) throw new Error('config');
    return m;
  };
  const exists = () => ({ uid: 900, gid: 900 });
  const missing = () => undefined;
  const log = new MemoryLogger();
  const m1 = model('script_user nobody nogroup');
  t.same(resolveScriptUser(m1.globalDefs, log, m1.hasScripts, exists), { user: 'nobody', group: 'nogroup' });
  const m2 = model('enable_script_security');
  t.same(resolveScriptUser(m2.globalDefs, log, m2.hasScripts, exists), { user: 'keepalived_script' });
  t.equal(resolveScriptUser(m2.globalDefs, log, m2.hasScripts, missing), undefined, 'root when the user does not exist');
  t.ok(log.has("WARNING - default user 'keepalived_script' for script execution does not exist - please create."), 'warned');
  const log2 = new MemoryLogger();
  const m3 = model('router_id r');
  t.equal(resolveScriptUser(m3.globalDefs, log2, m3.hasScripts, missing), undefined);
  t.notOk(log2.has('WARNING - default user'), 'no warning without script security');
  t.equal(resolveScriptUser(m3.globalDefs, log2, false, exists), undefined, 'no scripts: nothing to resolve');
});
