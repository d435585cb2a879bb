/** Jazzer.js entry for the 'config' target (see targets.ts). */
import { config } from './targets';

export function fuzz(data: Buffer): void {
  config(data);
}
