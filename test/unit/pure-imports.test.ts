import t from 'tap';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

// House rule 1 (DESIGN.md): the protocol core and the config language never touch I/O or the clock.
t.test('pure core imports no I/O and never reads the wall clock', async (t) => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const r = spawnSync('bash', [path.join(root, 'scripts', 'check-pure-imports.sh')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /files clean/);
});
