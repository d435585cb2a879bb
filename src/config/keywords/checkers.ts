/** Checker blocks inside real_server (keepalived.conf(5) "real_server" checkers). */
import * as R from './reasons';
import { block, bool, flag, int, num, oneOf, script, str, table, words, type BlockTable, type KwSpec } from './types';

const CHECK = 'check/build.ts';
/** BFD_CHECK follows the named bfd_instance's session (runtime/checkers.ts bfdEvent). */
const BFD_CHECK = 'runtime/checkers.ts';
const HTTP = 'check/probes/http.ts';
const REGEX = 'not implemented yet: the regex is matched with JavaScript RegExp over the whole body';

/** Options every checker shares (keepalived check_api.c); unset ones inherit from RS/VS in config/resolve. */
const common = (): Record<string, KwSpec> => ({
  connect_ip: str({ use: CHECK }),
  connect_port: int(0, 65535, { use: CHECK }),
  bindto: str({ use: CHECK }),
  bind_port: int(0, 65535, { use: CHECK }),
  bind_if: str({ use: CHECK }),
  connect_timeout: num(0.001, undefined, { use: CHECK, field: 'connectTimeoutMs' }),
  fwmark: int(0, 4294967295, { use: CHECK }),
  retry: int(0, undefined, { use: CHECK }),
  nb_get_retry: int(0, undefined, { deprecated: 'retry', to: 'retry', use: CHECK }),
  delay_before_retry: num(0, undefined, { use: CHECK, field: 'delayBeforeRetryMs' }),
  warmup: num(0, undefined, { use: CHECK, field: 'warmupMs' }),
  delay_loop: num(0.001, undefined, { use: CHECK, field: 'delayLoopMs' }),
  alpha: bool({ use: CHECK }),
  log_all_failures: bool({ use: CHECK }),
});

const url = table('url', {
  path: str({ required: true, use: HTTP }),
  digest: str({ use: HTTP }),
  status_code: words({ minArgs: 1, use: HTTP, field: 'statusCodes' }),
  virtualhost: str({ use: HTTP }),
  regex: str({ use: HTTP }),
  regex_no_match: flag({ default: false, use: HTTP }),
  regex_options: words({ unsupported: REGEX }),
  regex_min_offset: int(0, undefined, { unsupported: REGEX }),
  regex_max_offset: int(0, undefined, { unsupported: REGEX }),
  regex_stack: words({ unsupported: REGEX }),
});

const http = (): Record<string, KwSpec> => ({
  ...common(),
  http_protocol: oneOf(['1.0', '1.0C', '1.1'], { use: CHECK }),
  virtualhost: str({ use: CHECK }),
  fast_recovery: bool({ default: false, unsupported: R.NOT_YET }),
  enable_sni: bool({ default: false, use: CHECK }),
  tls_compliant: bool({ default: false, unsupported: R.NOT_YET }),
  sni_name: str({ use: CHECK }),
  url: block(url, { repeat: true, to: 'urls', use: CHECK }),
});

const smtpHost = table('host', {
  connect_ip: str({ use: CHECK }),
  connect_port: int(0, 65535, { use: CHECK }),
  bindto: str({ use: CHECK }),
  bind_port: int(0, 65535, { use: CHECK }),
  bind_if: str({ use: CHECK }),
});

const tables: Record<string, BlockTable> = {
  TCP_CHECK: table('TCP_CHECK', common()),
  HTTP_GET: table('HTTP_GET', http()),
  SSL_GET: table('SSL_GET', http()),
  SMTP_CHECK: table('SMTP_CHECK', {
    ...common(),
    helo_name: str({ use: CHECK }),
    host: block(smtpHost, { repeat: true, to: 'hosts', deprecated: 'connect_ip/connect_port in SMTP_CHECK (one checker per host)', use: CHECK }),
  }),
  DNS_CHECK: table('DNS_CHECK', {
    ...common(),
    type: oneOf(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'], { caseInsensitive: true, default: 'SOA', to: 'queryType', use: CHECK }),
    name: str({ default: '.', use: CHECK }),
  }),
  UDP_CHECK: table('UDP_CHECK', {
    ...common(),
    payload: words({ use: CHECK }),
    require_reply: words({ bareValue: [], use: CHECK }),
    min_reply_length: int(0, 65535, { default: 0, use: CHECK }),
    max_reply_length: int(0, 65535, { default: 255, use: CHECK }),
  }),
  PING_CHECK: table('PING_CHECK', common()),
  MISC_CHECK: table('MISC_CHECK', {
    ...common(),
    misc_path: script({ required: true, wholeLine: true, use: CHECK }),
    misc_timeout: num(0.001, undefined, { use: CHECK, field: 'miscTimeoutMs' }),
    misc_dynamic: flag({ default: false, use: CHECK }),
    // Folded into misc_path's user/group (config/resolve-lvs).
    user: words({ minArgs: 1, use: CHECK, field: 'miscPath' }),
  }),
  FILE_CHECK: table('FILE_CHECK', {
    track_file: str({ required: true, use: CHECK }),
    weight: words({ minArgs: 1, use: CHECK }),
    dynamic: flag({ default: false, use: CHECK }),
  }),
  BFD_CHECK: table('BFD_CHECK', { name: str({ required: true, use: BFD_CHECK }), alpha: bool({ use: BFD_CHECK }) }),
};

/** real_server keywords for each checker type: repeatable blocks collected into `checkers`. */
export function checkerKeywords(): Record<string, KwSpec> {
  const out: Record<string, KwSpec> = {};
  for (const [type, t] of Object.entries(tables)) {
    out[type] = block(t, { repeat: true, to: 'checkers', tag: { prop: 'type', value: type }, use: type === 'BFD_CHECK' ? BFD_CHECK : CHECK });
  }
  return out;
}

export const CHECKER_TYPES = Object.keys(tables);
