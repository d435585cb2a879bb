import t from 'tap';
import { Lab, isRoot } from '../support/netns';

t.test('lab: two hosts ping each other over the bridge and teardown removes everything', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const r = await lab.exec(lab.host(1).ns, ['ping', '-c', '1', '-W', '2', lab.host(2).ipv4]);
  t.equal(r.code, 0, 'IPv4 ping across the bridge');
  const r6 = await lab.exec(lab.host(1).ns, ['ping', '-6', '-c', '1', '-W', '2', lab.host(2).ipv6]);
  t.equal(r6.code, 0, 'IPv6 ping across the bridge');
  await lab.destroy();
  const { execFileSync } = await import('node:child_process');
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  t.notMatch(list, lab.prefix, 'namespaces removed');
});
