/**
 * Reads iproute2's name files the way `ip` does: DIR/rt_tables, then DIR/rt_tables.d/*.conf
 * sorted by name (likewise rt_protos, rt_realms). The directory is injectable (tests and
 * unusual installs); the default is /etc/iproute2, which `ip netns exec` overlays with
 * /etc/netns/NAME/iproute2 when that exists, so a namespace can carry its own tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import { iproute2Names, type Iproute2Names } from '../config/rt-tables';

export const DEFAULT_IPROUTE2_DIR = '/etc/iproute2';

function readTexts(dir: string, base: string): string[] {
  const out: string[] = [];
  try {
    out.push(fs.readFileSync(path.join(dir, base), 'utf8'));
  } catch {
    /* no main file: built-ins only */
  }
  const d = path.join(dir, `${base}.d`);
  let names: string[] = [];
  try {
    names = fs.readdirSync(d).filter((n) => n.endsWith('.conf')).sort();
  } catch {
    /* no .d directory */
  }
  for (const n of names) {
    try {
      out.push(fs.readFileSync(path.join(d, n), 'utf8'));
    } catch {
      /* unreadable: skipped, as ip does */
    }
  }
  return out;
}

export function loadIproute2Names(dir: string = process.env.TSKEEPALIVED_IPROUTE2_DIR ?? DEFAULT_IPROUTE2_DIR): Iproute2Names {
  return iproute2Names({ tables: readTexts(dir, 'rt_tables'), protos: readTexts(dir, 'rt_protos'), realms: readTexts(dir, 'rt_realms') });
}
