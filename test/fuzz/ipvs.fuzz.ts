/** Jazzer.js entry for the 'ipvs' target (see targets.ts). */
import { ipvs } from './targets';

export function fuzz(data: Buffer): void {
  ipvs(data);
}
