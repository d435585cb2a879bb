/** Jazzer.js entry for the 'control' target (see targets.ts). */
import { control } from './targets';

export function fuzz(data: Buffer): void {
  control(data);
}
