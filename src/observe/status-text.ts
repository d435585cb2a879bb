/**
 * The human form of `keepalived status` (a compact table in the spirit of FRR's `show vrrp`,
 * details per instance when one instance or group is asked for). Pure text from the JSON
 * document, so the client needs nothing of the daemon.
 */
import type { InstanceStatus, StatusDoc } from './status';

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => ` ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

function ago(isoText: string | null, nowMs: number): string {
  if (isoText === null) return '-';
  const s = Math.max(0, Math.round((nowMs - Date.parse(isoText)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function stateText(i: InstanceStatus): string {
  return i.standby ? `${i.state} standby (manual)` : i.state;
}

function masterText(i: InstanceStatus): string {
  if (!i.master) return '-';
  if (i.master.self) return 'self';
  return `${i.master.address} (${i.master.priority ?? '?'})`;
}

function details(i: InstanceStatus, nowMs: number): string[] {
  const out = [
    '',
    `${i.name}  VRID ${i.vrid}  ${i.family === 'inet' ? 'IPv4' : 'IPv6'} v${i.version} on ${i.interface}${i.syncGroup ? `  sync group ${i.syncGroup}` : ''}`,
    `  State          ${stateText(i)} since ${i.since ?? '-'} (${ago(i.since, nowMs)} ago)`,
    `  Priority       base ${i.priority.base}, effective ${i.priority.effective}, advertised ${i.priority.advertised}`,
  ];
  for (const t of i.priority.trackers) {
    const c = t.fault ? `FAULT (${t.fault})` : t.contribution >= 0 ? `+${t.contribution}` : String(t.contribution);
    out.push(`    ${t.kind} ${t.name}: ${t.state}, weight ${t.weight}${t.reverse ? ' reverse' : ''} -> ${c}`);
  }
  if (i.fault) out.push(`  Fault          ${i.fault}`);
  out.push(
    `  Master         ${i.master ? `${i.master.self ? 'self ' : ''}${i.master.address}, priority ${i.master.priority ?? '?'}, advert ${i.master.advertIntMs} ms` : 'none seen'}`,
    `  VIPs held      ${i.vipsHeld.length ? i.vipsHeld.join(' ') : '-'} (configured ${i.vipsConfigured.join(' ') || '-'})`,
    `  Adverts        sent ${i.adverts.sent} (prio 0: ${i.adverts.priorityZeroSent}), received ${i.adverts.received} (prio 0: ${i.adverts.priorityZeroReceived})`,
    `  Drops          ${Object.entries(i.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  Transitions    became master ${i.becameMaster}, released ${i.releasedMaster}, master-down ${i.masterDownEvents}`,
  );
  for (const t of [...i.transitions].reverse()) out.push(`    ${t.at}  ${t.from} -> ${t.to}: ${t.reason}`);
  return out;
}

/** The human form: one table row per instance; details when a single instance or group was asked for. */
export function formatStatus(doc: StatusDoc, opts: { detailed: boolean }): string {
  const nowMs = Date.parse(doc.takenAt);
  const out: string[] = [];
  const rows = [['Instance', 'VRID', 'AF', 'Interface', 'State', 'Since', 'Prio', 'Master', 'Adv', 'VIPs']];
  for (const i of doc.instances) {
    rows.push([
      i.name, String(i.vrid), i.family === 'inet' ? 'IPv4' : 'IPv6', i.interface, stateText(i), ago(i.since, nowMs),
      i.priority.base === i.priority.effective ? String(i.priority.base) : `${i.priority.base}/${i.priority.effective}`,
      masterText(i), i.master ? `${i.master.advertIntMs}ms` : '-', i.vipsHeld.length ? i.vipsHeld.join(',') : '-',
    ]);
  }
  out.push(...table(rows));
  if (opts.detailed) for (const i of doc.instances) out.push(...details(i, nowMs));
  if (doc.syncGroups.length) {
    out.push('', ...table([['Sync group', 'State', 'Members'], ...doc.syncGroups.map((g) => [g.name, g.standby ? `${g.state} standby (manual)` : g.state, g.members.join(',')])]));
  }
  if (doc.virtualServers.length) {
    const vrows = [['Virtual server', 'Real server', 'State', 'Weight', 'Last check']];
    for (const vs of doc.virtualServers) {
      for (const rs of vs.realServers) {
        const last = rs.checks.map((c) => `${c.kind} ${c.lastOk === null ? '-' : c.lastOk ? 'ok' : 'FAIL'}${c.latencyMs !== null ? ` ${c.latencyMs.toFixed(1)}ms` : ''}`).join('; ');
        vrows.push([vs.name, `${rs.address}${rs.port !== null ? `:${rs.port}` : ''}`, rs.up === null ? 'unknown' : rs.up ? 'UP' : 'DOWN', String(rs.weight), last || '-']);
      }
    }
    out.push('', ...table(vrows));
  }
  if (doc.bfdSessions?.length) {
    const brows = [['BFD session', 'Neighbor', 'State', 'Remote', 'Since', 'Detect', 'TX', 'Diag (local/remote)']];
    for (const b of doc.bfdSessions) {
      brows.push([b.name, `${b.neighbor}${b.multihop ? ' (multihop)' : ''}`, b.state, b.remoteState, ago(b.since, nowMs), `${b.detectionTimeMs}ms`, `${b.txIntervalMs}ms`, `${b.localDiag} / ${b.remoteDiag}`]);
    }
    out.push('', ...table(brows));
  }
  return `${out.join('\n')}\n`;
}
