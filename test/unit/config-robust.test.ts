// Hostile input: truncated, binary and huge configs give diagnostics, never an exception or a hang.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors, load } from './config-helpers';

const repoRoot = join(__dirname, '..', '..', '..');
const example = readFileSync(join(repoRoot, 'keepalived.conf.example'), 'utf8');

t.test('keepalived.conf.example loads cleanly', async (t) => {
  const r = load(example);
  t.same(r.diagnostics.map((d) => `${d.severity} ${d.message}`), [], 'no diagnostics at all');
  t.equal(r.model?.vrrpInstances[0]?.virtualIpaddress[0]?.address, '192.0.2.100');
  t.equal(r.model?.vrrpInstances[0]?.trackScript[0]?.name, 'check_nginx');
});

t.test('every truncation of the example loads without throwing', async (t) => {
  let withErrors = 0;
  for (let n = 0; n < example.length; n += 7) {
    const r = load(example.slice(0, n));
    if (errors(r).length) withErrors++;
  }
  t.ok(withErrors > 0, `truncations reported errors (${withErrors})`);
});

t.test('binary garbage', async (t) => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let k = 0; k < 20; k++) {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
    const r = load(bytes.toString('latin1'));
    t.ok(Array.isArray(r.diagnostics), `round ${k}`);
  }
  const r = load('\u0000\u0001vrrp_instance \u00ff {\n virtual_router_id \u0000\n}\n');
  t.ok(errors(r).length > 0);
});

t.test('10 MB of config is bounded', async (t) => {
  const line = 'vrrp_instanc X { }\n';
  const text = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
  const t0 = Date.now();
  const r = load(text);
  t.ok(errors(r).length > 0, 'unknown keywords reported');
  t.ok(Date.now() - t0 < 120_000, `finished in ${Date.now() - t0} ms`);
});
