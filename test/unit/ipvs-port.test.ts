/**
 * NetlinkIpvs on the HOST (whose kernel has no IPVS): opening must fail with the stable
 * ERR_IPVS_NO_FAMILY code and errno ENOENT, not hang or throw something untyped.
 * (The real-kernel behaviour is covered in test/ipvs/, run inside the VM.)
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { NetlinkIpvs, IpvsError } from '../../src/lvs/ipvs';

const hasIpvs = existsSync('/proc/net/ip_vs');
t.test('a kernel without IPVS gives ERR_IPVS_NO_FAMILY', { skip: hasIpvs ? 'this kernel has IPVS' : false }, async (t) => {
  const err = await NetlinkIpvs.open({ timeoutMs: 3000 }).then(
    (p) => { p.close(); return undefined; },
    (e: unknown) => e,
  );
  t.ok(err instanceof IpvsError, 'typed error');
  t.match(err, { code: 'ERR_IPVS_NO_FAMILY', errno: 2, message: /IPVS/ });
});
