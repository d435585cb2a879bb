/** Tracker definitions: vrrp_script, track_file (vrrp_track_file), vrrp_track_process. */
import { flag, ignored, int, num, oneOf, script, str, table, words } from './types';

export const vrrpScriptTable = table('vrrp_script', {
  script: script({ required: true, wholeLine: true }),
  interval: num(0.001, undefined, { default: 1 }),
  timeout: num(0.001),
  // `weight N [reverse]`: words, split by config/resolve; range checked there.
  weight: words({ minArgs: 1 }),
  rise: int(1, undefined, { default: 1 }),
  fall: int(1, undefined, { default: 1 }),
  user: words({ minArgs: 1 }),
  init_fail: flag({ default: false }),
});

export const trackFileTable = table('track_file', {
  file: str({ required: true }),
  weight: words({ minArgs: 1 }),
  init_file: words({ bareValue: [] }),
});

export const trackProcessTable = table('vrrp_track_process', {
  process: words({ minArgs: 1, required: true }),
  param_match: oneOf(['initial', 'partial']),
  full_command: flag({ default: false }),
  quorum: int(1, 65535, { default: 1 }),
  quorum_max: int(1, 65535),
  weight: words({ minArgs: 1 }),
  delay: num(0),
  terminate_delay: num(0),
  fork_delay: num(0),
  ...ignored([]),
});
