/** Checker blocks inside real_server (keepalived.conf(5) "real_server" checkers). */
import { block, bool, flag, int, num, oneOf, script, str, table, words, type BlockTable, type KwSpec } from './types';

/** Options every checker shares (keepalived check_api.c); unset ones inherit from RS/VS in config/resolve. */
const common = (): Record<string, KwSpec> => ({
  connect_ip: str(),
  connect_port: int(0, 65535),
  bindto: str(),
  bind_port: int(0, 65535),
  bind_if: str(),
  connect_timeout: num(0.001),
  fwmark: int(0, 4294967295),
  retry: int(0),
  nb_get_retry: int(0, undefined, { deprecated: 'retry', to: 'retry' }),
  delay_before_retry: num(0),
  warmup: num(0),
  delay_loop: num(0.001),
  alpha: bool(),
  log_all_failures: bool(),
});

const url = table('url', {
  path: str({ required: true }),
  digest: str(),
  status_code: words({ minArgs: 1 }),
  virtualhost: str(),
  regex: str(),
  regex_no_match: flag({ default: false }),
  regex_options: words(),
  regex_min_offset: int(0),
  regex_max_offset: int(0),
  regex_stack: words(),
});

const http = (): Record<string, KwSpec> => ({
  ...common(),
  http_protocol: oneOf(['1.0', '1.0C', '1.1']),
  virtualhost: str(),
  fast_recovery: bool({ default: false }),
  enable_sni: bool({ default: false }),
  tls_compliant: bool({ default: false }),
  sni_name: str(),
  url: block(url, { repeat: true, to: 'urls' }),
});

const smtpHost = table('host', {
  connect_ip: str(),
  connect_port: int(0, 65535),
  bindto: str(),
  bind_port: int(0, 65535),
  bind_if: str(),
});

const tables: Record<string, BlockTable> = {
  TCP_CHECK: table('TCP_CHECK', common()),
  HTTP_GET: table('HTTP_GET', http()),
  SSL_GET: table('SSL_GET', http()),
  SMTP_CHECK: table('SMTP_CHECK', {
    ...common(),
    helo_name: str(),
    host: block(smtpHost, { repeat: true, to: 'hosts', deprecated: 'connect_ip/connect_port in SMTP_CHECK (one checker per host)' }),
  }),
  DNS_CHECK: table('DNS_CHECK', {
    ...common(),
    type: oneOf(['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'], { caseInsensitive: true, default: 'SOA', to: 'queryType' }),
    name: str({ default: '.' }),
  }),
  UDP_CHECK: table('UDP_CHECK', {
    ...common(),
    payload: words(),
    require_reply: words({ bareValue: [] }),
    min_reply_length: int(0, 65535, { default: 0 }),
    max_reply_length: int(0, 65535, { default: 255 }),
  }),
  PING_CHECK: table('PING_CHECK', common()),
  MISC_CHECK: table('MISC_CHECK', {
    ...common(),
    misc_path: script({ required: true, wholeLine: true }),
    misc_timeout: num(0.001),
    misc_dynamic: flag({ default: false }),
    user: words({ minArgs: 1 }),
  }),
  FILE_CHECK: table('FILE_CHECK', {
    track_file: str({ required: true }),
    weight: words({ minArgs: 1 }),
    dynamic: flag({ default: false }),
  }),
  BFD_CHECK: table('BFD_CHECK', { name: str({ required: true }), alpha: bool() }),
};

/** real_server keywords for each checker type: repeatable blocks collected into `checkers`. */
export function checkerKeywords(): Record<string, KwSpec> {
  const out: Record<string, KwSpec> = {};
  for (const [type, t] of Object.entries(tables)) {
    out[type] = block(t, { repeat: true, to: 'checkers', tag: { prop: 'type', value: type } });
  }
  return out;
}

export const CHECKER_TYPES = Object.keys(tables);
