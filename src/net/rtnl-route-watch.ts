/**
 * Route-deletion notifications (RTNLGRP_IPV4_ROUTE / RTNLGRP_IPV6_ROUTE) on a socket of their
 * own, decoded to RouteEvent. Only deletions are reported: static routes are restored from
 * them, nothing else needs route traffic. An overrun (ENOBUFS) goes to onError; the caller
 * re-adds what it owns (adds are idempotent), so no dump is needed to recover.
 */
// The netlink package's codec modules, not its index: the index also loads its own native binding
// (raw sockets we do not use), genl, nl80211 and WireGuard codecs — a dozen modules and a dlopen at start-up.
import type { NetlinkMessage } from 'netlink/dist/structs';
import * as rt from 'netlink/dist/rt/structs';
import type { RouteEvent, RuleEvent, RtnlWatch } from './ports';
import type { RtSocket } from './rtnl';
import type { RtnlGroup } from './nl-socket';
import { familyOf, formatIp, tryParse } from './rtnl-codec';

const T = rt.MessageType;

export function decodeRouteDeleted(m: NetlinkMessage): RouteEvent | undefined {
  if (m.type !== T.DELROUTE) return undefined;
  const msg = tryParse(rt.parseRouteMessage, m.data);
  if (!msg) return undefined;
  const family = familyOf(msg.data.family);
  if (!family) return undefined;
  const len = msg.data.dstLen ?? 0;
  const to = len === 0 || !msg.attrs.dst ? 'default' : `${formatIp(msg.attrs.dst)}/${len}`;
  const e: RouteEvent = { type: 'route-deleted', family, to, table: Number(msg.attrs.table ?? msg.data.table ?? 254), proto: Number(msg.data.protocol ?? 0) };
  if (msg.attrs.priority !== undefined) e.metric = msg.attrs.priority;
  return e;
}

/** Kernel notifications of one kind (two multicast groups) on a socket of their own, decoded. */
function watchDeletions<E>(open: (o: { ref: boolean }) => RtSocket, groups: readonly RtnlGroup[], decode: (m: NetlinkMessage) => E | undefined, cb: (e: E) => void, onError?: (err: Error) => void): RtnlWatch {
  const sock = open({ ref: false });
  for (const g of groups) sock.addMembership(g);
  let closed = false;
  sock.socket.on('message', (msgs) => {
    for (const m of msgs) {
      if (closed) return;
      const e = decode(m);
      if (e) cb(e);
    }
  });
  sock.socket.on('error', (err) => {
    if (!closed) onError?.(err);
  });
  return {
    close: () => {
      if (closed) return;
      closed = true;
      sock.socket.close();
    },
  };
}

export function watchRouteDeletions(open: (o: { ref: boolean }) => RtSocket, cb: (e: RouteEvent) => void, onError?: (err: Error) => void): RtnlWatch {
  return watchDeletions(open, ['IPV4_ROUTE', 'IPV6_ROUTE'], decodeRouteDeleted, cb, onError);
}

/** A rule the kernel reports deleted (RTM_DELRULE): its family, preference and table. */
export function decodeRuleDeleted(m: NetlinkMessage): RuleEvent | undefined {
  if (m.type !== T.DELRULE) return undefined;
  const msg = tryParse(rt.parseRuleMessage, m.data);
  if (!msg) return undefined;
  const family = familyOf(msg.data.family);
  if (!family) return undefined;
  const e: RuleEvent = { type: 'rule-deleted', family, table: Number(msg.attrs.table ?? msg.data.table ?? 0) };
  if (msg.attrs.priority !== undefined) e.priority = msg.attrs.priority;
  return e;
}

/** Rule deletions (RTNLGRP_IPV4_RULE / RTNLGRP_IPV6_RULE) on a socket of their own. */
export function watchRuleDeletions(open: (o: { ref: boolean }) => RtSocket, cb: (e: RuleEvent) => void, onError?: (err: Error) => void): RtnlWatch {
  return watchDeletions(open, ['IPV4_RULE', 'IPV6_RULE'], decodeRuleDeleted, cb, onError);
}
