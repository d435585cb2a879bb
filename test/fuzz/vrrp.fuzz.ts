/** Jazzer.js entry for the 'vrrp' target (see targets.ts). */
import { vrrp } from './targets';

export function fuzz(data: Buffer): void {
  vrrp(data);
}
