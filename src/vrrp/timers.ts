/**
 * RFC timer formulas (RFC 3768 §6.1 for v2, RFC 5798 §6.1 for v3), in milliseconds.
 * keepalived computes the same in µs; the skew uses the effective priority.
 */
import type { VrrpVersion } from './types';

/**
 * v2 (RFC 3768 §6.1): Skew_Time = (256 - Priority) / 256 seconds, independent of the interval.
 * v3 (RFC 5798 §6.1): Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 centiseconds.
 */
export function skewTimeMs(priority: number, masterAdverIntCs: number, version: VrrpVersion): number {
  if (version === 2) return ((256 - priority) * 1000) / 256;
  return ((256 - priority) * masterAdverIntCs * 10) / 256;
}

/**
 * Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time (RFC 3768/5798 §6.1);
 * keepalived makes the 3 configurable as `down_timer_adverts`.
 */
export function masterDownIntervalMs(
  priority: number,
  masterAdverIntCs: number,
  version: VrrpVersion,
  downTimerAdverts = 3,
): number {
  return downTimerAdverts * masterAdverIntCs * 10 + skewTimeMs(priority, masterAdverIntCs, version);
}

/** v2 Adver Int field: whole seconds 1..255 (keepalived rounds fractional advert_int for v2). */
export function v2AdvertIntSeconds(advertIntCs: number): number {
  return Math.min(255, Math.max(1, Math.round(advertIntCs / 100)));
}

/** v3 Max Adver Int field: 12 bits of centiseconds, 1..4095 (RFC 5798 §5.2.7). */
export function v3AdvertIntCs(advertIntCs: number): number {
  return Math.min(4095, Math.max(1, Math.round(advertIntCs)));
}
