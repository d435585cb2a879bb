/**
 * The network namespace a configuration asks for: the first top-level `net_namespace NAME`
 * (keepalived 2.2.7 keeps the first and says "Duplicate net_namespace definition NAME -
 * ignoring" for later ones; inside global_defs it says "Unknown keyword" and ignores it).
 * Read from the parsed tree before the full load, because the namespace must be entered before
 * the interfaces named by the configuration can be looked up.
 */
import type { ConfigNode } from './ast';

export function configuredNetNamespace(nodes: readonly ConfigNode[]): string | undefined {
  return nodes.find((n) => n.keyword === 'net_namespace' && n.block === undefined && n.args[0] !== undefined)?.args[0];
}
