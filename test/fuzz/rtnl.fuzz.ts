/** Jazzer.js entry for the 'rtnl' target (see targets.ts). */
import { rtnl } from './targets';

export function fuzz(data: Buffer): void {
  rtnl(data);
}
