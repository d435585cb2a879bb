/**
 * notify_master_rx_lower_pri end to end, ours and keepalived 2.2.7 in the same kind of lab: a
 * MASTER at priority 200 hears two adverts with priority 100 (spoofed from a second host, 2 s
 * apart). keepalived 2.2.7, observed: with each "Received advert from 192.0.2.2 with lower
 * priority 100, ours 200, forcing new election" line it runs notify_master_rx_lower_pri with no
 * arguments (the generic `notify` is not run for it) and writes `INSTANCE "VI_1"
 * MASTER_RX_LOWER_PRI 200` to the notify FIFO.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { labDir, logsOnFailure, startDaemon, vrrpConfig } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived, type Starter } from '../support/keepalived';
import { fileLines } from '../support/lines';
import { macOf, runFlood } from '../support/wire';
import { advertPayload, ipv4Frame } from '../support/vrrp-frames';

interface Seen {
  forcing: number;
  script: string[];
  fifo: string[];
}

async function scenario(t: Test, start: Starter, who: string): Promise<Seen> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const dir = labDir(lab, `rxlow-${who}`);
  const script = path.join(dir, 'lower.sh');
  const reader = path.join(dir, 'fifo.sh');
  fs.writeFileSync(script, `#!/bin/sh\necho "$# args: $*" >> ${dir}/script.txt\n`, { mode: 0o755 });
  fs.writeFileSync(reader, `#!/bin/sh\nwhile read line; do echo "$line" >> ${dir}/fifo.txt; done < "$1"\n`, { mode: 0o755 });
  const conf = vrrpConfig({
    global: `script_user root\n  enable_script_security\n  notify_fifo ${dir}/fifo\n  notify_fifo_script ${reader}`,
    state: 'MASTER',
    priority: 200,
    extra: `notify_master_rx_lower_pri ${script}\n  notify ${script}`,
  });
  const d = start(lab, h1, conf);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('(VI_1) Entering MASTER STATE', 15_000), `${who}: MASTER`);
  await sleep(500);
  const mac = await macOf(lab, h2);
  const frame = ipv4Frame({ srcMac: mac, src: h2.ipv4, dst: '224.0.0.18', proto: 112, payload: advertPayload({ vrid: 51, priority: 100, vips: ['192.0.2.100'], src: h2.ipv4 }) });
  // two adverts 2 s apart (our answers to lower priorities are rate-limited to one per advert interval per source)
  const sent = (await runFlood(lab, h2, [frame], 0.5, 5)).sent;
  const forcing = (): number => (d.out.has('(VI_1) Received advert from 192.0.2.2 with lower priority 100, ours 200, forcing new election') ? sent : 0);
  const read = (f: string): string[] => fileLines(path.join(dir, f));
  const lowerLines = (): string[] => read('script.txt').filter((l) => l.startsWith('0 args'));
  t.ok(await waitFor(() => forcing() >= 1 && lowerLines().length >= forcing() && read('fifo.txt').filter((l) => l.includes('RX_LOWER')).length >= forcing(), 5000), `${who}: hook and FIFO line follow`);
  await sleep(500);
  const seen = { forcing: forcing(), script: read('script.txt'), fifo: read('fifo.txt') };
  t.comment(`${who}: ${seen.forcing} forcing lines; script: ${JSON.stringify(seen.script)}; fifo: ${JSON.stringify(seen.fifo)}`);
  t.equal(seen.forcing, 2, `${who}: the lower-priority adverts were heard ("forcing new election")`);
  t.equal(lowerLines().length, seen.forcing, `${who}: notify_master_rx_lower_pri ran once per lower-priority advert, with no arguments`);
  t.equal(seen.fifo.filter((l) => l === 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 200').length, seen.forcing, `${who}: one FIFO line each`);
  t.notOk(seen.script.some((l) => l.includes('RX_LOWER')), `${who}: the generic notify is not run for it`);
  return seen;
}

t.test('notify_master_rx_lower_pri', { skip: !isRoot() && 'needs root' }, async (t) => {
  let ours: Seen | undefined;
  let theirs: Seen | undefined;
  await t.test('ours', async (t) => {
    ours = await scenario(t, startDaemon, 'ours');
  });
  await t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, async (t) => {
    theirs = await scenario(t, startKeepalived, 'keepalived');
  });
  if (ours && theirs) {
    const shape = (s: Seen) => ({ script: [...new Set(s.script)], fifo: [...new Set(s.fifo)] });
    t.same(shape(ours), shape(theirs), 'the same kinds of script calls and FIFO lines as keepalived 2.2.7');
  }
});
