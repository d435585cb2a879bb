/**
 * net_namespace NAME: which namespace a configuration names (the first top-level one, as
 * keepalived 2.2.7 keeps it; inside global_defs it does nothing there either), the setns port
 * (open /run/netns/NAME, setns, the fd kept for children), and the syslog ident suffix.
 */
import t from 'tap';
import { load, withCode } from './config-helpers';
import { parseConfigText } from '../../src/config/parser';
import { configuredNetNamespace } from '../../src/config/net-namespace';
import { enterNetNamespace, type NetnsIo } from '../../src/net/netns';
import { createLogger } from '../../src/observe/log';

const nodes = (text: string) => parseConfigText(text, 'k.conf', { configId: 'x' }).nodes;

t.test('the first top-level net_namespace is the one; later ones are warned as keepalived does', async (t) => {
  t.equal(configuredNetNamespace(nodes('net_namespace blue\nnet_namespace red\n')), 'blue');
  t.equal(configuredNetNamespace(nodes('global_defs {\n  net_namespace blue\n}\n')), undefined, 'not inside global_defs');
  t.equal(configuredNetNamespace(nodes('')), undefined);
  const r = load('net_namespace blue\nnet_namespace red\n');
  t.equal(r.model?.globalDefs.netNamespace, 'blue');
  t.match(withCode(r, 'ERR_CONFIG_DUPLICATE_NETNS'), [{ severity: 'warning', message: 'Duplicate net_namespace definition red - ignoring', loc: { line: 2 } }]);
  const g = load('global_defs {\n  net_namespace blue\n}\n');
  t.equal(g.model?.globalDefs.netNamespace, undefined, 'inside global_defs it is not applied (keepalived: Unknown keyword)');
  t.match(withCode(g, 'ERR_CONFIG_UNSUPPORTED'), [{ message: /net_namespace .*only outside global_defs/ }]);
});

function fakeIo(fail?: { open?: string; setns?: string }): NetnsIo & { calls: string[] } {
  const calls: string[] = [];
  const err = (code: string) => Object.assign(new Error(`${code}: nope`), { code });
  return {
    calls,
    open: (p) => {
      calls.push(`open ${p}`);
      if (fail?.open) throw err(fail.open);
      return 42;
    },
    setns: (fd) => {
      calls.push(`setns ${fd}`);
      if (fail?.setns) throw err(fail.setns);
    },
    close: (fd) => void calls.push(`close ${fd}`),
  };
}

t.test('entering: open /run/netns/NAME, setns, the fd stays open for children', async (t) => {
  const io = fakeIo();
  t.same(enterNetNamespace('blue', io), { ok: true, path: '/run/netns/blue', fd: 42 });
  t.same(io.calls, ['open /run/netns/blue', 'setns 42']);
});

t.test('failures say where, and never leak the fd', async (t) => {
  const missing = fakeIo({ open: 'ENOENT' });
  t.match(enterNetNamespace('nope', missing), { ok: false, stage: 'open', path: '/run/netns/nope', code: 'ENOENT' });
  const refused = fakeIo({ setns: 'EINVAL' });
  t.match(enterNetNamespace('blue', refused), { ok: false, stage: 'setns', code: 'EINVAL' });
  t.same(refused.calls, ['open /run/netns/blue', 'setns 42', 'close 42']);
  for (const bad of ['', '.', '..', '../x', 'a/b']) {
    const io = fakeIo();
    t.match(enterNetNamespace(bad, io), { ok: false, code: 'EINVAL' }, `'${bad}' is not a namespace name`);
    t.same(io.calls, [], 'nothing opened');
  }
});

t.test('after setIdentSuffix every syslog ident ends in _NAME (Keepalived_NAME, Keepalived_vrrp_NAME)', async (t) => {
  const got: string[] = [];
  const log = createLogger({ console: false, detail: false, json: false, syslog: true, ident: 'Keepalived_vrrp', syslogFn: (_p, ident) => got.push(ident) });
  const parent = log.child({ ident: 'Keepalived' });
  parent.info('before');
  log.setIdentSuffix?.('_blue');
  parent.info('Changing syslog ident to Keepalived_blue');
  log.info('(VI_1) Entering MASTER STATE');
  log.child({ instance: 'VI_1' }).info('child logger too');
  t.same(got, ['Keepalived', 'Keepalived_blue', 'Keepalived_vrrp_blue', 'Keepalived_vrrp_blue']);
});
