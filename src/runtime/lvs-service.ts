import type { Model } from '../config/model';
import type { Logger } from '../observe/log';
import type { Clock } from './clock';
import type { VrrpService } from './vrrp-service';

export interface LvsHandle {
  stop(): Promise<void>;
  reload(m: Model): Promise<void>;
}

export async function startLvs(_m: Model, _d: { clock: Clock; log: Logger; keepOnShutdown: boolean; vrrp?: VrrpService }): Promise<LvsHandle> {
  throw new Error('LVS wiring in progress'); // TEMPORARY during development: replaced before commit
}
