/**
 * What each control command does in the running daemon: status (src/observe/status.ts),
 * standby / resume (the VRRP core's standby input, per instance or per sync group), reload
 * (validated first: a broken configuration is refused with its diagnostics and the running one
 * is kept) and dump (keepalived's USR1/USR2/JSON files).
 */
import type { Model } from '../config/model';
import type { Logger } from '../observe/log';
import type { Recorder } from '../observe/recorder';
import type { VrrpService } from '../runtime/vrrp-service';
import { buildStatus, type StatusDoc } from '../observe/status';
import type { BfdSessionView } from '../bfd/view';
import { handoverWindowMs } from '../vrrp/fsm';
import type { Request } from './protocol';
import { ControlFailure, type ControlHandler } from './server';

export interface ControlContext {
  vrrp: VrrpService | undefined;
  model(): Model;
  recorder: Recorder;
  log: Logger;
  wallNow(): number;
  /** The BFD sessions (none when no bfd_instance runs). */
  bfd?: () => { sessions(): BfdSessionView[]; drops?: Readonly<Record<string, number>> } | undefined;
  /** Loads and validates the configuration file without applying it. */
  validate(): { ok: boolean; diagnostics: string[] };
  /** Applies the configuration file (as SIGHUP does); resolves when done. */
  reload(): Promise<void>;
  /** Writes the data, stats and JSON dumps; returns the files written. */
  dump(): { files: Record<string, string>; errors: string[] };
}

/** Polling step while a standby handover is under way (the reply waits for its outcome). */
const POLL_MS = 20;

function members(ctx: ControlContext, target: string): string[] {
  const vrrp = ctx.vrrp;
  if (!vrrp) throw new ControlFailure('ERR_CONTROL_UNKNOWN_TARGET', 'no VRRP instance runs in this daemon');
  const g = ctx.model().vrrpSyncGroups.find((x) => x.name === target);
  const names = g ? g.members.filter((n) => vrrp.instance(n)) : vrrp.instance(target) ? [target] : [];
  if (names.length === 0) throw new ControlFailure('ERR_CONTROL_UNKNOWN_TARGET', `no vrrp_instance or vrrp_sync_group named ${target}`);
  return names;
}

function states(vrrp: VrrpService, names: readonly string[]): Array<{ name: string; state: string; standby: boolean }> {
  return names.map((n) => {
    const st = vrrp.instance(n)?.state;
    return { name: n, state: st?.state ?? 'INIT', standby: st?.standby === true };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function standby(ctx: ControlContext, req: Request): Promise<unknown> {
  const names = members(ctx, req.target as string);
  const vrrp = ctx.vrrp as VrrpService;
  const force = req.force === true;
  if (!force) {
    // A backup that sees no master would be the one to take over: standby would leave the VIP nowhere.
    for (const n of names) {
      const st = vrrp.instance(n)?.state;
      if (st?.state === 'BACKUP' && !st.standby && (st.masterAddr === undefined || st.masterPriority === undefined)) {
        throw new ControlFailure('ERR_CONTROL_NO_PEER', `(${n}) no other router is seen: standby would take its VIPs offline (use --force to do it anyway)`);
      }
    }
  }
  ctx.log.info(`Manual standby of ${req.target as string}${force ? ' (forced)' : ''} requested on the control socket`);
  const masters = names.filter((n) => vrrp.instance(n)?.state.state === 'MASTER');
  for (const n of names) vrrp.setStandby(n, true, force);
  if (masters.length === 0 || force) return { instances: states(vrrp, names) };
  // A master hands over: wait for the taker's advert (BACKUP) or the end of the window (cancelled).
  const windowMs = Math.max(...masters.map((n) => handoverWindowMs((vrrp.instance(n) as NonNullable<ReturnType<VrrpService['instance']>>).cfg)));
  const deadline = Date.now() + windowMs + 500;
  for (;;) {
    const s = masters.map((n) => vrrp.instance(n)?.state);
    const cancelled = masters.filter((_, i) => s[i]?.state === 'MASTER' && !s[i]?.standby);
    if (cancelled.length > 0) {
      for (const n of names) vrrp.setStandby(n, false);
      throw new ControlFailure('ERR_CONTROL_NO_TAKER', `no other router took over ${cancelled.join(', ')} within ${windowMs} ms: standby cancelled, still MASTER`);
    }
    if (s.every((x) => x?.state !== 'MASTER')) return { instances: states(vrrp, names) };
    if (Date.now() > deadline) return { instances: states(vrrp, names), pending: true };
    await sleep(POLL_MS);
  }
}

function resume(ctx: ControlContext, req: Request): unknown {
  const names = members(ctx, req.target as string);
  const vrrp = ctx.vrrp as VrrpService;
  ctx.log.info(`Resume of ${req.target as string} requested on the control socket`);
  for (const n of names) vrrp.setStandby(n, false);
  return { instances: states(vrrp, names) };
}

function bfdDropsOf(ctx: ControlContext): { bfdDrops?: Readonly<Record<string, number>> } {
  const drops = ctx.bfd?.()?.drops;
  return drops ? { bfdDrops: drops } : {};
}

function status(ctx: ControlContext, req: Request): StatusDoc {
  const vrrp = ctx.vrrp;
  const doc = buildStatus(
    {
      model: ctx.model(),
      views: vrrp ? vrrp.views() : [],
      groupState: (n) => vrrp?.groupStateOf(n),
      recorder: ctx.recorder,
      wallNowMs: ctx.wallNow(),
      pid: process.pid,
      bfd: ctx.bfd?.()?.sessions() ?? [],
      ...bfdDropsOf(ctx),
      ...(vrrp ? { unmatchedDrops: vrrp.unmatchedDrops } : {}),
      ...(vrrp?.netlinkStats ? { netlink: vrrp.netlinkStats } : {}),
    },
    req.target,
  );
  if (!doc) throw new ControlFailure('ERR_CONTROL_UNKNOWN_TARGET', `no vrrp_instance or vrrp_sync_group named ${req.target as string}`);
  return doc;
}

async function reload(ctx: ControlContext): Promise<unknown> {
  const v = ctx.validate();
  if (!v.ok) {
    ctx.log.error('Reload requested on the control socket refused: the configuration has errors, the running one is kept');
    throw new ControlFailure('ERR_CONTROL_CONFIG_INVALID', 'the configuration has errors: reload refused, the daemon keeps running the old one', v.diagnostics);
  }
  await ctx.reload();
  return { reloaded: true, warnings: v.diagnostics };
}

export function controlHandler(ctx: ControlContext): ControlHandler {
  return async (req) => {
    switch (req.cmd) {
      case 'status':
        return status(ctx, req);
      case 'standby':
        return standby(ctx, req);
      case 'resume':
        return resume(ctx, req);
      case 'reload':
        return reload(ctx);
      case 'dump': {
        const r = ctx.dump();
        if (r.errors.length) throw new ControlFailure('ERR_CONTROL_INTERNAL', r.errors.join('; '));
        return r;
      }
    }
  };
}
