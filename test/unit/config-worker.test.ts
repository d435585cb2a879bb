/**
 * The reload's off-thread load (src/runtime/config-worker.ts) gives what the synchronous load
 * gives (model, diagnostics in order, files, dump paths), and the main thread keeps running
 * while a 49,000-line configuration is parsed. (The advert gap on the wire: integration
 * reload-huge-config.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfigFileOffThread } from '../../src/runtime/config-worker';
import { loadConfigFile } from '../../src/runtime/config-files';
import { dumpPathsFromNodes } from '../../src/runtime/dump-paths';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-cfgworker-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const lookup = (name: string): 'present' | 'absent' | 'loopback' => (name === 'eth0' ? 'present' : name === 'lo' ? 'loopback' : 'absent');

const configs: Record<string, string> = {
  plain: `global_defs {\n  router_id a\n  state_dump_file /tmp/x.data\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`,
  errors: `vrrp_instance VI_1 {\n  interface eth9\n  virtual_router_id 300\n  priority 100\n  bogus_keyword 1\n  virtual_ipaddress {\n    192.0.2.300/24\n  }\n}\n`,
  include: `include ${path.join(dir, 'inc.conf')}\nvrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 52\n  priority 90\n  virtual_ipaddress {\n    198.51.100.1/24\n  }\n}\n`,
};
fs.writeFileSync(path.join(dir, 'inc.conf'), 'global_defs {\n  router_id inc\n}\n');

for (const [name, text] of Object.entries(configs)) {
  t.test(`${name}: the worker's load equals the synchronous one`, async (t) => {
    const file = path.join(dir, `${name}.conf`);
    fs.writeFileSync(file, text);
    const off = await loadConfigFileOffThread(file, { configId: 't', interfaceExists: lookup });
    const sync = loadConfigFile(file, { configId: 't', interfaceExists: lookup });
    t.same(off.result, { ...sync, nodes: [] }, 'model, diagnostics and files (the tree stays in the worker)');
    t.same(off.dumpPaths, dumpPathsFromNodes(sync.nodes), 'dump paths');
  });
}

t.test('the main thread runs while a 49,000-line configuration is parsed', async (t) => {
  const file = path.join(dir, 'huge.conf');
  fs.writeFileSync(file, `global_defs {\n  router_id x\n~SEQ(i,1,49000) vrrp_garp_interval 0\n}\n${configs.plain?.split('}\n').slice(1).join('}\n')}`);
  let ticks = 0;
  const iv = setInterval(() => ticks++, 10);
  const t0 = performance.now();
  const off = await loadConfigFileOffThread(file, { configId: 't' });
  const ms = performance.now() - t0;
  clearInterval(iv);
  t.ok(off.result.model, 'loaded');
  // A parse on the main thread would give no tick at all until it ended.
  t.ok(ticks >= (ms / 10) * 0.3, `${ticks} ticks of a 10 ms interval during the ${ms.toFixed(0)} ms load`);
});

t.test('a missing file is a load result with its diagnostic, not a rejection', async (t) => {
  const off = await loadConfigFileOffThread(path.join(dir, 'nope.conf'), { configId: 't' });
  t.ok(off.result.diagnostics.some((d) => d.code === 'ERR_CONFIG_FILE_NOT_FOUND'));
});
