import t from 'tap';
import { acceptMode } from '../../src/vrrp/strict';

// Rows observed with Debian's keepalived 2.2.7 (nft list ruleset while MASTER: drop table or none).
t.test('Accept_Mode as keepalived 2.2.7 settles it', async (t) => {
  const rows: Array<[string, Parameters<typeof acceptMode>[0], boolean, boolean]> = [
    ['no strict: accepts', { strict: false, version: 2, priority: 100 }, true, false],
    ['no strict + no_accept: drops', { strict: false, version: 2, priority: 100, noAccept: true }, false, false],
    ['strict: drops', { strict: true, version: 2, priority: 100 }, false, false],
    ['strict, owner (255): accepts', { strict: true, version: 2, priority: 255 }, true, false],
    ['strict + accept, VRRPv3: accepts', { strict: true, version: 3, priority: 100, accept: true }, true, false],
    ['strict + accept, VRRPv2: reset, drops', { strict: true, version: 2, priority: 100, accept: true }, false, true],
    ['no strict + accept, VRRPv2: accepts', { strict: false, version: 2, priority: 100, accept: true }, true, false],
    ['strict owner + no_accept: drops', { strict: true, version: 3, priority: 255, noAccept: true }, false, false],
  ];
  for (const [name, input, accept, resetV2] of rows) t.same(acceptMode(input), { accept, resetV2 }, name);
});
