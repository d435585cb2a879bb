/**
 * Every input in the fuzz corpus (test/fixtures/fuzz/<target>/: seeds, and crash-* inputs that
 * scripts/fuzz.ts found and that were fixed) replayed through its target: no exception, no
 * input slower than 1 s. A crash input committed here is a regression test for its fix.
 */
import t from 'tap';
import { TARGETS } from '../fuzz/targets';
import { checkOne, corpus } from '../../scripts/fuzz';

for (const [name, target] of Object.entries(TARGETS)) {
  t.test(`fuzz corpus: ${name}`, async (t) => {
    const inputs = corpus(name);
    t.ok(inputs.length > 0, `${name} has a corpus`);
    for (const [i, input] of inputs.entries()) {
      t.doesNotThrow(() => checkOne(target, input, 1000), `${name} input #${i} (${input.length} bytes)`);
    }
  });
}
