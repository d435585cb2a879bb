/**
 * The user scripts run as when neither the script nor global_defs `script_user` names one:
 * keepalived's documented default is `keepalived_script` if that user exists, otherwise root
 * (and with enable_script_security on it warns that the user should be created).
 */
import type { GlobalDefs } from '../config/model';
import type { Logger } from '../observe/log';
import { lookupUser, type Ids } from '../notify/hooks';

export const DEFAULT_SCRIPT_USER = 'keepalived_script';

export function resolveScriptUser(
  g: GlobalDefs,
  log: Logger,
  hasScripts: boolean,
  lookup: (user: string) => Ids | undefined = (u) => lookupUser(u),
): { user: string; group?: string } | undefined {
  if (g.scriptUser) return g.scriptUser;
  if (!hasScripts) return undefined;
  if (lookup(DEFAULT_SCRIPT_USER)) return { user: DEFAULT_SCRIPT_USER };
  if (g.enableScriptSecurity) log.warn(`WARNING - default user '${DEFAULT_SCRIPT_USER}' for script execution does not exist - please create.`);
  return undefined;
}
