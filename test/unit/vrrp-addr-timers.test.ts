import t from 'tap';
import { canonicalAddress, compareAddresses, formatIPv6, parseIPv4, parseIPv6 } from '../../src/vrrp/addr';
import { masterDownIntervalMs, skewTimeMs, v2AdvertIntSeconds, v3AdvertIntCs } from '../../src/vrrp/timers';
import { clampEffectivePriority } from '../../src/vrrp/fsm';

t.test('address parsing and RFC 5952 formatting', async (t) => {
  t.same(Array.from(parseIPv4('192.0.2.1') ?? []), [192, 0, 2, 1]);
  for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '', '01234.1.1.1']) t.equal(parseIPv4(bad), undefined, bad);
  const cases: Array<[string, string]> = [
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:2:3:4:5:0', '2001:db8:1:2:3:4:5:0'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ];
  for (const [inp, out] of cases) t.equal(canonicalAddress(inp), out, inp);
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) t.equal(parseIPv6(bad), undefined, bad);
  t.equal(formatIPv6(new Uint8Array(16)), '::');
});

t.test('tie-break compares primary addresses as unsigned big-endian integers (RFC 5798 §6.4.3)', async (t) => {
  t.ok(compareAddresses('192.0.2.10', '192.0.2.9') > 0, 'numeric, not lexical');
  t.ok(compareAddresses('192.0.2.200', '192.0.2.100') > 0);
  t.ok(compareAddresses('10.0.0.1', '192.0.2.1') < 0);
  t.ok(compareAddresses('255.0.0.0', '1.255.255.255') > 0, 'unsigned high byte');
  t.equal(compareAddresses('192.0.2.1', '192.0.2.1'), 0);
  t.ok(compareAddresses('fe80::2', 'fe80::1') > 0, 'IPv6 link-local');
  t.ok(compareAddresses('fe80::1:0', 'fe80::ffff') > 0);
  t.equal(compareAddresses('FE80::1', 'fe80:0::1'), 0);
});

t.test('Skew_Time and Master_Down_Interval (RFC 3768 §6.1, RFC 5798 §6.1)', async (t) => {
  // v2: Skew_Time = (256 - Priority) / 256 s, independent of the interval
  t.equal(skewTimeMs(100, 100, 2), 609.375);
  t.equal(skewTimeMs(100, 300, 2), 609.375);
  t.equal(skewTimeMs(255, 100, 2), 1000 / 256);
  // v2: Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time
  t.equal(masterDownIntervalMs(100, 100, 2), 3609.375);
  t.equal(masterDownIntervalMs(90, 100, 2), 3000 + (166 * 1000) / 256, 'the 3.648 s keepalived measured for priority 90');
  // v3: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 cs
  t.equal(skewTimeMs(100, 100, 3), 609.375);
  t.equal(skewTimeMs(100, 50, 3), 304.6875);
  t.equal(masterDownIntervalMs(100, 50, 3), 1500 + 304.6875);
  t.equal(masterDownIntervalMs(200, 400, 3), 12000 + (56 * 4000) / 256);
  // keepalived down_timer_adverts replaces the 3
  t.equal(masterDownIntervalMs(100, 100, 3, 5), 5609.375);
  t.equal(v2AdvertIntSeconds(150), 2);
  t.equal(v2AdvertIntSeconds(10), 1);
  t.equal(v3AdvertIntCs(5000), 4095);
  t.equal(v3AdvertIntCs(0), 1);
});

t.test('effective priority clamps to 1..254; the owner stays 255', async (t) => {
  t.equal(clampEffectivePriority(100, 20), 120);
  t.equal(clampEffectivePriority(100, 200), 254);
  t.equal(clampEffectivePriority(100, -200), 1);
  t.equal(clampEffectivePriority(250, 10), 254, 'trackers never raise a non-owner to 255');
  t.equal(clampEffectivePriority(255, -50), 255);
});
