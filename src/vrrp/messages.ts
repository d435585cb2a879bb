/**
 * Every VRRP log line in keepalived's exact wording (keepalived-features.md §(f)), so
 * operators' greps keep matching. The state machine and the validator build text only here.
 */

export const msg = {
  enteringMaster: (n: string) => `(${n}) Entering MASTER STATE`,
  enteringBackup: (n: string) => `(${n}) Entering BACKUP STATE`,
  enteringBackupInit: (n: string) => `(${n}) Entering BACKUP STATE (init)`,
  enteringFault: (n: string) => `(${n}) Entering FAULT STATE`,
  enteringFaultInit: (n: string) => `(${n}) Entering FAULT STATE (init)`,
  receiveTimeout: (n: string) => `(${n}) Receive advertisement timeout`,
  settingVips: (n: string) => `(${n}) setting VIPs.`,
  removingVips: (n: string) => `(${n}) removing VIPs.`,
  lowerPrioForcing: (n: string, src: string, prio: number, ours: number) =>
    `(${n}) Received advert from ${src} with lower priority ${prio}, ours ${ours}, forcing new election`,
  masterHigherPrio: (n: string, src: string, prio: number, ours: number) =>
    `(${n}) Master received advert from ${src} with higher priority ${prio}, ours ${ours}`,
  masterSamePrioHigherIp: (n: string, src: string, prio: number) =>
    `(${n}) Master received advert from ${src} with same priority ${prio} but higher IP address than ours`,
  backupPrioZero: (n: string) => `(${n}) Backup received priority 0 advertisement`,
  masterPrioZero: (n: string) => `(${n}) Master received priority 0 message`,
  sentZeroPrio: (n: string) => `(${n}) sent 0 priority`,
  lowerPrioDiscarding: (n: string, prio: number, src: string) =>
    `(${n}) received lower priority (${prio}) advert from ${src} - discarding`,
  masterSet: (n: string, addr: string) => `(${n}) master set to ${addr}`,
  masterChanged: (n: string, from: string, to: string) => `(${n}) master changed from ${from} to ${to}`,
  intervalUpdated: (n: string, fromMs: number, toMs: number) =>
    `(${n}) advertisement interval updated from ${fromMs}ms to ${toMs}ms by master`,
  changingPriority: (n: string, from: number, to: number) => `(${n}) Changing effective priority from ${from} to ${to}`,
  ownerConflict: (n: string, src: string) =>
    `(${n}) CONFIGURATION ERROR: local instance and ${src} are both configured as address owner, please resolve`,
  reloadInPlace: (n: string, what: string) => `(${n}) configuration reloaded in place: ${what}`,
  standbyOn: (n: string) => `(${n}) manual standby requested`,
  standbyHandover: (n: string, src: string, prio: number) => `(${n}) manual standby: ${src} took over with priority ${prio}`,
  standbyNoTaker: (n: string, ms: number) => `(${n}) manual standby cancelled: no other router took over within ${ms}ms`,
  standbyOff: (n: string) => `(${n}) manual standby ended (resume)`,
  ownerDropping: (n: string, src: string) => `(${n}) Dropping packet(s) from ${src} since we are address owner`,

  // Advert rejections (vrrp_check_packet wording).
  badTtl: (n: string, src: string, got: number, want: number) =>
    `(${n}) invalid TTL/HL from ${src}. Received ${got} and expect ${want}`,
  ttlRange: (n: string, ttl: number, src: string, min: number, max: number) =>
    `(${n}) TTL/HL ${ttl} from ${src} not in range [${min}, ${max}]`,
  badVersion: (n: string, src: string, got: number, want: number) =>
    `(${n}) wrong VRRP version from ${src}. Received ${got} and expect ${want}`,
  badType: (n: string, src: string, got: number) => `(${n}) Invalid packet type from ${src}. ${got} and expect 1`,
  badLength: (n: string, src: string, shortOrLong: 'short' | 'long', got: number, want: number) =>
    `(${n}) vrrp packet from ${src} too ${shortOrLong}, length ${got} and expect ${want}`,
  badChecksum: (n: string, version: number, src: string) => `(${n}) Invalid VRRPv${version} checksum from ${src}`,
  invalidAuthType: (n: string, src: string, t: number) => `(${n}) Invalid auth type from ${src}: ${t}`,
  authTypeMismatch: (n: string, t: number, src: string, want: number) =>
    `(${n}) received a ${t} auth from ${src}, expecting ${want}!`,
  badPassword: (n: string, src: string) => `(${n}) received an invalid passwd from ${src}!`,
  intervalMismatchV2: (n: string, src: string, mine: number, got: number) =>
    `(${n}) advertisement interval mismatch with ${src} mine=${mine} sec rcv'd=${got} sec`,
  intervalMismatchV3: (n: string, mine: number, got: number) =>
    `(${n}) advertisement interval mismatch ours = ${mine} centi-sec rcv'd=${got} centi-sec`,
  vipCount: (n: string, want: number, got: number) => `(${n}) expected ${want} VIPs but received ${got}`,
  vipMissing: (n: string, vrid: number, src: string, addr: string) =>
    `(${n}) ip address associated with VRID ${vrid} not present in advert from ${src}: ${addr}`,
  castMismatch: (n: string, want: 'unicast' | 'multicast', src: string) =>
    `(${n}) Expected ${want} packet but received ${want === 'unicast' ? 'multicast' : 'unicast'} from ${src}`,
  unicastSrc: (n: string, src: string) => `(${n}) unicast advert from ${src} is not from a configured unicast_peer`,
} as const;
