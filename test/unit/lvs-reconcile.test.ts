import t from 'tap';
import { reconcile, type ActualService } from '../../src/lvs/reconcile';
import { desiredTable } from '../../src/lvs/model-to-ipvs';
import { SvcFlag, type IpvsService } from '../../src/lvs/ipvs-codec';
import { vs } from './lvs-fixtures';

const want = (): ReturnType<typeof desiredTable>['table'] => desiredTable([vs({ persistenceTimeoutS: 5 })], [], new Map(), new Map()).table;
const svc: IpvsService = { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0, scheduler: 'wrr', flags: SvcFlag.PERSISTENT | SvcFlag.HASHED, timeoutS: 5, netmaskPrefix: 32 };
const d = (addr: string, weight: number, fwd: 'route' | 'masq' = 'route') => ({ addr, port: 80, fwd, weight, upperThreshold: 0, lowerThreshold: 0 });
const summary = (ops: ReturnType<typeof reconcile>): string[] =>
  ops.map((o) => `${o.op} ${o.service.addr}:${o.service.port}${'dest' in o ? ' ' + o.dest.addr + ' w' + o.dest.weight : ''}`);

t.test('empty kernel: service first, then its destinations', async (t) => {
  t.same(summary(reconcile(want(), [])), ['addService 192.0.2.100:80', 'addDest 192.0.2.100:80 192.0.2.11 w2', 'addDest 192.0.2.100:80 192.0.2.12 w3']);
});

t.test('identical table: no ops (the kernel HASHED flag is ignored)', async (t) => {
  const actual: ActualService[] = [{ service: svc, dests: [d('192.0.2.11', 2), d('192.0.2.12', 3)] }];
  t.same(reconcile(want(), actual), []);
});

t.test('minimal diff: weight edit, missing dest added, stray dest removed (adds before removals)', async (t) => {
  const actual: ActualService[] = [{ service: svc, dests: [d('192.0.2.11', 1), d('192.0.2.99', 1)] }];
  t.same(summary(reconcile(want(), actual)), ['editDest 192.0.2.100:80 192.0.2.11 w2', 'addDest 192.0.2.100:80 192.0.2.12 w3', 'delDest 192.0.2.100:80 192.0.2.99 w1']);
});

t.test('service attribute changes become editService; fwd method change becomes editDest', async (t) => {
  const actual: ActualService[] = [{ service: { ...svc, scheduler: 'rr', timeoutS: 0, flags: SvcFlag.HASHED }, dests: [d('192.0.2.11', 2, 'masq'), d('192.0.2.12', 3)] }];
  t.same(summary(reconcile(want(), actual)), ['editService 192.0.2.100:80', 'editDest 192.0.2.100:80 192.0.2.11 w2']);
});

t.test('stale services: only owned ones by default; all with lvs_flush; none on request', async (t) => {
  const other: IpvsService = { ...svc, addr: '198.51.100.1' };
  const actual: ActualService[] = [{ service: svc, dests: [d('192.0.2.11', 2), d('192.0.2.12', 3)] }, { service: other, dests: [] }];
  t.same(reconcile(want(), actual), [], 'foreign service left alone');
  t.same(summary(reconcile(want(), actual, { owned: new Set(['tcp|198.51.100.1|80']) })), ['delService 198.51.100.1:80']);
  t.same(summary(reconcile(want(), actual, { removeStale: 'all' })), ['delService 198.51.100.1:80']);
  t.same(reconcile(want(), actual, { removeStale: 'none', owned: new Set(['tcp|198.51.100.1|80']) }), []);
});

t.test('removing everything we own: desired empty', async (t) => {
  const actual: ActualService[] = [{ service: svc, dests: [d('192.0.2.11', 2)] }];
  t.same(summary(reconcile(new Map(), actual, { removeStale: 'all' })), ['delService 192.0.2.100:80']);
});
