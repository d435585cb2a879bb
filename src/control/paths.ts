/**
 * Where the control socket lives: global_defs `control_socket PATH`; else the environment's
 * TSKEEPALIVED_CONTROL_SOCKET; else with `-s NAME` /run/keepalived/NAME/control.sock;
 * else, when a pid file other than the default was given with -p, that file's name with
 * `.control.sock` for `.pid` (daemons kept apart by their pid files keep apart sockets too);
 * else /run/keepalived/control.sock. The client resolves the same way from its own flags.
 */
import path from 'node:path';

export const DEFAULT_CONTROL_SOCKET = '/run/keepalived/control.sock';
export const DEFAULT_PID_FILE = '/run/keepalived.pid';

export interface SocketPathInputs {
  configured?: string;
  env?: string;
  namespace?: string;
  pidFile?: string;
}

export function controlSocketPath(i: SocketPathInputs): string {
  if (i.configured) return i.configured;
  if (i.env) return i.env;
  if (i.namespace !== undefined) return `/run/keepalived/${i.namespace}/control.sock`;
  if (i.pidFile && i.pidFile !== DEFAULT_PID_FILE) {
    const dir = path.dirname(i.pidFile);
    const base = path.basename(i.pidFile).replace(/\.pid$/, '');
    return path.join(dir, `${base}.control.sock`);
  }
  return DEFAULT_CONTROL_SOCKET;
}
