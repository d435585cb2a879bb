/**
 * The SIGUSR1 / SIGUSR2 / SIGRTMIN+2 dumps of our daemon diffed against Debian's keepalived
 * 2.2.7 on the same configuration in the same lab host (one after the other, each with its own
 * /tmp): keepalived.data, keepalived_parent.data, keepalived.stats, keepalived.json, file modes.
 * Normalised before the diff, and only these: times (last transition, read timeout, IPv6
 * forwarding check), socket fds, the advert counter, a script's result counter and run state,
 * keepalived's "Master router" before any master was heard (an unset address it prints as
 * whatever its buffer holds), its "Master down timer" for an instance that never was backup (it
 * never computes it), and keepalived's " libnftnl version" line (a fact of its C build).
 * Then keepalived-exporter's parsers (ported from cafebazaar/keepalived-exporter
 * internal/collector/parser.go, facts only) must read the same from both.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, isRoot, waitFor } from '../support/netns';
import { KEEPALIVED_BIN } from '../support/keepalived';
import { startWithPrivateTmp, type PrivateTmpDaemon } from '../support/private-tmp';
import { logsOnFailure, vrrpConfig, vrrpInstance } from '../support/daemon';
import { normaliseText } from '../support/dump-normalise';

const CONFIG =
  vrrpConfig({
    routerId: 'lab1',
    blocks: 'vrrp_script chk {\n  script "/bin/true"\n  interval 1\n  weight 2\n}\n',
    priority: 100,
    vip: '198.51.100.100/24',
    extra: 'track_script {\n    chk\n  }',
  }) +
  vrrpInstance({
    name: 'VI_2',
    state: 'MASTER',
    vrid: 52,
    priority: 255,
    advertInt: 2,
    vips: ['198.51.100.110', '198.51.100.111/32 dev eth0 label eth0:1'],
    extra: 'virtual_ipaddress_excluded {\n    2001:db8::110/64\n  }',
  });

const FILES = ['keepalived.data', 'keepalived_parent.data', 'keepalived.stats', 'keepalived.json'] as const;
type Dumps = Record<(typeof FILES)[number], { text: string; mode: number }>;

function sigJson(): number {
  return Number(execFileSync(KEEPALIVED_BIN as string, ['--signum=JSON'], { encoding: 'utf8' }).trim());
}

async function dumpsOf(d: PrivateTmpDaemon): Promise<Dumps> {
  const ready = await waitFor(
    () => d.out.has('(VI_1) Entering BACKUP STATE') && d.out.has('(VI_2) Entering MASTER STATE') && d.out.has('(VI_1) Changing effective priority from 100 to 102'),
    15_000,
  );
  if (!ready) throw new Error(`daemon not ready:\n${d.out.text}`);
  const pid = d.cp.pid as number;
  const file = (f: string): string => path.join(d.tmp, f);
  for (const [sig, files] of [['SIGUSR1', ['keepalived.data', 'keepalived_parent.data']], ['SIGUSR2', ['keepalived.stats']], [sigJson(), ['keepalived.json']]] as const) {
    process.kill(pid, sig);
    if (!(await waitFor(() => files.every((f) => fs.existsSync(file(f)) && fs.statSync(file(f)).size > 0), 5000, 20))) throw new Error(`no ${files.join(', ')} after ${sig}`);
  }
  await new Promise((r) => setTimeout(r, 200)); // a writer still busy would show as a short file
  const out = {} as Dumps;
  for (const f of FILES) out[f] = { text: fs.readFileSync(file(f), 'utf8'), mode: fs.statSync(file(f)).mode & 0o777 };
  process.kill(pid, 'SIGTERM');
  await Promise.race([d.exited, new Promise((r) => setTimeout(r, 8000))]);
  return out;
}

export { normaliseText };

function normaliseJson(text: string): string {
  return text.replace(/"last_transition":\d+\.\d+/g, '"last_transition":T').replace(/"advert_sent":\d+/g, '"advert_sent":N');
}

// ---- keepalived-exporter's parsing (facts of its parser.go), enough to compare what it extracts.
interface ExporterView {
  instances: Record<string, { state?: string; wantstate?: string; intf?: string; garpDelay?: number; vrid?: number; vips: Array<[string, string]> }>;
  scripts: Array<{ name: string; status?: string; state?: string }>;
  stats: Record<string, Record<string, number>>;
}

function exporterParse(data: string, stats: string): ExporterView {
  const v: ExporterView = { instances: {}, scripts: [], stats: {} };
  let inst = '';
  let key = '';
  for (const l of data.split('\n')) {
    if (l.startsWith(' VRRP Instance') && l.includes('=')) {
      inst = (l.split('=')[1] ?? '').trim();
      v.instances[inst] = { vips: [] };
    } else if (l.startsWith('   ') && inst) {
      let val: string;
      if (l.startsWith('     ')) val = l.trim();
      else {
        const sep = l.includes('=') ? '=' : l.includes(':') ? ':' : undefined;
        if (!sep) continue;
        const a = l.trim().split(sep);
        key = (a[0] ?? '').trim();
        if (key === 'Virtual IP') continue;
        val = (a[1] ?? '').trim();
      }
      const e = v.instances[inst] as ExporterView['instances'][string];
      if (key === 'State') e.state = val;
      else if (key === 'Wantstate') e.wantstate = val;
      else if (key === 'Interface') e.intf = val;
      else if (key === 'Gratuitous ARP delay') e.garpDelay = Number(val);
      else if (key === 'Virtual Router ID') e.vrid = Number(val);
      else if (key === 'Virtual IP') {
        const w = val.split(' ');
        if (w.length >= 3) e.vips.push([w[0] as string, w[2] as string]);
      }
    } else if (!(l.startsWith(' VRRP Version') || l.startsWith(' VRRP Script'))) inst = '';
  }
  let script: ExporterView['scripts'][number] | undefined;
  for (const l of data.split('\n')) {
    if (l.startsWith(' VRRP Script') && l.includes('=')) {
      if (script) v.scripts.push(script);
      script = { name: (l.split('=')[1] ?? '').trim() };
    } else if (l.startsWith('   ') && script) {
      if (!l.includes('=')) continue;
      const [k, val] = l.trim().split('=').map((x) => x.trim());
      if (k === 'Status') script.status = val;
      if (k === 'State') script.state = val;
    } else if (!l.startsWith('    ') && script) {
      v.scripts.push(script);
      script = undefined;
    }
  }
  if (script) v.scripts.push(script);
  let sInst = '';
  let sec = '';
  for (const l of stats.split('\n')) {
    if (l.startsWith('VRRP Instance') && l.includes(':')) {
      sInst = (l.split(':')[1] ?? '').trim();
      v.stats[sInst] = {};
    } else if (l.startsWith('  ') && l.endsWith(':')) sec = l.trim().slice(0, -1);
    else if (l.startsWith('    ') && sec) {
      const [k, val] = l.trim().split(':').map((x) => x.trim());
      (v.stats[sInst] as Record<string, number>)[`${sec}/${k}`] = k === 'Sent' ? -1 : Number(val);
    } else if (l.startsWith('  ')) {
      const [k, val] = l.trim().split(':').map((x) => x.trim());
      sec = '';
      (v.stats[sInst] as Record<string, number>)[k as string] = Number(val);
    }
  }
  return v;
}

t.test('dumps diff clean against keepalived 2.2.7 after normalisation', { skip: !isRoot() || !KEEPALIVED_BIN ? 'needs root and keepalived' : false }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const ka = startWithPrivateTmp(lab, h, 'keepalived', CONFIG);
  logsOnFailure(t, ka);
  const theirs = await dumpsOf(ka);
  const ours = startWithPrivateTmp(lab, h, 'ours', CONFIG);
  logsOnFailure(t, ours);
  const mine = await dumpsOf(ours);

  for (const f of FILES) {
    t.equal(mine[f].mode.toString(8), theirs[f].mode.toString(8), `${f}: mode`);
    if (f === 'keepalived.json') t.equal(normaliseJson(mine[f].text), normaliseJson(theirs[f].text), `${f}: same keys, types and values`);
    else t.equal(normaliseText(mine[f].text), normaliseText(theirs[f].text), `${f}: same sections, keys and values`);
  }
  t.same(JSON.parse(mine['keepalived.json'].text.replace(/\\\//g, '/')).length, 2, 'our JSON parses: two instances');

  const ex = (d: Dumps): ExporterView => exporterParse(d['keepalived.data'].text, d['keepalived.stats'].text);
  const a = ex(mine);
  const b = ex(theirs);
  t.same(a, b, 'keepalived-exporter reads the same from ours as from keepalived');
  // The exporter's data-file parser keys VIPs on "Virtual IP" exactly, which 2.2.7's "Virtual IP (n):" never is
  // (so it finds none in either file); its JSON mode reads them with ParseVIP: words 0 and 2 of each vips string.
  const vipsOf = (d: Dumps) =>
    (JSON.parse(d['keepalived.json'].text) as Array<{ data: { iname: string; state: number; vips: string[] } }>).map((x) => [x.data.iname, x.data.state, x.data.vips.map((v) => { const w = v.split(' '); return w.length >= 3 ? [w[0], w[2]] : null; })]);
  t.same(vipsOf(mine), vipsOf(theirs), 'exporter JSON mode: same instance, state and VIP/interface labels');
  t.same(vipsOf(mine)[1], ['VI_2', 2, [['198.51.100.110', 'eth0'], ['198.51.100.111', 'eth0']]], 'exporter JSON mode: keepalived_vrrp_state labels for ours');
  t.equal(a.instances.VI_1?.state, 'BACKUP');
  t.equal(a.instances.VI_1?.garpDelay, 5, 'exporter: GARP delay');
  t.same(a.scripts.map((s) => [s.name, s.status]), [['chk', 'GOOD']], 'exporter: script status');
});

/** keepalived.data's sections for a sync group and a track_file, from a config that has them. */
const GROUP_CONFIG = `global_defs {
  router_id lab1
}
vrrp_script chk {
  script "/bin/true"
  interval 1
}
track_file tf {
  file /dev/null
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_interface {
    eth0 weight 0
  }
  track_script {
    chk weight 0
  }
  track_file {
    tf weight 0
  }
  notify_master "/bin/true master"
  notify_backup "/bin/true backup"
  notify "/bin/true all"
  sync_group_tracking_weight
}
${vrrpInstance({ name: 'VI_1', priority: 100, vips: ['198.51.100.100/24'] })}${vrrpInstance({ name: 'VI_2', vrid: 52, priority: 100, vips: ['198.51.100.110/24'] })}`;

function sections(text: string, names: readonly string[]): string {
  const out: string[] = [];
  let keep = false;
  for (const line of text.split('\n')) {
    const m = /^------< (.*) >------$/.exec(line);
    if (m) keep = names.includes(m[1] as string);
    if (keep || /^ {3}Sync group = /.test(line)) out.push(line);
  }
  return out.join('\n');
}

t.test('sync group and track file sections equal to keepalived 2.2.7', { skip: !isRoot() || !KEEPALIVED_BIN ? 'needs root and keepalived' : false }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const dataOf = async (who: 'keepalived' | 'ours'): Promise<string> => {
    const d = startWithPrivateTmp(lab, h, who, GROUP_CONFIG);
    logsOnFailure(t, d);
    if (!(await waitFor(() => d.out.has('(VI_1) Entering MASTER STATE') && d.out.has('(VI_2) Entering MASTER STATE'), 15_000))) throw new Error(`${who} not MASTER:\n${d.out.text}`);
    const file = path.join(d.tmp, 'keepalived.data');
    process.kill(d.cp.pid as number, 'SIGUSR1');
    if (!(await waitFor(() => fs.existsSync(file) && fs.statSync(file).size > 0, 5000, 20))) throw new Error(`${who}: no keepalived.data`);
    await new Promise((r) => setTimeout(r, 200));
    const text = fs.readFileSync(file, 'utf8');
    process.kill(d.cp.pid as number, 'SIGTERM');
    await Promise.race([d.exited, new Promise((r) => setTimeout(r, 8000))]);
    return text;
  };
  const theirs = sections(await dataOf('keepalived'), ['VRRP Sync groups', 'VRRP Track files', 'VRRP Scripts']);
  const mine = sections(await dataOf('ours'), ['VRRP Sync groups', 'VRRP Track files', 'VRRP Scripts']);
  t.match(theirs, /VRRP Sync Group = G1, MASTER/, "keepalived's file has the section");
  t.equal(normaliseText(mine), normaliseText(theirs), '"Sync group =" lines, VRRP Sync groups, VRRP Scripts and VRRP Track files sections equal');
});
