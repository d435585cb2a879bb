import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LvsRuntime, type LvsModel } from '../../src/runtime/lvs';
import { MemoryLogger } from '../../src/observe/log';
import { FakeIpvs, vs } from './lvs-fixtures';

const globals = { lvsFlush: false, lvsFlushOnStop: false };
const model = (...vss: ReturnType<typeof vs>[]): LvsModel => ({ virtualServers: vss, virtualServerGroups: [], globalDefs: globals, vrrpInstances: [] });

t.test('services we owned before a crash are cleaned at start-up; foreign services are left alone', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-owned-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const state = path.join(dir, 'ipvs-owned.json');
  const kernel = new FakeIpvs();
  const web = vs({ address: '192.0.2.100', port: 80 });
  const api = vs({ address: '192.0.2.101', port: 8080 });
  // a foreign service created by someone else (ipvsadm by hand)
  await kernel.addService({ af: 'inet', protocol: 'tcp', addr: '192.0.2.200', port: 443, fwmark: 0, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 });

  const first = new LvsRuntime({ model: model(web, api), ipvs: kernel, log: new MemoryLogger(), ownedStateFile: state });
  await first.start();
  t.equal(kernel.services.size, 3, 'our two services and the foreign one');
  t.equal((JSON.parse(fs.readFileSync(state, 'utf8')) as string[]).length, 2, 'both of ours recorded');
  // crash: no stop(). The next run's config no longer has `api`.
  const second = new LvsRuntime({ model: model(web), ipvs: kernel, log: new MemoryLogger(), ownedStateFile: state });
  await second.start();
  const keys = [...kernel.services.keys()].sort();
  t.equal(keys.length, 2, 'the stale service of the crashed run is gone');
  t.ok(keys.some((k) => k.includes('192.0.2.200')), 'the foreign service is untouched');
  t.ok(keys.some((k) => k.includes('192.0.2.100')), 'the configured service is kept (adopted)');
  await second.stop();
  t.same(JSON.parse(fs.readFileSync(state, 'utf8')), [], 'a clean stop leaves nothing recorded');
  t.equal(kernel.services.size, 1, 'only the foreign service remains');
});
