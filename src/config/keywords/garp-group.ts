/** garp_group { garp_interval S; gna_interval S; interface IF | interfaces { IF ... } } (keepalived.conf(5)). */
import { lines, num, str, table } from './types';

const PACING = 'runtime/garp-pacing.ts';

export const garpGroupTable = table('garp_group', {
  garp_interval: num(0, undefined, { use: PACING, field: 'garpIntervalMs' }),
  gna_interval: num(0, undefined, { use: PACING, field: 'gnaIntervalMs' }),
  interface: str({ use: PACING, field: 'interfaces' }),
  interfaces: lines({ repeat: true, use: PACING }),
});
