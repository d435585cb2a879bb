/** bfd_instance NAME { ... } (keepalived.conf(5) "BFD CONFIGURATION"). Timers are in ms with µs resolution. */
import { flag, int, num, str, table, words } from './types';

const SVC = 'runtime/bfd-service.ts';
const PRIO = 'track/priority.ts';

export const bfdInstanceTable = table('bfd_instance', {
  neighbor_ip: str({ required: true, use: SVC, field: 'neighborIp' }),
  neighbour_ip: str({ to: 'neighborIp', use: SVC, field: 'neighborIp' }),
  source_ip: str({ use: SVC }),
  min_rx: num(0.001, 4_294_967, { use: SVC, field: 'minRxUs' }),
  min_tx: num(0.001, 4_294_967, { use: SVC, field: 'minTxUs' }),
  idle_tx: num(0.001, 4_294_967, { use: SVC, field: 'idleTxUs' }),
  multiplier: int(1, 255, { use: SVC }),
  passive: flag({ use: SVC }),
  ttl: int(1, 255, { use: SVC }),
  hoplimit: int(1, 255, { use: SVC }),
  max_hops: int(0, 255, { use: SVC }),
  multihop: flag({ use: SVC }),
  weight: words({ minArgs: 1, use: PRIO }),
  vrrp: flag({ use: PRIO, field: 'notifyVrrp' }),
  checker: flag({ use: 'runtime/daemon.ts', field: 'notifyChecker' }),
  disabled: flag({ use: SVC }),
});
