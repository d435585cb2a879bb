// Static track groups: which interfaces each instance tracks through the static
// addresses/routes/rules that name its track_group (config → src/track/static-track.ts).
import t from 'tap';
import { instance, load } from './config-helpers';
import { staticTrackInterfaces } from '../../src/track/static-track';

const GROUPS = 'track_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\ntrack_group G2 {\n  group {\n    VI_2\n  }\n}\n';

t.test('address dev, route dev, rule iif; each interface once; only the named group\'s members', async (t) => {
  const r = load(`${GROUPS}static_ipaddress {
  198.51.100.50/25 dev eth1 track_group G1
  198.51.100.51/25 dev eth1 track_group G1
  198.51.100.52/25 dev eth3
}
static_routes {
  198.51.100.128/25 via 198.51.100.2 dev eth2 track_group G2
}
static_rules {
  from 198.51.100.0/24 table 100 iif eth4 preference 100 track_group G1
}
${instance()}${instance('', 'VI_2').replace('51', '52')}`);
  t.same(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const m = r.model;
  if (!m) return t.fail('no model');
  t.same(m.staticTrackGroups?.map((g) => [g.name, g.members]), [['G1', ['VI_1', 'VI_2']], ['G2', ['VI_2']]]);
  t.equal(m.staticAddresses[0]?.trackGroup, 'G1');
  t.equal(m.staticRoutes[0]?.trackGroup, 'G2');
  t.notOk('track_group' in (m.staticRoutes[0]?.options ?? {}), 'not an ip route option');
  t.equal(m.staticRules[0]?.trackGroup, 'G1');
  const by = staticTrackInterfaces(m);
  t.same(by.get('VI_1'), ['eth1', 'eth4']);
  t.same(by.get('VI_2'), ['eth1', 'eth2', 'eth4']);
});

t.test('no_track wins; an unknown group or no group tracks nothing', async (t) => {
  const r = load(`${GROUPS}static_ipaddress {
  198.51.100.50/25 dev eth1 track_group G1 no_track
  198.51.100.51/25 dev eth2 track_group NOPE
}
${instance()}`);
  t.same(staticTrackInterfaces(r.model!).size, 0);
  t.same(staticTrackInterfaces(load(instance()).model!).size, 0);
});
