import t from 'tap';
import { formatMac, isValidIfname, parseMac, parseVmac, vmacAddress, vmacName } from '../../src/net/vmac';

t.test('RFC 5798 §7.3 virtual MACs', async (t) => {
  t.equal(vmacAddress(51, 'inet'), '00:00:5e:00:01:33');
  t.equal(vmacAddress(51, 'inet6'), '00:00:5e:00:02:33');
  t.equal(vmacAddress(1, 'inet'), '00:00:5e:00:01:01');
  t.equal(vmacAddress(255, 'inet6'), '00:00:5e:00:02:ff');
  for (const bad of [0, 256, 1.5, -1, NaN]) t.throws(() => vmacAddress(bad, 'inet'), RangeError, `VRID ${bad}`);
});

t.test('VMAC interface names as keepalived 2.2.7 makes them', async (t) => {
  t.equal(vmacName(51, 'inet'), 'vrrp.51');
  t.equal(vmacName(51, 'inet6'), 'vrrp6.51');
  t.equal(vmacName(7, 'inet', 'vmac'), 'vmac.7');
  t.throws(() => vmacName(255, 'inet6', 'averyverylongpfx'), RangeError, 'longer than IFNAMSIZ-1');
  t.throws(() => vmacName(0, 'inet'), RangeError);
});

t.test('interface name rules', async (t) => {
  for (const ok of ['eth0', 'vrrp.51', 'a', 'x'.repeat(15), 'br-lan_1']) t.ok(isValidIfname(ok), ok);
  for (const bad of ['', '.', '..', 'x'.repeat(16), 'a/b', 'a:b', 'a b', 'a\tb']) t.notOk(isValidIfname(bad), JSON.stringify(bad));
});

t.test('MAC parsing', async (t) => {
  t.same(parseMac('00:00:5E:00:01:33'), new Uint8Array([0, 0, 0x5e, 0, 1, 0x33]));
  t.same(parseMac('0-0-5e-0-1-33'), new Uint8Array([0, 0, 0x5e, 0, 1, 0x33]));
  for (const bad of ['', '00:00:5e:00:01', '00:00:5e:00:01:33:44', '00:00:5e:00:01:333', 'zz:00:5e:00:01:33']) t.equal(parseMac(bad), undefined, bad);
  t.equal(formatMac(new Uint8Array([0xaa, 0xbb, 0xc, 0, 1, 255])), 'aa:bb:0c:00:01:ff');
  t.same(parseVmac('00:00:5e:00:01:33'), { vrid: 51, family: 'inet' });
  t.same(parseVmac('00:00:5e:00:02:ff'), { vrid: 255, family: 'inet6' });
  t.equal(parseVmac('00:00:5e:00:03:33'), undefined);
  t.equal(parseVmac('00:00:5e:00:01:00'), undefined, 'VRID 0 is not a VRID');
  t.equal(parseVmac('02:00:5e:00:01:33'), undefined);
});
