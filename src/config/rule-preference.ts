/**
 * Rules written without a preference. The kernel would put each just above the lowest existing
 * one (32765, 32764, ... in arrival order), so the order of policy routing would depend on which
 * instance became MASTER first. keepalived 2.2.7 (observed with -t and in the daemon) assigns one
 * itself, in the order the configuration declares them, static_rules and virtual_rules alike:
 * 16384, then 16383, ..., and says so with a config error (-t exits 5):
 * `Rule has no preference specified - setting to 16384. This is probably not what you want.`
 */
import type { Loc } from './ast';
import type { Diagnostics } from './diagnostics';
import type { RuleEntry } from './model';

export const FIRST_DEFAULT_RULE_PREFERENCE = 16384;

/** Sets `preference` on the rules that lack one; `fileOrder` ranks the files as they were read (the main file first). */
export function assignRulePreferences(rules: readonly RuleEntry[], fileOrder: readonly string[], diags: Diagnostics): void {
  const rank = (loc: Loc): number => {
    const i = fileOrder.indexOf(loc.file);
    return i < 0 ? fileOrder.length : i;
  };
  const lacking = rules.filter((r) => r.preference === undefined);
  lacking.sort((a, b) => rank(a.loc) - rank(b.loc) || a.loc.line - b.loc.line || a.loc.col - b.loc.col);
  let next = FIRST_DEFAULT_RULE_PREFERENCE;
  for (const r of lacking) {
    (r as { preference?: number }).preference = next;
    diags.error('ERR_CONFIG_RULE_NO_PREFERENCE', `Rule has no preference specified - setting to ${next}. This is probably not what you want.`, r.loc);
    next--;
  }
}
