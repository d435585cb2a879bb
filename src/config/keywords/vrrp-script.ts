/** Tracker definitions: vrrp_script, track_file (vrrp_track_file), vrrp_track_process. */
import { flag, int, num, oneOf, script, str, table, words } from './types';

const TRACKERS = 'runtime/trackers.ts';
const PRIO = 'track/priority.ts';

export const vrrpScriptTable = table('vrrp_script', {
  script: script({ required: true, wholeLine: true, use: TRACKERS }),
  interval: num(0.001, undefined, { default: 1, use: TRACKERS, field: 'intervalMs' }),
  timeout: num(0.001, undefined, { use: TRACKERS, field: 'timeoutMs' }),
  // `weight N [reverse]`: words, split by config/resolve; range checked there.
  weight: words({ minArgs: 1, use: PRIO }),
  rise: int(1, undefined, { default: 1, use: TRACKERS }),
  fall: int(1, undefined, { default: 1, use: TRACKERS }),
  // Folded into the script's user/group (config/resolve-global).
  user: words({ minArgs: 1, use: TRACKERS, field: 'script' }),
  init_fail: flag({ default: false, use: TRACKERS }),
});

export const trackFileTable = table('track_file', {
  file: str({ required: true, use: TRACKERS }),
  weight: words({ minArgs: 1, use: PRIO }),
  init_file: words({ bareValue: [], use: TRACKERS }),
});

export const trackProcessTable = table('vrrp_track_process', {
  process: words({ minArgs: 1, required: true, use: TRACKERS }),
  param_match: oneOf(['initial', 'partial'], { use: TRACKERS }),
  full_command: flag({ default: false, use: TRACKERS }),
  quorum: int(1, 65535, { default: 1, use: TRACKERS }),
  quorum_max: int(1, 65535, { use: TRACKERS }),
  weight: words({ minArgs: 1, use: PRIO }),
  delay: num(0, undefined, { use: TRACKERS, field: 'delayMs' }),
  terminate_delay: num(0, undefined, { use: TRACKERS, field: 'terminateDelayMs' }),
  fork_delay: num(0, undefined, { use: TRACKERS, field: 'forkDelayMs' }),
});
