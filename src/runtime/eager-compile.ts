/**
 * The modules a takeover runs through, compiled whole when they are loaded. V8 compiles a
 * function on its first call; a backup's first takeover is the first call of most of its path
 * (the VIP add, the batched netlink send, the first GARP round), and on this 2-core machine
 * under load each first call cost 0.1-0.25 ms (measured with hrtime stamps: ~0.6 ms between
 * the advert and the first GARP). Loading these modules with V8's lazy compilation off costs a
 * few milliseconds of start-up instead. Only these modules: everything else stays lazy.
 * Limit: V8 may later discard the bytecode of functions unused for many GCs (bytecode
 * flushing), so a takeover after a long idle period may pay part of that again.
 *
 * The netlink package is loaded before, lazily: its generated codecs (rt/ifla.js, gen_structs.js,
 * ~250 KB for every rtnetlink message kind) compiled whole cost ~30 ms of start-up and ~5 MB of
 * RSS; the few of its functions a takeover calls are compiled at start-up by use (dump requests
 * and replies, and Rtnl.warmAddress building each VIP's RTM_NEWADDR ahead).
 */
import v8 from 'node:v8';

export function loadTakeoverPathEagerly(): void {
  require('netlink/dist/structs');
  require('netlink/dist/constants');
  require('netlink/dist/rt/structs');
  v8.setFlagsFromString('--no-lazy');
  try {
    require('../vrrp/fsm');
    require('../vrrp/packet');
    require('../net/nl-socket');
    require('../net/rtnl');
    require('../net/announce');
    require('./instance');
  } finally {
    v8.setFlagsFromString('--lazy');
  }
}
