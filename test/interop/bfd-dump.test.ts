/**
 * BFD sessions in `keepalived status` (human and --json) and in SIGUSR1's keepalived_bfd.data,
 * ours against keepalived 2.2.7's own BFD as the peer (symmetric configs, each with its own /tmp):
 * - both Up: our status says Up/Up, our keepalived_bfd.data says "local state = Up", and after
 *   normalising what differs by nature (addresses, discriminators, keepalived's pointers and fds,
 *   last-seen times) our file equals keepalived's own, section by section and key by key;
 * - keepalived killed: our status and our dump say Down with Control Detection Time Expired.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure } from '../support/daemon';
import { KEEPALIVED_BIN, crashTree } from '../support/keepalived';
import { startWithPrivateTmp, type PrivateTmpDaemon } from '../support/private-tmp';
import type { StatusDoc } from '../../src/observe/status';

const MAIN = path.resolve(__dirname, '../../src/cli/main.js');

function conf(me: LabHost, peer: LabHost): string {
  return `global_defs {
  router_id lab
}
bfd_instance B1 {
  neighbor_ip ${peer.ipv4}
  source_ip ${me.ipv4}
  min_rx 50
  min_tx 50
  multiplier 3
}
`;
}

async function bfdDump(d: PrivateTmpDaemon, pid: number): Promise<string> {
  const f = path.join(d.tmp, 'keepalived_bfd.data');
  fs.rmSync(f, { force: true });
  process.kill(pid, 'SIGUSR1');
  if (!(await waitFor(() => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('BFD Topology'), 5000, 20))) throw new Error(`no keepalived_bfd.data:\n${d.out.text}`);
  await new Promise((r) => setTimeout(r, 200));
  return fs.readFileSync(f, 'utf8');
}

/** Only what differs by nature between two ends of one session and two implementations. */
function normalise(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^ {3}(thread_|fd_out)|^ thread_in|^ fd_in|^ libnftnl version/.test(l))
    .map((l) =>
      l
        .replace(/^( {3}(Neighbor|Source) IP = ).*/, '$1ADDR')
        .replace(/^( {3}(local|remote) discriminator = )0x[0-9a-f]+/, '$1DISCR')
        .replace(/^( {3}last seen = ).*/, '$1TIME'),
    )
    .join('\n');
}

async function status(lab: Lab, h: LabHost, sock: string, json: boolean): Promise<string> {
  const r = await lab.exec(h.ns, [process.execPath, MAIN, 'status', ...(json ? ['--json'] : []), '--socket', sock], 15_000);
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const skip = (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed (scripts/install-deps.sh)');

t.test('BFD in status and keepalived_bfd.data, ours vs keepalived 2.2.7 as the peer', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const ours = startWithPrivateTmp(lab, h1, 'ours', conf(h1, h2));
  const ka = startWithPrivateTmp(lab, h2, 'keepalived', conf(h2, h1));
  logsOnFailure(t, ours, ka);
  const sock = path.join(ours.dir, 'keepalived.control.sock');
  t.ok(await ours.out.waitFor('(B1) Entering Up state', 45_000), 'ours: Up');
  t.ok(await ka.out.waitFor('(B1) Entering Up state', 5000), 'keepalived: Up');
  // The poll sequence after Up settles the intervals on both sides.
  await new Promise((r) => setTimeout(r, 1000));

  const doc = JSON.parse(await status(lab, h1, sock, true)) as StatusDoc;
  t.match(doc.bfdSessions, [{ name: 'B1', neighbor: h2.ipv4, source: h1.ipv4, multihop: false, state: 'Up', remoteState: 'Up', detectionTimeMs: 150, txIntervalMs: 50, localDiag: 'No Diagnostic' }], 'status --json: B1 Up, as keepalived says');
  t.ok((doc.bfdSessions[0]?.packets.received ?? 0) > 10 && doc.bfdSessions[0]?.lastSeen !== null, 'packets counted, last seen set');
  const human = await status(lab, h1, sock, false);
  t.match(human, /BFD session\s+Neighbor\s+State\s+Remote/, 'human form: a BFD table');
  t.match(human, new RegExp(`B1\\s+${h2.ipv4.replace(/\./g, '\\.')}\\s+Up\\s+Up\\s`), 'human form: B1 Up/Up');

  const mine = await bfdDump(ours, ours.cp.pid as number);
  const theirs = await bfdDump(ka, ka.cp.pid as number);
  t.match(mine, /^ {3}local state = Up$/m, 'our dump: local state Up');
  t.match(mine, /^ {3}remote state = Up$/m, 'our dump: remote state Up');
  t.match(theirs, /^ {3}local state = Up$/m, "keepalived's dump: Up too");
  t.equal(normalise(mine), normalise(theirs), 'keepalived_bfd.data: same sections, keys and values as keepalived 2.2.7');

  crashTree(ka.cp.pid as number);
  t.ok(await ours.out.waitFor('(B1) Entering Down state', 5000), 'keepalived killed: ours Down');
  const down = JSON.parse(await status(lab, h1, sock, true)) as StatusDoc;
  t.match(down.bfdSessions, [{ name: 'B1', state: 'Down', localDiag: 'Control Detection Time Expired' }], 'status --json: Down after the peer died');
  const mineDown = await bfdDump(ours, ours.cp.pid as number);
  t.match(mineDown, /^ {3}local state = Down$/m, 'our dump: local state Down');
  t.match(mineDown, /^ {3}local diag = Control Detection Time Expired$/m);
});
