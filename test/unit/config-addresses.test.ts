import t from 'tap';
import { formatIPv6, isLinkLocal6, normalizeIp, parseIPv4, parseIPv6, parsePrefix, parseRange } from '../../src/config/addresses';

t.test('IPv4', async (t) => {
  t.same(Array.from(parseIPv4('192.0.2.1') ?? []), [192, 0, 2, 1]);
  for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', 'a.b.c.d', '192.168.100.', '01.2.3.4', '']) t.equal(parseIPv4(bad), undefined, bad);
});

t.test('IPv6 parse and RFC 5952 format', async (t) => {
  const rows: [string, string][] = [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'], // the longer zero run wins (RFC 5952 §4.2.3),
  ];
  for (const [input, want] of rows) {
    const b = parseIPv6(input);
    t.ok(b, input);
    if (b) t.equal(formatIPv6(b), want, input);
  }
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7', '::1.2.3']) t.equal(parseIPv6(bad), undefined, bad);
});

t.test('prefixes', async (t) => {
  t.same(parsePrefix('192.0.2.7/24'), { address: '192.0.2.7', prefixLen: 24, family: 'inet' });
  t.same(parsePrefix('192.0.2.7'), { address: '192.0.2.7', prefixLen: 32, family: 'inet' });
  t.same(parsePrefix('2001:db8::/32'), { address: '2001:db8::', prefixLen: 32, family: 'inet6' });
  t.same(parsePrefix('2001:db8::5'), { address: '2001:db8::5', prefixLen: 128, family: 'inet6' });
  t.same(parsePrefix('default'), { address: '0.0.0.0', prefixLen: 0, family: 'inet' });
  t.same(parsePrefix('default', 'inet6'), { address: '::', prefixLen: 0, family: 'inet6' });
  for (const bad of ['192.0.2.0/33', '192.168.100./24', '2001:db8::/129', '192.0.2.0/', '192.0.2.0/x', 'eth0']) t.equal(parsePrefix(bad), undefined, bad);
  t.equal(normalizeIp('2001:DB8::0001'), '2001:db8::1');
  t.equal(normalizeIp('192.0.2.1/24'), undefined, 'an address, not a prefix');
});

t.test('ranges (virtual_server_group)', async (t) => {
  const fmt = (s: string): string[] | undefined => {
    const r = parseRange(s);
    if (!r) return undefined;
    return [r.first, r.last].map((a) => (a.family === 'inet' ? Array.from(a.bytes).join('.') : formatIPv6(a.bytes)));
  };
  t.same(fmt('192.0.2.3-10'), ['192.0.2.3', '192.0.2.10']);
  t.same(fmt('192.0.2.3-192.0.3.1'), ['192.0.2.3', '192.0.3.1']);
  t.same(fmt('ae00::2-9'), ['ae00::2', 'ae00::9']);
  t.same(fmt('192.0.2.3'), ['192.0.2.3', '192.0.2.3']);
  t.equal(fmt('192.0.2.10-3'), undefined, 'descending range');
  t.equal(fmt('192.0.2.3-300'), undefined);
});

t.test('link-local', async (t) => {
  t.equal(isLinkLocal6('fe80::1'), true);
  t.equal(isLinkLocal6('febf::1'), true);
  t.equal(isLinkLocal6('fec0::1'), false);
  t.equal(isLinkLocal6('2001:db8::1'), false);
});
