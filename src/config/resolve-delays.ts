/**
 * Per-interface timing blocks at the top level: interface_up_down_delays and garp_group.
 *
 * `interface_up_down_delays { ifname down_delay [up_delay] }` lines. Delays are seconds with µs
 * resolution in [0, 255]; keepalived 2.2.7's words for bad ones (`-t`): "number '300' outside
 * range [0.000000, 255.000000]", "invalid number 'abc'", "negative number '-1'" (the line is
 * then dropped). A line with only the name sets no delay; words after the up delay are ignored.
 */
import type { RawLine } from './build';
import type { Diagnostics } from './diagnostics';
import type { GarpGroup, InterfaceUpDownDelay } from './model';
import { sToMs, type Raw } from './resolve-common';

const MAX_DELAY_S = 255;

/** Seconds → µs, or a diagnostic in keepalived's words and undefined. */
function delayUs(word: string, line: RawLine, i: number, diags: Diagnostics): number | undefined {
  const loc = line.argLocs[i] ?? line.loc;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(word)) {
    diags.error('ERR_CONFIG_BAD_VALUE', `invalid number '${word}'`, loc);
    return undefined;
  }
  const s = Number(word);
  if (s < 0) {
    diags.error('ERR_CONFIG_OUT_OF_RANGE', `negative number '${word}'`, loc);
    return undefined;
  }
  if (s > MAX_DELAY_S) {
    diags.error('ERR_CONFIG_OUT_OF_RANGE', `number '${word}' outside range [0.000000, ${MAX_DELAY_S}.000000]`, loc);
    return undefined;
  }
  return Math.round(s * 1e6);
}

export function parseUpDownDelay(line: RawLine, diags: Diagnostics): InterfaceUpDownDelay | undefined {
  const [ifname, down, up] = line.args;
  if (ifname === undefined || down === undefined) return undefined;
  const downUs = delayUs(down, line, 1, diags);
  if (downUs === undefined) return undefined;
  const upUs = up === undefined ? 0 : delayUs(up, line, 2, diags);
  if (upUs === undefined) return undefined;
  return { ifname, downUs, upUs, loc: line.loc };
}

/** garp_group: a missing interval is 0 (no pacing of that kind on those interfaces). */
export function resolveGarpGroup(r: Raw): GarpGroup {
  const listed = ((r.interfaces ?? []) as RawLine[]).flatMap((l) => l.args);
  const one = typeof r.interface === 'string' ? [r.interface] : [];
  return {
    garpIntervalMs: sToMs((r.garpInterval as number | undefined) ?? 0),
    gnaIntervalMs: sToMs((r.gnaInterval as number | undefined) ?? 0),
    interfaces: [...new Set([...one, ...listed])],
    loc: r.loc,
  };
}
